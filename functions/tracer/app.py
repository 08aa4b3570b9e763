"""The tracer stage with its edges: config, sources, run, deliver, persist."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from functions.tracer.build import build_offline_sources
from functions.tracer.config import load_tracer_config
from functions.tracer.persist import write_result
from functions.tracer.run import TracerRequest, run, run_paths
from functions.tracer.sources import Sources
from shared.config import project_root
from shared.contracts import TracerRun
from shared.gitinfo import git_sha
from shared.reason_codes import default_registry

__all__ = ["TracerOutcome", "run_tracer"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TracerOutcome:
    run: TracerRun
    paths: dict[str, str]
    written: list[Path]


def run_tracer(
    *,
    seed: int,
    as_of: datetime,
    artifacts_dir: Path,
    symbol: str | None = None,
    feed: str = "synthetic",
    live: bool = False,
    timer: Callable[[], float] | None = None,
    notify: bool = True,
    sources: Sources | None = None,
) -> TracerOutcome:
    """Run and persist one tracer cycle; returns the run and where it was written."""
    from functions.notify import deliver_tracer

    config = load_tracer_config()
    if sources is None:
        if live:
            from functions.tracer.live import build_live_sources

            sources = build_live_sources(seed=seed, config=config)
        else:
            sources = build_offline_sources(feed, seed=seed, config=config)
    request = TracerRequest(as_of=as_of, seed=seed, config=config,
                            git_sha=_git_sha(), symbol=symbol)
    result = run(request, sources=sources, registry=default_registry(), timer=timer)
    if notify:
        result = deliver_tracer(result)
    written = write_result(artifacts_dir, result)
    return TracerOutcome(result.run, run_paths(result.run.as_of, result.run.run_id), written)


def _git_sha() -> str:
    return git_sha(project_root())
