"""Tracer persistence through the store: write a result (validated, atomic, run file last),
read the effective triggers of committed runs (for the cooldown), and record the committed
files that scan had to pass over (:mod:`shared.store.quarantine`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from functions.tracer.run import TracerResult
from shared.contracts import OutcomeStatus
from shared.contracts.signal import PriorTrigger
from shared.store import quarantine
from shared.store.atomic import PendingFile
from shared.store.layout import RUNS_DIR, days_between, tracer_run_paths
from shared.store.readers import tracer_runs
from shared.store.write import json_file, write_artifacts

__all__ = ["load_prior_triggers", "record_quarantined", "write_result"]


def write_result(root: Path, result: TracerResult) -> list[Path]:
    """Write the bars, the inputs record and the run artifact under ``root``.

    Raises :class:`ArtifactError` naming every bad file and field before anything is
    written, so a run that fails validation leaves nothing partial behind.
    """
    paths = tracer_run_paths(result.run.as_of, result.run.run_id)
    pending = [
        PendingFile(paths["bars"], result.bars_parquet),
        json_file(paths["inputs"], result.inputs),
        json_file(paths["run"], result.run),
    ]
    return write_artifacts(root, pending, label="an invalid run")


def load_prior_triggers(
    root: Path, symbol: str, as_of: datetime, lookback: timedelta
) -> tuple[PriorTrigger, ...]:
    """Effective triggers for ``symbol`` in committed tracer runs with
    ``as_of - lookback <= run.as_of < as_of`` (strictly before: a re-run at the same time
    never sees itself). A run file that cannot be read is skipped with a warning (see
    :mod:`shared.store.readers`) and reported to the watching stage."""
    found = []
    for run in tracer_runs(root, days=days_between(as_of - lookback, as_of)):
        outcome = run.outcome
        if outcome.symbol != symbol or outcome.status is not OutcomeStatus.TRIGGERED:
            continue
        if outcome.direction is None:
            continue
        if as_of - lookback <= outcome.as_of < as_of:
            found.append(PriorTrigger(symbol=symbol, direction=outcome.direction,
                                      as_of=outcome.as_of))
    return tuple(sorted(found, key=lambda t: t.as_of))


def record_quarantined(root: Path, suspects: list[quarantine.Suspect], as_of: datetime) -> int:
    """Record the files a tracer scan passed over in ``runs/quarantine.csv``."""
    return quarantine.record(root, RUNS_DIR, suspects, found_by="tracer", as_of=as_of)
