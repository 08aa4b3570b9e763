"""``tb backtest run``: the divergence backtest with its edges (config, feed, engine, files).

Builds the job as every offline stage does (``config/*.yaml``, the offline sources), runs
:func:`shared.backtest.divergence.run_backtest`, renders the report, the CSVs and the plot,
and writes them through the store under ``runs/backtests/<report_id>/`` (validated, atomic,
``report.json`` last, since it lists the others' digests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.backtest.divergence import BacktestConfig, TradeMode, run_backtest
from shared.backtest.divergence_report import (
    ReportMeta,
    build_report,
    equity_csv,
    markdown,
    report_id,
    trades_csv,
)
from shared.backtest.plot import equity_price_png
from shared.contracts import canonical_json, sha256_hex
from shared.pipeline import SymbolJob
from shared.pipeline.build import build_offline_sources
from shared.pipeline.settings import load_pipeline_settings
from shared.reason_codes import default_registry
from shared.signal.engine import SignalEngine
from shared.store.atomic import PendingFile
from shared.store.identity import code_version
from shared.store.layout import backtest_dir
from shared.store.write import write_artifacts

__all__ = ["BacktestRequest", "run_divergence_backtest"]


@dataclass(frozen=True)
class BacktestRequest:
    """The command line's choices."""

    feed: str
    seed: int
    start: datetime
    end: datetime
    symbol: str | None = None
    synthetic_edge: float | None = None
    mode: TradeMode = TradeMode.LONG_SHORT
    fee_bps: float = 10.0
    slippage_bps: float = 5.0
    initial_cash: float = 100_000.0
    position_fraction: float = 0.5


def run_divergence_backtest(request: BacktestRequest, artifacts_dir: Path) -> dict[str, Any]:
    """Backtest, write the report's files, and return the one-object summary."""
    settings = load_pipeline_settings()
    sources = build_offline_sources(request.feed, seed=request.seed, config=settings,
                                    synthetic_edge=request.synthetic_edge)
    engine = SignalEngine(settings.signal, settings.bots, default_registry())
    job = SymbolJob(symbol=request.symbol or settings.tracer.symbol, signal=settings.signal,
                    engine=engine, history_hours=settings.tracer.history_hours,
                    max_bar_age_hours=settings.tracer.max_bar_age_hours)
    config = BacktestConfig(
        start=request.start, end=request.end, mode=request.mode, fee_bps=request.fee_bps,
        slippage_bps=request.slippage_bps, initial_cash=request.initial_cash,
        position_fraction=request.position_fraction)
    result = run_backtest(job, sources, config)
    synthetic = sources.feed_name == "synthetic"
    edge = (1.0 if request.synthetic_edge is None else request.synthetic_edge) if synthetic \
        else None
    meta = ReportMeta(feed=sources.feed_name, seed=request.seed, synthetic_edge=edge,
                      poll_hours=settings.signal.poll_hours, code_version=code_version())
    folder = backtest_dir(report_id(result, meta))
    siblings = {
        "trades.csv": trades_csv(result).encode("utf-8"),
        "equity.csv": equity_csv(result).encode("utf-8"),
        "plot.png": equity_price_png(result),
    }
    report = build_report(result, meta, {name: sha256_hex(data)
                                         for name, data in siblings.items()})
    files = [PendingFile(f"{folder}/{name}", data) for name, data in siblings.items()]
    files.append(PendingFile(f"{folder}/report.md", markdown(report).encode("utf-8")))
    files.append(PendingFile(f"{folder}/report.json", canonical_json(report).encode("utf-8")))
    write_artifacts(artifacts_dir, files, label=f"backtest {report.report_id}")
    return _summary(report.model_dump(mode="json"), folder)


def _summary(report: dict[str, Any], folder: str) -> dict[str, Any]:
    hit, trades, equity = report["hit_rate"], report["trades"], report["equity"]
    return {
        "report_id": report["report_id"], "dir": folder, "symbol": report["symbol"],
        "feed": report["feed"], "seed": report["seed"], "start": report["start"],
        "end": report["end"], "mode": report["settings"]["mode"],
        "decisions": report["decisions"]["total"],
        "triggers": report["decisions"]["triggered"],
        "zero_triggers": report["zero_triggers"], "reasons": report["reasons"],
        "hit_rate": hit["rate"], "hit_rate_ci": hit["ci"], "resolved": hit["resolved"],
        "base_rate": hit["base_rate"], "baseline_hit_rate": hit["baseline_hit_rate"],
        "z_vs_baseline": hit["z_vs_baseline"], "brier": report["forecasts"]["brier"],
        "log_loss": report["forecasts"]["log_loss"], "trades": trades["round_trips"],
        "win_rate": trades["win_rate"], "win_rate_ci": trades["win_rate_ci"],
        "final_equity": equity["final"], "total_return": equity["total_return"],
        "max_drawdown": equity["max_drawdown"],
        "max_drawdown_duration_hours": equity["max_drawdown_duration_hours"],
        "exposure": report["exposure"]["share"], "costs": report["costs"]["total"],
        "note": report["note"],
    }
