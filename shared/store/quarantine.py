"""Quarantine: a corrupt committed artifact is recorded and passed over, never a stop.

A scan that meets a file it cannot use (half written, not JSON, not a valid run), or a table
row that is not whole, reports it (:func:`report`) to the stage that is watching
(:func:`watching`). The stage goes on with the rest, marks its run degraded with
``ARTIFACT_QUARANTINED`` and records each one (:func:`record`) in ``quarantine.csv`` under its
own folder (``runs/``, ``universe_runs/``, ``eval_runs/``)::

    path,sha256,reason_code,detail,found_by,as_of
    runs/2026-03-02/tracer-ab12....json,9f..,ARTIFACT_QUARANTINED,not valid JSON ...,tracer,...

Why a record and not a move to ``_quarantine/``: committed artifacts are immutable records,
and a stage commits only its own folder (``tb eval ingest`` reads ``runs/`` but commits
``eval_runs/``), so it could not commit a move of another stage's file; the bytes stay where
they are for a person to inspect. The record is keyed by ``(path, sha256)``: re-running
records nothing new, a repaired file (another digest) is no longer quarantined, and two
checkouts that record the same file merge to one row (:mod:`shared.store.tables`).

A whole file is quarantined in place. A malformed table row cannot stay in its table (every
later append would refuse the table), so it is moved out: the table is rewritten without it
and its text (up to :data:`MAX_DETAIL_CHARS`) is kept in the record's ``detail``; its digest
is of the row's text. ``tb validate`` names every quarantined file and accepts it while its
digest matches the record.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shared.contracts import ProviderState, ProviderStatus, format_utc, sha256_hex
from shared.store.layout import ARTIFACT_ROOTS
from shared.store.tables import QUARANTINE_COLUMNS, QUARANTINE_FILE

__all__ = [
    "ARTIFACT_QUARANTINED",
    "MAX_DETAIL_CHARS",
    "Suspect",
    "paths",
    "quarantined",
    "record",
    "report",
    "status",
    "summary",
    "watching",
]

logger = logging.getLogger(__name__)

ARTIFACT_QUARANTINED = "ARTIFACT_QUARANTINED"
MAX_DETAIL_CHARS = 2000

_watchers: ContextVar[tuple[list[Suspect], ...]] = ContextVar("quarantine_watchers", default=())


@dataclass(frozen=True)
class Suspect:
    """A file (or one row of a table) that a scan could not use."""

    path: Path
    sha256: str
    detail: str


def report(path: Path, detail: str, data: bytes | None = None) -> bool:
    """Tell every watching stage that ``path`` cannot be used; ``data`` is what was read (a
    file's bytes, a row's text), hashed for the record. Returns whether anyone watches."""
    watchers = _watchers.get()
    if not watchers:
        return False
    if data is None:
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
    suspect = Suspect(path, sha256_hex(data), detail[:MAX_DETAIL_CHARS])
    for found in watchers:
        if suspect not in found:
            found.append(suspect)
    return True


@contextlib.contextmanager
def watching() -> Iterator[list[Suspect]]:
    """Collect what scans :func:`report` inside the block (nested watchers all see it)."""
    found: list[Suspect] = []
    token = _watchers.set((*_watchers.get(), found))
    try:
        yield found
    finally:
        _watchers.reset(token)


def record(root: Path, folder: str, suspects: list[Suspect], *, found_by: str,
           as_of: datetime) -> int:
    """Add each suspect to ``root/folder/quarantine.csv`` (once per path and digest); returns
    how many rows were new. Paths are recorded relative to ``root``."""
    from shared.store.csvfile import append_rows  # csvfile reports here: import late

    rows = [{"path": _relative(s.path, root), "sha256": s.sha256,
             "reason_code": ARTIFACT_QUARANTINED, "detail": s.detail, "found_by": found_by,
             "as_of": format_utc(as_of)} for s in suspects]
    for row in rows:
        logger.warning("quarantined %s (%s): %s", row["path"], found_by, row["detail"])
    if not rows:
        return 0
    return append_rows(root / folder / QUARANTINE_FILE, QUARANTINE_COLUMNS, rows,
                       key=("path", "sha256"))


def paths(suspects: list[Suspect], root: Path) -> list[str]:
    """The quarantined paths, relative to ``root``, sorted, once each."""
    return sorted({_relative(s.path, root) for s in suspects})


def summary(suspects: list[Suspect], root: Path) -> str:
    """One line naming the quarantined paths (for a provider status detail, max 500)."""
    names = paths(suspects, root)
    text = f"{len(names)} artifact(s) quarantined: " + ", ".join(names)
    return text if len(text) <= 500 else text[:497] + "..."


def status(suspects: list[Suspect], root: Path) -> ProviderStatus:
    """The run's status line for its artifact store: degraded, ``ARTIFACT_QUARANTINED``,
    naming what was passed over (a stage puts it on its provider board)."""
    return ProviderStatus(provider="artifacts", state=ProviderState.DEGRADED,
                          reason_codes=(ARTIFACT_QUARANTINED,), detail=summary(suspects, root))


def quarantined(root: Path) -> Mapping[str, dict[str, dict[str, str]]]:
    """Every quarantine record under ``root``: path → sha256 → the record row (with the
    record file under ``"recorded_in"``)."""
    import csv

    found: dict[str, dict[str, dict[str, str]]] = {}
    for folder in ARTIFACT_ROOTS:
        table = root / folder / QUARANTINE_FILE
        if not table.is_file():
            continue
        try:
            with table.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except (OSError, UnicodeDecodeError, csv.Error):
            continue  # tb validate reports the table itself
        for row in rows:
            if row.get("path") and row.get("sha256"):
                entry = {**row, "recorded_in": f"{folder}/{QUARANTINE_FILE}"}
                found.setdefault(row["path"], {})[row["sha256"]] = entry
    return found


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
