"""The universe stage with its edges: config, sources, prior triggers, run, persist, deliver."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from functions.universe.build import UniverseSources, build_universe_sources
from functions.universe.merge import merge_all
from functions.universe.notify import deliver, write_step_summary
from functions.universe.persist import (
    check_metrics_table,
    load_universe_prior_triggers,
    record_quarantined,
    write_finalized,
    write_partial,
)
from functions.universe.progress import Progress
from functions.universe.run import (
    Finalized,
    UniverseRequest,
    run_shard,
    run_unsharded,
)
from shared.bots.meter import Meter
from shared.config import project_root
from shared.contracts.universe import UniverseRun, UniverseShard
from shared.gitinfo import git_sha
from shared.pipeline import prior_window
from shared.pipeline.settings import PipelineSettings, load_pipeline_settings
from shared.reason_codes import default_registry
from shared.store import quarantine
from shared.store.hygiene import remove_leftovers
from shared.store.layout import UNIVERSE_DIR, universe_run_path
from shared.store.telemetry import StageClock, record_telemetry
from shared.universe.config import UniverseConfig, load_universe_config
from shared.universe.sharding import Shard

__all__ = ["UniverseOutcome", "merge_universe", "run_universe"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UniverseOutcome:
    """What a ``tb universe run`` did: a final run (unsharded) or a partial (sharded)."""

    written: list[Path]
    run: UniverseRun | None = None
    partial: UniverseShard | None = None
    delivery: str | None = None


def run_universe(
    *,
    seed: int,
    as_of: datetime,
    artifacts_dir: Path,
    shard: Shard | None = None,
    feed: str = "synthetic",
    live: bool = False,
    timer: Callable[[], float] | None = None,
    notify: bool = True,
    top_n: int | None = None,
    polymarket_fixture: Path | None = None,
    history_dir: Path | None = None,
    universe: UniverseConfig | None = None,
    settings: PipelineSettings | None = None,
    sources: UniverseSources | None = None,
    code_sha: str | None = None,
    progress_bar: bool | None = None,
    synthetic_edge: float | None = None,
) -> UniverseOutcome:
    """Run the universe (or one shard of it) and persist what that run writes.

    ``universe``, ``settings`` (signal + bots), ``sources`` and ``code_sha`` default to the
    project's config, the sources the flags choose, and the checkout's git HEAD."""
    settings = settings or load_pipeline_settings()
    overrides: dict[str, Any] = {"digest": {"top_n": top_n}} if top_n else {}
    if universe is None:
        universe = load_universe_config(overrides=overrides)
    elif overrides:
        universe = universe.model_copy(
            update={"digest": universe.digest.model_copy(update={"top_n": top_n})})
    if sources is None:
        sources = build_universe_sources(feed, seed=seed, config=universe, tracer=settings,
                                         live=live, polymarket_fixture=polymarket_fixture,
                                         synthetic_edge=synthetic_edge)
    remove_leftovers(artifacts_dir, UNIVERSE_DIR)  # temp files of a killed earlier run
    with quarantine.watching() as passed_over:
        prior = load_universe_prior_triggers(history_dir or artifacts_dir, as_of,
                                             prior_window(settings.bots))
        if shard is None:
            check_metrics_table(artifacts_dir)
    if passed_over:  # corrupt committed artifacts: recorded, and this run goes on degraded
        # A shard's checkout is not committed: its partial carries the mark to the merge.
        if shard is None:
            record_quarantined(artifacts_dir, passed_over, as_of)
        sources.board.statuses["artifacts"] = quarantine.status(
            passed_over, history_dir or artifacts_dir)
    chosen = shard or Shard(0, 1)
    request = UniverseRequest(as_of=as_of, seed=seed, universe=universe, settings=settings,
                              shard=chosen, git_sha=code_sha or git_sha(project_root()),
                              prior_triggers=prior)
    total = len(chosen.take(universe.sorted_symbols()))
    progress = Progress(total, every=universe.progress_every,
                        label=f"universe {chosen.label}" if shard else "universe",
                        bar=progress_bar)
    meter = Meter()
    stages = StageClock(meter.clock)
    try:
        if shard is not None:
            with stages.stage("decide"):
                partial = run_shard(request, sources=sources, registry=default_registry(),
                                    timer=timer, on_symbol=progress.advance, meter=meter)
            with stages.stage("persist"):
                path = write_partial(artifacts_dir, partial)
            record_telemetry(artifacts_dir, stage="universe", run_id=path.stem,
                             as_of=as_of, feed=partial.feed, bot_metrics=meter.bots,
                             stages=stages, shard=shard.label, history=history_dir)
            return UniverseOutcome([path], partial=partial)
        with stages.stage("decide"):
            finalized = run_unsharded(request, sources=sources, registry=default_registry(),
                                      timer=timer, on_symbol=progress.advance, meter=meter)
    finally:
        progress.close()
    with stages.stage("persist"), quarantine.watching():  # (bad metrics rows move out here)
        written = write_finalized(artifacts_dir, finalized)
    delivery = None
    if notify:
        with stages.stage("deliver"):
            delivery = _deliver(finalized)
    record_telemetry(artifacts_dir, stage="universe", run_id=finalized.run.run_id,
                     as_of=as_of, feed=finalized.run.manifest.feed,
                     bot_metrics=meter.bots, stages=stages)
    return UniverseOutcome(written, run=finalized.run, delivery=delivery)


def _deliver(finalized: Finalized) -> str:
    write_step_summary(finalized.run)
    return deliver(finalized.run)


def merge_universe(artifacts_dir: Path) -> list[UniverseRun]:
    """Merge every complete set of partials; returns the runs written. A ``metrics.csv`` row
    that is not whole is moved out of the table into ``universe_runs/quarantine.csv``."""
    remove_leftovers(artifacts_dir, UNIVERSE_DIR)
    with quarantine.watching() as passed_over:
        runs = [f.run for f in merge_all(artifacts_dir)]
    if passed_over and runs:
        record_quarantined(artifacts_dir, passed_over, runs[0].as_of)
    return runs


def run_file(run: UniverseRun) -> str:
    return universe_run_path(run.as_of, run.run_id)
