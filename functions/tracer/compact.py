"""``tb store compact``: move tracer runs recorded with a whole bars file into the bar store,
and drop bar slices no run references.

What it keeps (everything replay, evaluation and the readiness board read): every run file
``tracer-<id>.json`` (forecast, outcome, manifest: evaluation ingests forecasts from it, the
board and ``tb check`` read manifests and outcomes), every inputs record (narratives, scores,
model calls, config: replay needs them), and the bars of every run, as day slices. What it
changes, for runs older than ``--keep-days`` days that still hold ``tracer-<id>.bars.parquet``:
the bars file is cut into slices (written once, shared with other runs), the inputs record's
``bars_file`` becomes ``runs/bars/`` and the run's ``manifest.files`` lists the slices: the
same bytes a run written today has (:func:`functions.tracer.persist.stored_form`), so the run
id is unchanged and ``tb replay`` stays identical. What it removes: slices under
``runs/bars/`` that no run's manifest lists (left by a run killed before its run file) and,
after a migration, the migrated bars file. Nothing else is deleted; ``--dry-run`` only
reports.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from functions.tracer.persist import stored_form
from functions.tracer.run import TracerResult
from shared.contracts import RunInputs, TracerRun
from shared.errors import ArtifactError
from shared.store.atomic import PendingFile
from shared.store.bars import BARS_DIR, is_slice_path, new_slices
from shared.store.layout import RUNS_DIR, tracer_run_paths
from shared.store.readers import parse_artifact, read_bytes
from shared.store.write import json_file, write_artifacts

__all__ = ["CompactReport", "compact"]


@dataclass
class CompactReport:
    """What a compaction did (or would do, with ``dry_run``)."""

    dry_run: bool
    runs_migrated: list[str] = field(default_factory=list)
    slices_written: int = 0
    slices_removed: int = 0
    bytes_before: int = 0
    bytes_after: int = 0

    def to_json(self) -> dict[str, object]:
        return {"dry_run": self.dry_run, "runs_migrated": len(self.runs_migrated),
                "slices_written": self.slices_written, "slices_removed": self.slices_removed,
                "bytes_before": self.bytes_before, "bytes_after": self.bytes_after}


def compact(root: Path, *, as_of: datetime, keep_days: int, dry_run: bool) -> CompactReport:
    """Compact ``root/runs`` (see the module docstring); ``as_of`` is the current time."""
    report = CompactReport(dry_run=dry_run, bytes_before=_size(root))
    cutoff = as_of - timedelta(days=keep_days)
    referenced: set[str] = set()
    for run_file in sorted((root / RUNS_DIR).glob("*/tracer-*.json")):
        if run_file.name.endswith(".inputs.json"):
            continue
        run = parse_artifact(run_file, read_bytes(run_file), TracerRun)
        paths = tracer_run_paths(run.as_of, run.run_id)
        if paths["bars"] in run.manifest.files and run.as_of < cutoff:
            referenced |= _migrate(root, run, paths, report, dry_run)
        else:
            referenced |= {name for name in run.manifest.files if is_slice_path(name)}
    for slice_file in sorted((root / BARS_DIR).glob("*.parquet")):
        if slice_file.relative_to(root).as_posix() not in referenced:
            report.slices_removed += 1
            if not dry_run:
                slice_file.unlink()
    report.bytes_after = report.bytes_before if dry_run else _size(root)
    return report


def _migrate(root: Path, run: TracerRun, paths: dict[str, str], report: CompactReport,
             dry_run: bool) -> set[str]:
    inputs_path, bars_path = root / paths["inputs"], root / paths["bars"]
    inputs = parse_artifact(inputs_path, read_bytes(inputs_path), RunInputs)
    bars_bytes = read_bytes(bars_path)
    try:
        frame = pq.read_table(io.BytesIO(bars_bytes)).to_pandas()
    except Exception as e:  # noqa: BLE001 - pyarrow raises several unrelated types
        raise ArtifactError(f"{bars_path}: not a readable Parquet file "
                            f"({type(e).__name__})") from None
    stored = stored_form(TracerResult(run, inputs, frame, bars_bytes))
    fresh = new_slices(root, stored.slices)
    report.runs_migrated.append(run.run_id)
    report.slices_written += len({f.relpath for f in fresh})
    if not dry_run:
        pending: list[PendingFile] = [*fresh, json_file(paths["inputs"], stored.inputs),
                                      json_file(paths["run"], stored.run)]
        write_artifacts(root, pending, label="a compacted run")
        bars_path.unlink()
    return {f.relpath for f in stored.slices}


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in (root / RUNS_DIR).rglob("*") if p.is_file())
