"""The content-addressed bar store: bars recorded once, referenced by digest.

An hourly tracer run decides on a window of ``history_hours`` bars, and the next run's window
holds almost the same bars. Recording the window whole in every run made bars half of the
repository's growth. Here a run's bars are cut by UTC day of their ``start`` and each day's
slice is written once as ``runs/bars/<sha256>.parquet``, named by the SHA-256 of its bytes
(deterministic Parquet, :func:`shared.store.atomic.parquet_bytes`); a later run whose slice
of a past day is the same bytes references the same file. A run lists its slices in its
manifest's ``files`` (path -> digest), and its inputs record ``bars_file = "runs/bars/"``.

:func:`join_slices` rebuilds the window from the slices (ordered by ``start``); replay
checks that the rebuilt frame gives back the run's whole-window bytes. Runs recorded before
this store keep their ``tracer-<id>.bars.parquet`` and replay from it unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from shared.contracts import sha256_hex
from shared.errors import ArtifactError
from shared.store.atomic import PendingFile, parquet_bytes
from shared.store.layout import RUNS_DIR

__all__ = ["BARS_DIR", "BARS_REF", "is_slice_path", "join_slices", "new_slices",
           "slice_bars", "slice_path"]

BARS_DIR = f"{RUNS_DIR}/bars"
BARS_REF = f"{BARS_DIR}/"  # what a run's inputs record as its bars_file


def slice_path(digest: str) -> str:
    """``runs/bars/<digest>.parquet``."""
    return f"{BARS_DIR}/{digest}.parquet"


def is_slice_path(relpath: str) -> bool:
    """Whether ``relpath`` names a slice in the store (``runs/bars/<64 hex>.parquet``)."""
    if not relpath.startswith(BARS_REF) or not relpath.endswith(".parquet"):
        return False
    stem = relpath[len(BARS_REF):-len(".parquet")]
    return len(stem) == 64 and all(c in "0123456789abcdef" for c in stem)


def slice_bars(frame: pd.DataFrame) -> list[PendingFile]:
    """Cut ``frame`` (bars with a ``symbol`` column) by UTC day of ``start``; one file per
    day, named by its digest, in time order. An empty frame is one empty slice, so every run
    references at least one file."""
    if frame.empty:
        parts = [frame.reset_index(drop=True)]
    else:
        days = frame["start"].dt.tz_convert("UTC").dt.floor("D")
        parts = [part.reset_index(drop=True) for _, part in frame.groupby(days, sort=True)]
    files = []
    for part in parts:
        data = parquet_bytes(part)
        files.append(PendingFile(slice_path(sha256_hex(data)), data))
    return files


def join_slices(blobs: Iterable[tuple[str, bytes]]) -> pd.DataFrame:
    """The window back from its slices (``(relpath, bytes)``), rows ordered by ``start``.
    Raises :class:`ArtifactError` naming an unreadable slice; a slice whose bytes are not its
    digest is the caller's to report (replay lists it as a difference)."""
    frames = []
    for relpath, data in blobs:
        try:
            frames.append(pq.read_table(io.BytesIO(data)).to_pandas())
        except Exception as e:  # noqa: BLE001 - pyarrow raises several unrelated types
            raise ArtifactError(f"{relpath}: not a readable Parquet file "
                                f"({type(e).__name__})") from None
    if not frames:
        raise ArtifactError("a run references no bar slices")
    if len(frames) == 1:
        return frames[0]
    joined = pd.concat(frames, ignore_index=True)
    return joined.sort_values("start", kind="stable").reset_index(drop=True)


def new_slices(root: Path, files: Iterable[PendingFile]) -> list[PendingFile]:
    """The slices not yet in the store under ``root`` (a slice is written once: an existing
    file of that name holds those bytes, or validation names it as corrupt)."""
    return [f for f in files if not (root / f.relpath).exists()]
