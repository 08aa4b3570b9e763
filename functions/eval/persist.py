"""Evaluation persistence through the store: observations, unresolved claims, the ingest and
trend logs, and snapshot folders (``metrics.json`` validated as an :class:`EvalSnapshot`,
calibration and cohort CSVs, PNG plots). Paths come from :mod:`shared.store.layout`."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from functions.eval.metrics import CALIBRATION_COLUMNS, COHORT_COLUMNS, TREND_COLUMNS, Snapshot
from shared.contracts import canonical_json
from shared.contracts.evaluation import EvalSnapshot
from shared.errors import ArtifactError
from shared.evaluation.records import (
    OBSERVATION_COLUMNS,
    UNRESOLVED_COLUMNS,
    Observation,
    Unresolved,
    observation_from_row,
    observation_row,
    unresolved_row,
)
from shared.store import quarantine
from shared.store.atomic import PendingFile
from shared.store.csvfile import (
    append_rows,
    csv_text,
    read_rows,
    read_whole_rows,
    upsert_rows,
    upserted,
    write_rows,
)
from shared.store.layout import EVAL_DIR, EvalPaths, eval_snapshot_dir
from shared.store.write import write_artifacts

__all__ = [
    "TREND_KEY",
    "append_observations",
    "read_observations",
    "record_quarantined",
    "snapshot_json",
    "trend_history",
    "write_snapshot",
    "write_unresolved",
]

TREND_KEY = ("as_of", "kind")


def read_observations(path: Path) -> list[Observation]:
    """Read ``observations.csv`` (no file: none yet). A row that is not whole or does not
    parse is reported to the watching stage and left out (quarantined); with no stage
    watching it is an ArtifactError."""
    out = []
    for line, row in enumerate(read_whole_rows(path, OBSERVATION_COLUMNS), start=2):
        try:
            out.append(observation_from_row(row))
        except (KeyError, ValueError) as e:
            text = csv_text(OBSERVATION_COLUMNS, [list(row.values())]).split("\n", 1)[1]
            if not quarantine.report(path, f"line {line}: unreadable observation ({e}): "
                                     f"{text.strip()}", text.encode("utf-8")):
                raise ArtifactError(f"{path}: line {line}: unreadable observation ({e})") from e
    return out


def record_quarantined(artifacts_dir: Path, suspects: list[quarantine.Suspect],
                       as_of: datetime, found_by: str) -> int:
    """Record what an evaluation stage passed over in ``eval_runs/quarantine.csv``."""
    return quarantine.record(artifacts_dir, EVAL_DIR, suspects, found_by=found_by, as_of=as_of)


def append_observations(path: Path, new: Sequence[Observation]) -> int:
    """Append observations whose ids are not in the file yet; return how many were added.

    Existing rows are never rewritten or reordered (append-only).
    """
    _widen_header(path, OBSERVATION_COLUMNS)
    rows = [dict(zip(OBSERVATION_COLUMNS, observation_row(o), strict=True)) for o in new]
    return append_rows(path, OBSERVATION_COLUMNS, rows, key=("forecast_id",))


def _widen_header(path: Path, header: Sequence[str]) -> None:
    # A table written before a column was added (observations.csv before outcome_status)
    # gains the column, empty in its old rows; the rows and their order stay as they were.
    if not path.is_file():
        return
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        found = next(csv.reader(handle), [])
    if not found or tuple(found) == tuple(header) or not set(found) < set(header):
        return  # a header that is not a subset is left for append_rows to refuse
    rows = read_whole_rows(path, header)
    write_rows(path, header, ([row[name] for name in header] for row in rows))


def write_unresolved(path: Path, items: Sequence[Unresolved]) -> None:
    """Rewrite the list of claims that are due but unresolved (the current state)."""
    write_rows(path, UNRESOLVED_COLUMNS, (unresolved_row(u) for u in items))


def snapshot_json(snapshot: EvalSnapshot) -> bytes:
    """``metrics.json``: canonical JSON of the fields that were set. Sections and figures
    that do not apply are never set (a section without forecasts is ``{"n": 0}``) and stay
    absent, as readers of ``metrics.json`` expect; set fields are written even when null."""
    return canonical_json(snapshot.model_dump(mode="json", exclude_unset=True)).encode("utf-8")


def trend_history(artifacts_dir: Path, snapshot: Snapshot) -> list[Mapping[str, str]]:
    """The rows of ``trend.csv`` up to the snapshot's time, as they will be once its row is
    added (for the trend plot)."""
    current = read_rows(EvalPaths(artifacts_dir).trend)
    stamp = snapshot.trend_row["as_of"]
    return [row for row in upserted(current, [snapshot.trend_row], key=TREND_KEY)
            if row["as_of"] <= stamp]


def write_snapshot(artifacts_dir: Path, snapshot: Snapshot, plots: Mapping[str, bytes]) -> Path:
    """Validate and write the snapshot folder (``metrics.json``, ``calibration.csv``,
    ``cohorts.csv`` and the ``plots`` by file name), then add its row to ``trend.csv``.
    Returns the folder."""
    folder = eval_snapshot_dir(snapshot.as_of, snapshot.kind)
    files = [
        PendingFile(f"{folder}/metrics.json", snapshot_json(snapshot.metrics)),
        PendingFile(f"{folder}/calibration.csv",
                    csv_text(CALIBRATION_COLUMNS, snapshot.calibration_rows).encode("utf-8")),
        PendingFile(f"{folder}/cohorts.csv",
                    csv_text(COHORT_COLUMNS, snapshot.cohort_rows).encode("utf-8")),
        *(PendingFile(f"{folder}/{name}", data) for name, data in plots.items()),
    ]
    write_artifacts(artifacts_dir, files, label="an invalid evaluation snapshot")
    upsert_rows(EvalPaths(artifacts_dir).trend, TREND_COLUMNS, [snapshot.trend_row],
                key=TREND_KEY)
    return artifacts_dir / folder
