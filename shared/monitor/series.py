"""Each scheduled stage's runs, as committed: when, whether degraded, what they called.

Runs are read from the artifacts (the repository is the log): tracer and universe run files
(their manifests), the ingest log, the snapshot trend rows and the check reports. Only the
day folders of the window are read, plus the newest earlier one when the window holds no run,
so a year of history costs no more than a week.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from shared.contracts import ProviderStatus
from shared.errors import ArtifactError
from shared.store.csvfile import read_rows
from shared.store.layout import EVAL_DIR, RUNS_DIR, UNIVERSE_DIR, EvalPaths
from shared.store.readers import tracer_runs, universe_runs

__all__ = ["CHECKS_DIR", "RunPoint", "Trigger", "read_series", "stage_readers"]

logger = logging.getLogger(__name__)

CHECKS_DIR = f"{EVAL_DIR}/checks"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Trigger:
    """A trigger that took effect: where and when."""

    stage: str
    symbol: str
    as_of: datetime
    direction: str | None
    run_id: str


@dataclass(frozen=True)
class RunPoint:
    """One run of a stage."""

    stage: str
    as_of: datetime
    degraded: bool = False
    run_id: str = ""
    triggers: tuple[Trigger, ...] = ()
    providers: tuple[ProviderStatus, ...] = ()
    degraded_reasons: tuple[str, ...] = field(default_factory=tuple)


def _days(base: Path, start: datetime, end: datetime) -> list[date]:
    # The day folders of the window, or the newest folder before it when the window is empty.
    if not base.is_dir():
        return []
    present = sorted(date.fromisoformat(p.name) for p in base.iterdir()
                     if p.is_dir() and _DAY.match(p.name))
    window = [d for d in present if start.date() <= d <= end.date()]
    if window:
        return window
    earlier = [d for d in present if d <= end.date()]
    return earlier[-1:]


def _tracer(root: Path, start: datetime, end: datetime) -> list[RunPoint]:
    out = []
    for run in tracer_runs(root, days=_days(root / RUNS_DIR, start, end)):
        triggers: tuple[Trigger, ...] = ()
        if run.outcome.status.value == "triggered":
            direction = run.outcome.direction.value if run.outcome.direction else None
            triggers = (Trigger("tracer", run.symbol, run.as_of, direction, run.run_id),)
        out.append(RunPoint("tracer", run.manifest.as_of, run.manifest.degraded, run.run_id,
                            triggers, run.manifest.provider_statuses,
                            run.manifest.degraded_reasons))
    return out


def _universe(root: Path, start: datetime, end: datetime) -> list[RunPoint]:
    out = []
    for run in universe_runs(root, days=_days(root / UNIVERSE_DIR, start, end)):
        triggers = tuple(
            Trigger("universe", r.symbol, run.as_of,
                    r.outcome.direction.value if r.outcome.direction else None, run.run_id)
            for r in run.symbols
            if r.outcome is not None and r.outcome.status.value == "triggered")
        out.append(RunPoint("universe", run.manifest.as_of, run.manifest.degraded, run.run_id,
                            triggers, run.manifest.provider_statuses,
                            run.manifest.degraded_reasons))
    return out


def _time(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _csv_points(stage: str, path: Path, kind: str | None = None) -> list[RunPoint]:
    try:
        rows = read_rows(path)
    except ArtifactError as e:
        logger.warning("%s: %s", stage, e)
        return []
    out = []
    for row in rows:
        when = _time(row.get("as_of", ""))
        if when is not None and (kind is None or row.get("kind") == kind):
            out.append(RunPoint(stage, when, bool(row.get("degraded_reasons"))))
    return out


def _checks(root: Path, start: datetime, end: datetime) -> list[RunPoint]:
    del start, end
    out = []
    for path in sorted((root / CHECKS_DIR).glob("*.json")):
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        when = _time(str(doc.get("as_of", ""))) if isinstance(doc, dict) else None
        if when is not None:
            out.append(RunPoint("check", when))
    return out


Reader = Callable[[Path, datetime, datetime], list[RunPoint]]


def stage_readers() -> dict[str, Reader]:
    """Stage name → the reader of its runs between two times."""
    return {
        "tracer": _tracer,
        "universe": _universe,
        "eval-ingest": lambda root, s, e: _csv_points("eval-ingest", EvalPaths(root).ingest_log),
        "eval-daily": lambda root, s, e: _csv_points("eval-daily", EvalPaths(root).trend,
                                                     "daily"),
        "eval-weekly": lambda root, s, e: _csv_points("eval-weekly", EvalPaths(root).trend,
                                                      "weekly"),
        "check": _checks,
    }


def read_series(root: Path, *, now: datetime, lookback: timedelta = timedelta(days=8)
                ) -> dict[str, list[RunPoint]]:
    """Each stage's runs with ``as_of`` in ``(now - lookback, now]`` (or the newest earlier
    day's, when the window holds none), sorted by time."""
    start = now - lookback
    out: dict[str, list[RunPoint]] = {}
    for stage, reader in stage_readers().items():
        points = sorted((p for p in reader(root, start, now) if p.as_of <= now),
                        key=lambda p: (p.as_of, p.run_id))
        in_window = [p for p in points if p.as_of > start]
        out[stage] = in_window or points[-1:]
    return out
