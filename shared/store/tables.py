"""The keyed CSV tables of the artifact tree, and how two versions of one are merged.

Each table holds at most one row per key. Three kinds:

* ``append`` — a log in arrival order (``observations.csv`` by ``forecast_id``,
  ``metrics.csv`` by ``run_id``, the quarantine records by ``path`` and ``sha256``).
* ``sorted`` — one row per key, kept sorted by key (``ingest_log.csv``, ``trend.csv``).
* ``state``  — the current state as the last run of its stage computed it
  (``unresolved.csv``): not history, so it is recomputed, never accumulated.

:func:`merge_table` is what ``autocommit.py`` does when a rebase meets two versions of one
of these: the remote's rows win for a key both sides hold (the remote was pushed first and
others may already have read it), the local rows with new keys follow. A ``state`` table is
recomputed from its invariant: the union of both sides' rows by key, less every key that its
``resolved_by`` table now holds (a claim resolved on either side is no longer unresolved);
the next run of its stage rewrites it whole in any case. ``tb validate`` reports a table with
a duplicate key (:func:`duplicate_keys`).

Stdlib only: ``autocommit.py`` imports it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "KEYED_TABLES",
    "KeyTracker",
    "QUARANTINE_COLUMNS",
    "QUARANTINE_FILE",
    "TableSpec",
    "duplicate_keys",
    "key_index",
    "keys_of",
    "merge_table",
    "table_for",
]

QUARANTINE_FILE = "quarantine.csv"
QUARANTINE_COLUMNS = ("path", "sha256", "reason_code", "detail", "found_by", "as_of")

TableKind = Literal["append", "sorted", "state"]


@dataclass(frozen=True)
class TableSpec:
    """A keyed table: its path relative to the artifacts root, key columns and kind."""

    path: str
    key: tuple[str, ...]
    kind: TableKind
    resolved_by: str | None = None  # state tables: the table whose keys leave this one


KEYED_TABLES: tuple[TableSpec, ...] = (
    TableSpec("universe_runs/metrics.csv", ("run_id",), "append"),
    TableSpec("eval_runs/observations.csv", ("forecast_id",), "append"),
    TableSpec("eval_runs/ingest_log.csv", ("as_of",), "sorted"),
    TableSpec("eval_runs/trend.csv", ("as_of", "kind"), "sorted"),
    TableSpec("eval_runs/unresolved.csv", ("forecast_id",), "state",
              resolved_by="eval_runs/observations.csv"),
    *(TableSpec(f"{root}/{QUARANTINE_FILE}", ("path", "sha256"), "append")
      for root in ("runs", "universe_runs", "eval_runs")),
    *(TableSpec(f"{root}/autocommit_log.csv", ("at", "stage", "run_id"), "append")
      for root in ("runs", "universe_runs", "eval_runs")),
)


def table_for(relpath: str) -> TableSpec | None:
    """The spec of the table at ``relpath`` (relative to the artifacts root, or to a repo
    whose artifacts root is a folder of it: matched on the trailing path)."""
    for spec in KEYED_TABLES:
        if relpath == spec.path or relpath.endswith("/" + spec.path):
            return spec
    return None


def merge_table(spec: TableSpec, upstream: str, local: str, *,
                resolved: Iterable[tuple[str, ...]] = ()) -> str | None:
    """Merge two versions of a keyed table; ``None`` when the headers differ or lack a key
    column. ``resolved`` (for a ``state`` table) holds the keys to drop.

    Example: ``merge_table(spec_by_id, "id,v\\n1,a\\n", "id,v\\n1,b\\n2,c\\n")`` gives
    ``"id,v\\n1,a\\n2,c\\n"`` (the remote's row for key 1, the local row for key 2).
    """
    up_header, up_rows = _parse(upstream)
    lo_header, lo_rows = _parse(local)
    header = up_header or lo_header
    if up_header and lo_header and up_header != lo_header:
        return None
    index = key_index(spec, header)
    if index is None:
        return None
    merged: dict[tuple[str, ...], list[str]] = {}
    for row in [*up_rows, *lo_rows]:
        merged.setdefault(tuple(_cell(row, i) for i in index), row)
    if spec.kind == "state":
        for key in set(resolved):
            merged.pop(key, None)
    keys = sorted(merged) if spec.kind == "sorted" else list(merged)
    return _render(header, [merged[k] for k in keys])


def key_index(spec: TableSpec, header: Sequence[str]) -> list[int] | None:
    """Where the key columns stand in ``header``; ``None`` when one is missing."""
    if not header or not all(name in header for name in spec.key):
        return None
    return [header.index(name) for name in spec.key]


@dataclass
class KeyTracker:
    """One row at a time (a file read as a stream), the rows whose key an earlier row
    already holds: the one duplicate-key rule of :func:`duplicate_keys` and ``tb validate``."""

    index: list[int]
    seen: set[tuple[str, ...]] = field(default_factory=set)

    @classmethod
    def for_header(cls, spec: TableSpec, header: Sequence[str]) -> KeyTracker | None:
        index = key_index(spec, header)
        return cls(index) if index is not None else None

    def repeated(self, row: Sequence[str]) -> tuple[str, ...] | None:
        """The row's key when an earlier row held it, else ``None`` (and it is remembered)."""
        key = tuple(_cell(row, i) for i in self.index)
        if key in self.seen:
            return key
        self.seen.add(key)
        return None


def duplicate_keys(spec: TableSpec, text: str) -> list[tuple[int, tuple[str, ...]]]:
    """``(line, key)`` of every row whose key an earlier row already holds."""
    header, rows = _parse(text)
    tracker = KeyTracker.for_header(spec, header)
    if tracker is None:
        return []
    return [(line, key) for line, row in enumerate(rows, start=2)
            if (key := tracker.repeated(row)) is not None]


def keys_of(spec: TableSpec, text: str) -> set[tuple[str, ...]]:
    """Every key in a version of the table (for a ``state`` table's ``resolved``)."""
    header, rows = _parse(text)
    index = key_index(spec, header)
    if index is None:
        return set()
    return {tuple(_cell(row, i) for i in index) for row in rows}


def _cell(row: Sequence[str], i: int) -> str:
    return row[i] if i < len(row) else ""


def _parse(text: str) -> tuple[list[str], list[list[str]]]:
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    return (rows[0], rows[1:]) if rows else ([], [])


def _render(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
