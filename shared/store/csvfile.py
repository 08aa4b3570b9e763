"""CSV tables in the artifact tree: render, read, append and upsert rows.

Every change is a read-modify-write of the whole file, so each one holds an exclusive
``fcntl.flock`` on the file's folder for its duration (two processes appending to one file
both keep their rows), validates the new content, and replaces the file atomically with
:func:`shared.store.atomic.atomic_write_bytes`. Rows use ``\\n`` line endings; existing
rows are never rewritten by an append.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from shared.errors import ArtifactError
from shared.store.atomic import PendingFile, atomic_write_bytes
from shared.store.write import validated

__all__ = [
    "append_rows",
    "csv_text",
    "locked",
    "read_rows",
    "upsert_rows",
    "upserted",
    "write_rows",
]

Row = Mapping[str, str]


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Render CSV with a header and ``\\n`` line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def read_rows(path: Path) -> list[dict[str, str]]:
    """Read a CSV as dicts; a missing file reads as no rows.

    Every value is a string: a file that is not UTF-8, does not parse as CSV, or has a row
    with more or fewer fields than its header is an :class:`ArtifactError` naming the file
    and the line, never a row with holes."""
    if not path.exists():
        return []
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise ArtifactError(f"{path}: unreadable ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise ArtifactError(f"{path}: not UTF-8 text (byte {e.start})") from None
    return _rows(path, text)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for a read-modify-write of ``path``.

    The lock is on the folder, not the file: the file is replaced by a rename, so a lock on
    its old inode would not exclude a process that opened the new one. Not re-entrant.
    """
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Replace ``path`` with exactly these rows (a table that holds the current state)."""
    with locked(path):
        _write(path, csv_text(header, rows))


def append_rows(path: Path, header: Sequence[str], rows: Sequence[Row], *,
                key: Sequence[str]) -> int:
    """Append the rows whose ``key`` is in neither the file nor earlier ``rows``; return how
    many were added. A new (or empty) file starts with ``header``; an existing file with
    another header is an :class:`ArtifactError`. Existing bytes are kept as they are.

    Example: ``append_rows(p, ("run_id", "n"), [{"run_id": "ab", "n": "3"}], key=("run_id",))``
    """
    with locked(path):
        existing = path.read_text(encoding="utf-8") if path.is_file() else ""
        seen = {_key(row, key) for row in _parse(path, existing, header)}
        fresh = []
        for row in rows:
            if _key(row, key) not in seen:
                seen.add(_key(row, key))
                fresh.append([row.get(name, "") for name in header])
        if not fresh:
            return 0
        if existing:
            prefix = existing if existing.endswith("\n") else existing + "\n"
            _write(path, prefix + csv_text(header, fresh).split("\n", 1)[1])
        else:
            _write(path, csv_text(header, fresh))
        return len(fresh)


def upsert_rows(path: Path, header: Sequence[str], rows: Sequence[Row], *,
                key: Sequence[str]) -> None:
    """Add rows, replacing any row with the same ``key``, and keep the file sorted by key
    (re-running a stage for the same key leaves one row, not two)."""
    with locked(path):
        ordered = upserted(read_rows(path), rows, key=key)
        _write(path, csv_text(header, ([row.get(name, "") for name in header]
                                       for row in ordered)))


def upserted(current: Sequence[Row], rows: Sequence[Row], *, key: Sequence[str]) -> list[Row]:
    """The rows :func:`upsert_rows` leaves: ``current`` with ``rows`` added or replacing the
    row with the same key, sorted by key."""
    merged: dict[tuple[str, ...], Row] = {}
    for row in [*current, *rows]:
        merged[_key(row, key)] = row
    return [merged[k] for k in sorted(merged)]


def _key(row: Row, key: Sequence[str]) -> tuple[str, ...]:
    return tuple(row.get(name) or "" for name in key)


def _parse(path: Path, text: str, header: Sequence[str]) -> list[dict[str, str]]:
    # The rows of an existing file, after checking that its header is the expected one.
    if not text:
        return []
    found = tuple(next(csv.reader(io.StringIO(text)), ()))
    if found != tuple(header):
        raise ArtifactError(f"{path}: unexpected header {list(found)} "
                            f"(expected {','.join(header)})")
    return _rows(path, text)


# Rows as dicts; a row whose field count is not the header's is an ArtifactError.
def _rows(path: Path, text: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return []
        out = []
        for row in reader:
            if not row:
                continue  # a blank line is not a row
            if len(row) != len(header):
                raise ArtifactError(f"{path}: line {reader.line_num}: {len(row)} fields, "
                                    f"header has {len(header)}")
            out.append(dict(zip(header, row, strict=True)))
    except csv.Error as e:
        raise ArtifactError(f"{path}: line {reader.line_num}: not valid CSV ({e})") from None
    return out


def _write(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    validated([PendingFile(path.name, data)], label=f"an invalid table {path}")
    atomic_write_bytes(path, data)
