"""Run telemetry on disk: ``runs/telemetry/<YYYY-MM-DD>/<stage>.jsonl`` (date: the wall time
the record was written), one :class:`~shared.contracts.telemetry.RunTelemetry` per line.

Append-only, written under the folder lock (a read of the file, the new line added, an
atomic replace), and outside the byte-identical core: identity tests skip
``runs/telemetry/``. A line that does not parse is skipped by the readers (named in the log),
never fatal: telemetry never fails a run.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from shared import clock
from shared.contracts.telemetry import BotTelemetry, RunTelemetry
from shared.store.atomic import atomic_write_text
from shared.store.csvfile import locked
from shared.store.layout import RUNS_DIR

__all__ = ["TELEMETRY_DIR", "StageClock", "iter_telemetry", "last_record", "record_run",
           "record_telemetry", "telemetry_path"]

logger = logging.getLogger(__name__)

TELEMETRY_DIR = f"{RUNS_DIR}/telemetry"
BotMetricsOf = Callable[[int | None], tuple[BotTelemetry, ...]]


def telemetry_path(root: Path, stage: str, recorded_at: datetime, shard: str | None = None
                   ) -> Path:
    """One file per stage and day; a shard has its own (shards run on separate machines and
    their files are gathered without a merge: ``universe-shard-1-of-4.jsonl``)."""
    name = stage if shard is None else f"{stage}-shard-{shard.replace('/', '-of-')}"
    return root / TELEMETRY_DIR / recorded_at.date().isoformat() / f"{name}.jsonl"


def iter_telemetry(root: Path, stage: str | None = None) -> Iterator[tuple[Path, RunTelemetry]]:
    """Every readable record under ``root``'s telemetry folder (of ``stage``), oldest file
    first and in file order."""
    base = root / TELEMETRY_DIR
    if not base.is_dir():
        return
    pattern = f"{stage}*.jsonl" if stage else "*.jsonl"
    for path in sorted(base.glob(f"*/{pattern}")):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            logger.warning("telemetry %s unreadable: %s", path, e)
            continue
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = RunTelemetry.model_validate_json(line)
            except ValidationError:
                logger.warning("telemetry %s:%d is not a run_telemetry record; skipped",
                               path, number)
                continue
            if stage is None or record.stage == stage:
                yield path, record


def last_record(root: Path, stage: str, shard: str | None = None) -> RunTelemetry | None:
    """The latest record (by ``recorded_at``) of ``stage`` (and ``shard``) on file."""
    found = [r for _, r in iter_telemetry(root, stage) if r.shard == shard]
    return max(found, key=lambda r: r.recorded_at) if found else None


def record_run(root: Path, *, stage: str, run_id: str, as_of: datetime, feed: str,
               recorded_at: datetime, bot_metrics: BotMetricsOf,
               stage_latency_ms: dict[str, float], shard: str | None = None,
               history: Path | None = None) -> RunTelemetry:
    """Append this run's telemetry: per-stage latency, each bot's metrics, and the heartbeat
    (milliseconds since the previous record of the same stage on file; None for the first).
    ``bot_metrics(heartbeat_age_ms)`` gives the bots' metrics (``Meter.bots``). The previous
    record is looked up under ``history`` (a shard's checkout) as well as ``root``."""
    found = [r for r in (last_record(base, stage, shard) for base in {root, history or root})
             if r is not None]
    previous = max(found, key=lambda r: r.recorded_at) if found else None
    heartbeat = None
    if previous is not None:
        heartbeat = max(0, int((recorded_at - previous.recorded_at).total_seconds() * 1000))
    record = RunTelemetry(
        stage=stage, shard=shard, run_id=run_id, as_of=as_of, recorded_at=recorded_at,
        feed=feed, stage_latency_ms={k: round(v, 3) for k, v in sorted(stage_latency_ms.items())},
        heartbeat_age_ms=heartbeat, previous_run_id=previous.run_id if previous else None,
        bots=bot_metrics(heartbeat))
    path = telemetry_path(root, stage, recorded_at, shard)
    with locked(path):
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
        if existing and not existing.endswith("\n"):
            existing += "\n"
        line = json.dumps(record.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        atomic_write_text(path, existing + line + "\n")
    return record


@dataclass
class StageClock:
    """Wall latency of a run's named stages (``with clock.stage("persist"): ...``), plus
    ``total`` from its creation."""

    clock: Callable[[], float]
    started: float = field(init=False)
    latency_ms: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.started = self.clock()

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = self.clock()
        try:
            yield
        finally:
            self.latency_ms[name] = self.latency_ms.get(name, 0.0) + (self.clock() - began) * 1e3

    def totals(self) -> dict[str, float]:
        return {**self.latency_ms, "total": (self.clock() - self.started) * 1000.0}


def record_telemetry(root: Path, *, stage: str, run_id: str, as_of: datetime, feed: str,
                     bot_metrics: BotMetricsOf, stages: StageClock, shard: str | None = None,
                     history: Path | None = None) -> RunTelemetry | None:
    """:func:`record_run` at the current wall time; a failure to write is logged, never
    raised (telemetry never fails a run)."""
    try:
        return record_run(root, stage=stage, run_id=run_id, as_of=as_of, feed=feed,
                          recorded_at=clock.utc_now(), bot_metrics=bot_metrics,
                          stage_latency_ms=stages.totals(), shard=shard, history=history)
    except (OSError, ValueError) as e:
        logger.warning("telemetry of %s run %s not recorded: %s", stage, run_id, e)
        return None
