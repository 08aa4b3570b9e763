"""CSV tables in the artifact tree: render, read, append and upsert rows.

Every change is a read-modify-write of the whole file, so each one holds an exclusive
``fcntl.flock`` on the file's folder for its duration (two processes appending to one file
both keep their rows), validates the new content, and replaces the file atomically with
:func:`shared.store.atomic.atomic_write_bytes`. Rows use ``\\n`` line endings; existing
rows are never rewritten by an append, with one exception: a row that is not whole (another
field count than the header, or not UTF-8) is moved out of the table into the quarantine
record of the stage that is watching (:mod:`shared.store.quarantine`); with no stage watching
it is an :class:`ArtifactError`, as before.
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
from shared.store import quarantine
from shared.store.atomic import PendingFile, atomic_write_bytes
from shared.store.write import validated

__all__ = [
    "append_rows",
    "csv_text",
    "locked",
    "read_rows",
    "read_whole_rows",
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


def read_whole_rows(path: Path, header: Sequence[str]) -> list[dict[str, str]]:
    """Read a table's whole rows (keyed by ``header``'s names); a row that is not whole is
    reported to the watching stage and left out (:class:`ArtifactError` when none watches).
    The file is not changed: the next append or upsert moves the row out."""
    whole, _ = _split(path, _read_text(path), header, check_header=False)
    return [dict(zip(header, row, strict=True)) for row in whole]


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
        existing = _read_text(path)
        whole, bad = _split(path, existing, header)
        if bad:  # the malformed rows were quarantined: rewrite the table without them
            existing = csv_text(header, whole)
        seen = {_key(dict(zip(header, row, strict=True)), key) for row in whole}
        fresh = []
        for row in rows:
            if _key(row, key) not in seen:
                seen.add(_key(row, key))
                fresh.append([row.get(name, "") for name in header])
        if not fresh:
            if bad:
                _write(path, existing)
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
        whole, _ = _split(path, _read_text(path), header, check_header=False)
        current = [dict(zip(header, row, strict=True)) for row in whole]
        ordered = upserted(current, rows, key=key)
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


def _read_text(path: Path) -> str:
    # Undecodable bytes survive as surrogates, so the rows holding them can be set aside.
    if not path.is_file():
        return ""
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


def _split(path: Path, text: str, header: Sequence[str], *, check_header: bool = True
           ) -> tuple[list[list[str]], list[str]]:
    # The whole rows of an existing file (after checking its header) and the text of each
    # row that is not whole, which is reported to the watching stage (or refused).
    if not text:
        return [], []
    records = csv.reader(io.StringIO(text, newline=""))
    try:
        found = next(records, [])
    except csv.Error as e:
        raise ArtifactError(f"{path}: line 1: not valid CSV ({e})") from None
    if check_header and tuple(found) != tuple(header):
        raise ArtifactError(f"{path}: unexpected header {found} "
                            f"(expected {','.join(header)})")
    columns = len(found)
    order = [found.index(name) if name in found else None for name in header]
    whole: list[list[str]] = []
    bad: list[str] = []
    for row in _records(path, records):
        if not row:
            continue
        text_row = csv_text(row, []).rstrip("\n")
        if len(row) != columns:
            why = f"{len(row)} fields, header has {columns}"
        elif any(_undecodable(cell) for cell in row):
            why = "not UTF-8"
        else:
            # In the order of ``header`` (an upsert may meet an older header).
            whole.append(["" if i is None else row[i] for i in order])
            continue
        data = text_row.encode("utf-8", errors="surrogateescape")
        detail = f"row not whole ({why}): {data.decode('utf-8', errors='replace')}"
        if not quarantine.report(path, detail, data):
            raise ArtifactError(f"{path}: a row is not whole ({why}); no stage is recording "
                                "quarantined rows, so the table is left as it is")
        bad.append(text_row)
    return whole, bad


def _records(path: Path, records: Iterator[list[str]]) -> Iterator[list[str]]:
    # csv.Error (a field over the size limit, a NUL) names the file and line, never escapes.
    while True:
        try:
            row = next(records)
        except StopIteration:
            return
        except csv.Error as e:
            raise ArtifactError(f"{path}: not valid CSV ({e})") from None
        yield row


def _undecodable(cell: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in cell)


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
