"""The one atomic writer: a crash never leaves half a file.

Each file goes to a temp file in the same folder (``.<name>.<random>.tmp``), is flushed and
fsynced, then renamed over the target with ``os.replace``; the folder is fsynced so the rename
survives a power cut. On any failure the temp file is removed; a writer that is killed (no
chance to clean up) leaves its temp file, which :mod:`shared.store.hygiene` finds and removes
(the writer holds an ``flock`` on it until the rename, so a live write is never taken for a
leftover). A set of files is written as a batch (:func:`commit_files`): all are rendered
(and, in :mod:`shared.store.write`, validated) first, and only then moved into place.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "TEMP_SUFFIX",
    "PendingFile",
    "atomic_write_bytes",
    "atomic_write_text",
    "commit_files",
    "parquet_bytes",
]

TEMP_SUFFIX = ".tmp"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (same-directory temp file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _locked_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            Path(tmp).chmod(0o666 & ~_umask())  # mkstemp makes 0600; artifacts are plain files
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            Path(tmp).replace(path)  # still holding the lock (closing releases it)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


# A temp file beside ``path`` (``.<name>.<random>.tmp``), held under an exclusive flock for
# as long as the writer lives: a killed writer's lock goes with it, so a cleaner that can take
# the lock knows the file is a leftover (shared.store.hygiene). A cleaner unlinks only while
# holding the lock; a writer that finds its new file already unlinked makes another.
def _locked_temp(path: Path) -> tuple[int, str]:
    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink > 0:
            return fd, tmp
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_dir(directory: Path) -> None:
    # Make the rename durable; some filesystems refuse to fsync a directory, which is fine.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@dataclass(frozen=True)
class PendingFile:
    """A file rendered in memory, waiting to be written."""

    relpath: str
    data: bytes


def commit_files(root: Path, files: Iterable[PendingFile]) -> list[Path]:
    """Write every pending file under ``root``; the last one is written last (put the file
    that refers to the others there, so readers never see a dangling reference)."""
    written = []
    for item in files:
        target = root / item.relpath
        atomic_write_bytes(target, item.data)
        written.append(target)
    return written


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Serialize a frame to Parquet deterministically (no pandas metadata, no index)."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()
