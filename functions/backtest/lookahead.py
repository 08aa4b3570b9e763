"""``tb backtest check-lookahead``: the lookahead falsifier with its edges (config, feed,
engine); see :mod:`shared.backtest.lookahead`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.backtest.lookahead import check_lookahead
from shared.pipeline import SymbolJob
from shared.pipeline.build import build_offline_sources
from shared.pipeline.settings import load_pipeline_settings
from shared.reason_codes import default_registry
from shared.signal.engine import SignalEngine

__all__ = ["run_check_lookahead"]


def run_check_lookahead(*, feed: str, seed: int, start: datetime, end: datetime,
                        symbol: str | None, samples: int) -> dict[str, Any]:
    """Check the configured pipeline on ``feed`` and return the report as JSON."""
    settings = load_pipeline_settings()
    sources = build_offline_sources(feed, seed=seed, config=settings)
    engine = SignalEngine(settings.signal, settings.bots, default_registry())
    job = SymbolJob(symbol=symbol or settings.tracer.symbol, signal=settings.signal,
                    engine=engine, history_hours=settings.tracer.history_hours,
                    max_bar_age_hours=settings.tracer.max_bar_age_hours)
    report = check_lookahead(job, sources, start=start, end=end, samples=samples, seed=seed)
    return report.to_json() | {"feed": sources.feed_name}
