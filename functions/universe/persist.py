"""Write universe artifacts: the run file, its metrics row (once per run id), shard partials;
and read the triggers of committed universe runs (for the cooldown).

Every file is validated before it is written atomically (see :mod:`shared.store.write`); the
metrics row, which refers to the run, is appended after the run file. Appending is
idempotent: a row whose run id is already in ``metrics.csv`` is not appended again, so a
re-run leaves the tree byte-identical.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from functions.universe.run import METRICS_COLUMNS, Finalized
from shared.contracts import OutcomeStatus
from shared.contracts.signal import PriorTrigger
from shared.contracts.universe import UniverseShard
from shared.store import quarantine
from shared.store.csvfile import append_rows, read_whole_rows
from shared.store.layout import (
    UNIVERSE_DIR,
    UNIVERSE_METRICS,
    days_between,
    shard_partial_path,
    universe_run_path,
)
from shared.store.readers import universe_runs
from shared.store.write import json_file, write_artifacts

__all__ = [
    "check_metrics_table",
    "load_universe_prior_triggers",
    "partial_path",
    "record_quarantined",
    "write_finalized",
    "write_partial",
]

_LABEL = "invalid universe artifacts"


def partial_path(partial: UniverseShard) -> str:
    """Where a shard partial belongs."""
    return shard_partial_path(partial.as_of, partial.universe_digest, partial.shard_position,
                              partial.shard_count)


def write_finalized(root: Path, finalized: Finalized) -> list[Path]:
    """Write the run file and append its metrics row (unless already there)."""
    run = finalized.run
    written = write_artifacts(root, [json_file(universe_run_path(run.as_of, run.run_id), run)],
                              label=_LABEL)
    metrics = root / UNIVERSE_METRICS
    if append_rows(metrics, METRICS_COLUMNS, [finalized.metrics_row], key=("run_id",)):
        written.append(metrics)
    return written


def write_partial(root: Path, partial: UniverseShard) -> Path:
    """Write one shard's partial (and nothing else)."""
    return write_artifacts(root, [json_file(partial_path(partial), partial)], label=_LABEL)[0]


def load_universe_prior_triggers(root: Path, as_of: datetime, lookback: timedelta
                                 ) -> dict[str, tuple[PriorTrigger, ...]]:
    """Triggered outcomes in committed universe runs with ``as_of - lookback <= t < as_of``
    (strictly before: a re-run never sees itself), by symbol. A run file that cannot be read
    is skipped with a warning (see :mod:`shared.store.readers`)."""
    found: dict[str, set[PriorTrigger]] = {}
    for run in universe_runs(root, days=days_between(as_of - lookback, as_of)):
        for record in run.symbols:
            outcome = record.outcome
            if outcome is None or outcome.status is not OutcomeStatus.TRIGGERED:
                continue
            if outcome.direction is None:
                continue
            if as_of - lookback <= outcome.as_of < as_of:
                found.setdefault(outcome.symbol, set()).add(PriorTrigger(
                    symbol=outcome.symbol, direction=outcome.direction, as_of=outcome.as_of))
    return {s: tuple(sorted(t, key=lambda x: x.as_of)) for s, t in sorted(found.items())}


def check_metrics_table(root: Path) -> None:
    """Read ``metrics.csv`` once before the run, so a row that is not whole is reported to
    the watching stage (and marks the run degraded) before the manifest is made; the append
    after the run moves it out of the table."""
    read_whole_rows(root / UNIVERSE_METRICS, METRICS_COLUMNS)


def record_quarantined(root: Path, suspects: list[quarantine.Suspect], as_of: datetime) -> int:
    """Record what a universe run passed over in ``universe_runs/quarantine.csv``."""
    return quarantine.record(root, UNIVERSE_DIR, suspects, found_by="universe", as_of=as_of)
