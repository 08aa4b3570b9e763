"""The tracer stage with its edges: config, sources, prior triggers, run, deliver, persist."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from functions.tracer.persist import load_prior_triggers, record_quarantined, write_result
from functions.tracer.run import TracerRequest, run
from shared import clock
from shared.bots.meter import Meter
from shared.config import project_root
from shared.contracts import TracerRun
from shared.gitinfo import git_sha
from shared.pipeline import news_window, prior_window
from shared.pipeline.build import build_offline_sources
from shared.pipeline.coverage import check_coverage
from shared.pipeline.prefetch import prefetch_sources
from shared.pipeline.settings import load_pipeline_settings
from shared.pipeline.sources import Sources
from shared.reason_codes import default_registry
from shared.store import quarantine
from shared.store.bars import BARS_DIR
from shared.store.hygiene import remove_leftovers
from shared.store.layout import RUNS_DIR, tracer_run_paths
from shared.store.telemetry import StageClock, record_telemetry

__all__ = ["TracerOutcome", "load_prior_triggers", "run_tracer"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TracerOutcome:
    run: TracerRun
    paths: dict[str, str]
    written: list[Path]




def _paths(as_of: datetime, run_id: str, written: list[Path], root: Path) -> dict[str, str]:
    # The run's own files; its bars are day slices in the content-addressed store
    # (runs/bars/<sha256>.parquet), so "bars" names that folder unless this run wrote its
    # bars beside it (an older layout).
    paths = tracer_run_paths(as_of, run_id)
    if not (root / paths["bars"]).is_file():
        paths["bars"] = f"{BARS_DIR}/"
    return paths


def symbol_calendar(symbol: str) -> str | None:
    """The exchange calendar config/universe.yaml gives ``symbol``'s asset class (AAPL: XNYS),
    so the tracer honours trading hours as the universe does; None (24/7) for a symbol the
    universe does not list."""
    from shared.universe.config import load_universe_config

    universe = load_universe_config()
    spec = next((s for s in universe.symbols if s.symbol == symbol), None)
    return universe.calendar(spec) if spec is not None else None


def run_tracer(
    *,
    seed: int,
    as_of: datetime | None,
    artifacts_dir: Path,
    symbol: str | None = None,
    feed: str = "synthetic",
    live: bool = False,
    timer: Callable[[], float] | None = None,
    notify: bool = True,
    sources: Sources | None = None,
) -> TracerOutcome:
    """Run and persist one tracer cycle; returns the run and where it was written.

    ``as_of=None`` means now: for an offline run the current hour (floored, so reruns in
    the hour are identical); for a live run the first whole second after its data was
    fetched (see :mod:`shared.clock` and :mod:`shared.pipeline.prefetch`)."""
    from functions.tracer.notify import deliver_tracer

    settings = load_pipeline_settings()
    if sources is None:
        if live:
            from shared.pipeline.live import build_live_sources

            sources = build_live_sources(seed=seed, config=settings)
        else:
            sources = build_offline_sources(feed, seed=seed, config=settings)
    chosen = symbol or settings.tracer.symbol
    if as_of is None and live:
        sources = prefetch_sources(
            sources, chosen, clock.utc_now(), history_hours=settings.tracer.history_hours,
            news_window=news_window(settings.signal))
        as_of = clock.after_fetch_as_of(clock.utc_now())
    elif as_of is None:
        as_of = clock.offline_as_of(clock.utc_now())
    # a dataset that does not cover this run's history, or has no news for it, is marked
    check_coverage(sources, chosen, as_of - timedelta(hours=settings.tracer.history_hours),
                   as_of, strict=False)
    remove_leftovers(artifacts_dir, RUNS_DIR)  # temp files of a killed earlier run
    with quarantine.watching() as passed_over:
        prior = load_prior_triggers(artifacts_dir, chosen, as_of,
                                    prior_window(settings.bots))
    if passed_over:  # a corrupt committed run: recorded, and this run goes on degraded
        record_quarantined(artifacts_dir, passed_over, as_of)
        sources.board.statuses["artifacts"] = quarantine.status(passed_over, artifacts_dir)
        sources.board.degrade(quarantine.ARTIFACT_QUARANTINED)
    request = TracerRequest(as_of=as_of, seed=seed, settings=settings,
                            git_sha=git_sha(project_root()), symbol=chosen, prior_triggers=prior,
                            calendar=symbol_calendar(chosen))
    meter = Meter()
    stages = StageClock(meter.clock)
    with stages.stage("decide"):
        result = run(request, sources=sources, registry=default_registry(), timer=timer,
                     meter=meter)
    if notify:
        with stages.stage("deliver"):
            result = deliver_tracer(result)
    with stages.stage("persist"):
        stored_run, written = write_result(artifacts_dir, result)
    record_telemetry(artifacts_dir, stage="tracer", run_id=result.run.run_id,
                     as_of=result.run.as_of, feed=sources.feed_name,
                     bot_metrics=meter.bots, stages=stages)
    return TracerOutcome(stored_run, _paths(result.run.as_of, result.run.run_id, written,
                                            artifacts_dir),
                         written)
