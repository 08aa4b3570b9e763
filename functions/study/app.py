"""``tb study`` with its edges: config, feed, engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.study.run import run_study
from shared.pipeline import SymbolJob
from shared.pipeline.build import build_offline_sources
from shared.pipeline.coverage import check_coverage
from shared.pipeline.settings import load_pipeline_settings
from shared.reason_codes import default_registry
from shared.signal.engine import SignalEngine

__all__ = ["study"]

NOTE = ("Measured on past or synthetic data; says nothing about live performance. The "
        "synthetic feed plants a documented relation (shared/providers/synthetic.py).")


def study(*, feed: str, seed: int, start: datetime, end: datetime, symbol: str | None,
          synthetic_edge: float | None) -> dict[str, Any]:
    settings = load_pipeline_settings()
    sources = build_offline_sources(feed, seed=seed, config=settings,
                                    synthetic_edge=synthetic_edge)
    engine = SignalEngine(settings.signal, settings.bots, default_registry())
    job = SymbolJob(symbol=symbol or settings.tracer.symbol, signal=settings.signal,
                    engine=engine, history_hours=settings.tracer.history_hours,
                    max_bar_age_hours=settings.tracer.max_bar_age_hours,
                    timeframe=sources.timeframe)
    # a dataset that misses the period is an error; partial cover or no news is marked
    coverage = check_coverage(sources, job.symbol, start, end)
    result = run_study(job, start=start, end=end, sources=sources)
    out = result.to_json()
    out |= {"feed": sources.feed_name, "seed": seed, "note": NOTE}  # as runs record it
    if coverage is not None:
        out |= {"coverage": coverage.to_json(), "degraded": list(sources.board.reasons()),
                "timeframe": sources.timeframe.value}
    if sources.feed_name == "synthetic":
        out["synthetic_edge"] = 1.0 if synthetic_edge is None else synthetic_edge
    return out
