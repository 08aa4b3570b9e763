"""``tb backtest walk-forward`` with its edges (config, feed, engine); the walk-forward
itself is :mod:`shared.backtest.walkforward`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.backtest.walkforward import fetch_periods, folds_of, report, run_walk_forward
from shared.pipeline import Period, Sources, SymbolJob
from shared.pipeline.build import build_offline_sources
from shared.pipeline.settings import PipelineSettings, load_pipeline_settings
from shared.reason_codes import default_registry
from shared.signal.engine import SignalEngine

__all__ = ["Workload", "WindowPlan", "jobs_for", "load_workload", "run_walk_forward_command"]


@dataclass(frozen=True)
class WindowPlan:
    train_days: float
    test_days: float
    anchored: bool
    block_hours: int | None
    resamples: int


@dataclass(frozen=True)
class Workload:
    """What a walk-forward or tuning run reads, fetched once: the config, the feed, one job
    and one period per symbol."""

    settings: PipelineSettings
    sources: Sources
    jobs: tuple[SymbolJob, ...]
    periods: tuple[Period, ...]
    feed: str
    seed: int
    synthetic_edge: float | None


def jobs_for(settings: PipelineSettings, symbols: Sequence[str]) -> tuple[SymbolJob, ...]:
    engine = SignalEngine(settings.signal, settings.bots, default_registry())
    return tuple(SymbolJob(symbol=s, signal=settings.signal, engine=engine,
                           history_hours=settings.tracer.history_hours,
                           max_bar_age_hours=settings.tracer.max_bar_age_hours)
                 for s in symbols)


def load_workload(*, feed: str, seed: int, start: datetime, end: datetime,
                  symbols: Sequence[str] | None, synthetic_edge: float | None,
                  config_dir: Path | None = None) -> Workload:
    settings = load_pipeline_settings(config_dir)
    sources = build_offline_sources(feed, seed=seed, config=settings,
                                    synthetic_edge=synthetic_edge)
    jobs = jobs_for(settings, symbols or [settings.tracer.symbol])
    periods = fetch_periods(jobs, start, end, sources)
    return Workload(settings, sources, jobs, tuple(periods), sources.feed_name, seed,
                    synthetic_edge)


def run_walk_forward_command(*, feed: str, seed: int, start: datetime, end: datetime,
                             symbols: Sequence[str] | None, synthetic_edge: float | None,
                             plan: WindowPlan, trials: int = 0) -> dict[str, Any]:
    """Walk the configured parameters forward (fitting p_up's logistic in each fold, and
    with ``trials`` > 0 tuning the divergence bot in-sample too) and return the report."""
    work = load_workload(feed=feed, seed=seed, start=start, end=end, symbols=symbols,
                         synthetic_edge=synthetic_edge)
    folds = folds_of(start, end, train_days=plan.train_days, test_days=plan.test_days,
                     anchored=plan.anchored)
    tune_fold = None
    if trials > 0:
        from shared.backtest.tuning import fold_tuner

        tune_fold = fold_tuner(bot="divergence", trials=trials, seed=seed)
    result = run_walk_forward(work.jobs, work.periods, folds, tune_fold=tune_fold)
    out = report(result, block_hours=plan.block_hours,
                 resamples=plan.resamples, seed=seed,
                 poll_hours=work.settings.signal.poll_hours)
    out |= {"feed": work.feed, "seed": seed, "anchored": plan.anchored,
            "train_days": plan.train_days, "test_days": plan.test_days,
            "in_sample_trials_per_fold": trials}
    if work.feed == "synthetic":
        out["synthetic_edge"] = 1.0 if synthetic_edge is None else synthetic_edge
    return out
