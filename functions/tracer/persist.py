"""Tracer persistence through the store: write a result (validated, atomic, run file last),
read the effective triggers of committed runs (for the cooldown), and record the committed
files that scan had to pass over (:mod:`shared.store.quarantine`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from functions.tracer.run import TracerResult
from shared.contracts import OutcomeStatus, RunInputs, TracerRun, canonical_json, sha256_hex
from shared.contracts.signal import PriorTrigger
from shared.store import quarantine
from shared.store.atomic import PendingFile
from shared.store.bars import BARS_REF, new_slices, slice_bars
from shared.store.layout import RUNS_DIR, days_between, tracer_run_paths
from shared.store.readers import tracer_runs
from shared.store.write import json_file, write_artifacts

__all__ = ["StoredRun", "load_prior_triggers", "record_quarantined", "stored_form",
           "write_result"]


@dataclass(frozen=True)
class StoredRun:
    """A run as the store records it: bars as content-addressed day slices
    (:mod:`shared.store.bars`), referenced from the manifest; inputs and run otherwise the
    core's."""

    run: TracerRun
    inputs: RunInputs
    slices: tuple[PendingFile, ...]


def stored_form(result: TracerResult) -> StoredRun:
    """The core's result in the store's layout: the whole-window bars file is replaced by its
    day slices (``manifest.files`` lists each with its digest; ``inputs.bars_file`` is
    ``runs/bars/``). Deterministic, so replay applies it to the re-run and compares bytes.
    The run id is unchanged: it digests the whole window's bytes, which the slices rebuild."""
    paths = tracer_run_paths(result.run.as_of, result.run.run_id)
    slices = tuple(slice_bars(result.bars))
    inputs = result.inputs.model_copy(update={"bars_file": BARS_REF})
    files = {name: digest for name, digest in result.run.manifest.files.items()
             if name != paths["bars"]}
    files[paths["inputs"]] = sha256_hex(canonical_json(inputs))
    files.update({f.relpath: sha256_hex(f.data) for f in slices})
    manifest = result.run.manifest.model_copy(update={"files": files})
    return StoredRun(result.run.model_copy(update={"manifest": manifest}), inputs, slices)


def write_result(root: Path, result: TracerResult) -> tuple[TracerRun, list[Path]]:
    """Write the bar slices the store lacks, the inputs record and the run artifact under
    ``root``; return the run as stored and the files written.

    Raises :class:`ArtifactError` naming every bad file and field before anything is
    written, so a run that fails validation leaves nothing partial behind (a slice written
    by a run killed before its run file is content-addressed: harmless, and reused).
    """
    stored = stored_form(result)
    paths = tracer_run_paths(result.run.as_of, result.run.run_id)
    pending = [
        *new_slices(root, stored.slices),
        json_file(paths["inputs"], stored.inputs),
        json_file(paths["run"], stored.run),
    ]
    return stored.run, write_artifacts(root, pending, label="an invalid run")


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
