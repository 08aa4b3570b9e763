"""Simulate the scheduled workflows over a span of as-of times, offline.

What the cron schedules do, compressed: every hour ``tb run`` for each symbol; every day
at midnight ``tb eval ingest`` then ``tb eval run``; at the end ``tb eval weekly``. Everything
runs on the seeded synthetic feed, so the resulting snapshot shows the evaluation loop
working end to end; like every synthetic result it says nothing about live performance.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from functions.eval.stages import run_ingest, run_snapshot
from functions.tracer.app import run_tracer
from shared.contracts import format_utc
from shared.evaluation.resolve import ResolverRegistry
from shared.providers.synthetic import SyntheticFeed

__all__ = ["WeekSummary", "simulate"]

logger = logging.getLogger(__name__)


@dataclass
class WeekSummary:
    tracer_runs: int = 0
    triggers: int = 0
    ingests: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    verdict: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "tracer_runs": self.tracer_runs,
            "triggers": self.triggers,
            "observations": self.ingests[-1]["observations_total"] if self.ingests else 0,
            "snapshots": self.snapshots,
            "verdict": self.verdict,
        }


def simulate(
    *,
    artifacts_dir: Path,
    seed: int,
    start: datetime,
    days: int,
    symbols: Sequence[str],
    bootstrap: int = 500,
    on_run: Callable[[str], None] | None = None,
) -> WeekSummary:
    """Run the schedule from ``start`` for ``days`` days; returns what it did. ``on_run`` is
    told after each tracer run (``"BTC-USD 2026-11-02T05:00:00Z"``), for progress."""
    summary = WeekSummary()
    feed = SyntheticFeed(seed)
    resolvers = ResolverRegistry.only("synthetic", feed)  # every run here is on this feed
    end = start + timedelta(days=days)
    t = start
    while t <= end:
        for symbol in symbols:
            outcome = run_tracer(seed=seed, as_of=t, artifacts_dir=artifacts_dir,
                                 symbol=symbol, notify=False)
            summary.tracer_runs += 1
            summary.triggers += outcome.run.outcome.status.value == "triggered"
            if on_run is not None:
                on_run(f"{symbol} {format_utc(t)}")
        if t.hour == 0 and t > start:
            summary.ingests.append(run_ingest(artifacts_dir, as_of=t, resolvers=resolvers))
            folder, _ = run_snapshot(artifacts_dir, as_of=t, kind="daily",
                                     n_resamples=bootstrap, seed=seed)
            summary.snapshots.append(folder.relative_to(artifacts_dir).as_posix())
            logger.info("simulated day ending %s", format_utc(t))
        t += timedelta(hours=1)
    summary.ingests.append(run_ingest(artifacts_dir, as_of=end, resolvers=resolvers))
    folder, snapshot = run_snapshot(artifacts_dir, as_of=end, kind="weekly",
                                    n_resamples=bootstrap, seed=seed)
    summary.snapshots.append(folder.relative_to(artifacts_dir).as_posix())
    summary.verdict = snapshot.metrics.verdict
    return summary
