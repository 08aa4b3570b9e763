"""Persist evaluation artifacts under ``eval_runs/``: atomic, diff-friendly, append-only.

Layout::

    eval_runs/observations.csv     one row per final forecast (resolved or voided), appended
    eval_runs/unresolved.csv       the claims due but not resolvable yet, with reasons (current)
    eval_runs/ingest_log.csv       one row per ingest as-of time
    eval_runs/trend.csv            one row per snapshot (as_of, kind)
    eval_runs/<YYYYMMDDTHHMMSSZ>/  a snapshot: metrics.json, calibration.csv, cohorts.csv, PNGs

Every write goes to a temp file in the same folder and is renamed over the target, so a
crashed run never leaves half a file. JSON has sorted keys, 2-space indent and a trailing
newline; CSV rows are in a stable order with ``\\n`` line endings.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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

__all__ = [
    "EvalPaths",
    "append_observations",
    "atomic_write_bytes",
    "atomic_write_text",
    "csv_text",
    "read_csv_rows",
    "read_observations",
    "snapshot_dir_name",
    "upsert_rows",
    "write_json",
    "write_unresolved",
]


class EvalPaths:
    """Where the evaluation artifacts live under an artifacts root."""

    def __init__(self, artifacts_dir: Path) -> None:
        self.root = artifacts_dir / "eval_runs"
        self.observations = self.root / "observations.csv"
        self.unresolved = self.root / "unresolved.csv"
        self.ingest_log = self.root / "ingest_log.csv"
        self.trend = self.root / "trend.csv"

    def snapshot(self, as_of: datetime) -> Path:
        """The snapshot folder for an as-of time."""
        return self.root / snapshot_dir_name(as_of)


def snapshot_dir_name(as_of: datetime) -> str:
    """``YYYYMMDDTHHMMSSZ`` of the as-of time (never the wall clock)."""
    return as_of.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write bytes to ``path`` via a temp file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        tmp.chmod(0o644)  # mkstemp makes 0600; artifacts are committed and shared
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, value: Any) -> None:
    """Write JSON with sorted keys, 2-space indent and a trailing newline."""
    text = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    atomic_write_text(path, text + "\n")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Render CSV with ``\\n`` line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Read a CSV as dicts; a missing file reads as no rows."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_observations(path: Path) -> list[Observation]:
    """Read ``observations.csv`` (no file: none yet). Raises ArtifactError on a bad row."""
    rows = read_csv_rows(path)
    out = []
    for line, row in enumerate(rows, start=2):
        try:
            out.append(observation_from_row(row))
        except (KeyError, ValueError) as e:
            raise ArtifactError(f"{path}: line {line}: unreadable observation ({e})") from e
    return out


def append_observations(path: Path, new: Sequence[Observation]) -> int:
    """Append observations whose ids are not in the file yet; return how many were added.

    Existing rows are never rewritten or reordered (append-only).
    """
    existing = {row["forecast_id"] for row in read_csv_rows(path)}
    fresh = [item for item in new if item.forecast_id not in existing]
    if not fresh:
        return 0
    if path.exists():
        current = path.read_text(encoding="utf-8")
        if current and not current.endswith("\n"):
            current += "\n"
        body = csv_text(OBSERVATION_COLUMNS, (observation_row(o) for o in fresh))
        text = current + body.split("\n", 1)[1]
    else:
        text = csv_text(OBSERVATION_COLUMNS, (observation_row(o) for o in fresh))
    atomic_write_text(path, text)
    return len(fresh)


def write_unresolved(path: Path, items: Sequence[Unresolved]) -> None:
    """Rewrite the list of claims that are due but unresolved (the current state)."""
    atomic_write_text(path, csv_text(UNRESOLVED_COLUMNS, (unresolved_row(u) for u in items)))


def upsert_rows(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Mapping[str, str]],
    *,
    key: Sequence[str],
) -> None:
    """Add rows to a log CSV, replacing any row with the same key, sorted by key.

    Re-running a stage for the same as-of time therefore leaves one row, not two.
    """
    merged: dict[tuple[str, ...], Mapping[str, str]] = {}
    for row in [*read_csv_rows(path), *rows]:
        merged[tuple(row.get(name, "") for name in key)] = row
    ordered = [merged[k] for k in sorted(merged)]
    atomic_write_text(
        path, csv_text(header, ([row.get(name, "") for name in header] for row in ordered))
    )
