"""Crash leftovers: temp files of killed writes and orphaned siblings of tracer runs.

A write killed before its rename leaves ``.<name>.<random>.tmp`` beside its target
(:mod:`shared.store.atomic`). :func:`leftovers` finds them under the artifact folders (``tb
validate`` reports each) and :func:`remove_leftovers` deletes them: each stage calls it on its
own folder when it starts, so the next run of the stage cleans up after the one that was
killed. A temp file whose writer is still alive is never touched: the writer holds an
exclusive ``flock`` on it until its rename, and the cleaner only deletes what it can lock.

A tracer run is three files written in order, the run file last; a run killed between them
leaves ``.inputs.json`` / ``.bars.parquet`` without their ``tracer-<run_id>.json``.
:func:`orphans` names them (the next run at the same inputs rewrites all three; they are
reported, never deleted: they may be the only trace of a run that is being repaired).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
from pathlib import Path

from shared.store.atomic import TEMP_SUFFIX
from shared.store.layout import ARTIFACT_ROOTS, RUNS_DIR

__all__ = ["leftovers", "orphans", "remove_leftovers"]

logger = logging.getLogger(__name__)

_SIBLING_SUFFIXES = (".inputs.json", ".bars.parquet")


def leftovers(root: Path, folders: tuple[str, ...] = ARTIFACT_ROOTS) -> list[Path]:
    """Temp files of the atomic writer under ``root``'s artifact folders, sorted."""
    found: list[Path] = []
    for name in folders:
        base = root / name
        if base.is_dir():
            found += [p for p in base.rglob(f".*{TEMP_SUFFIX}") if p.is_file()]
    return sorted(found)


def remove_leftovers(root: Path, folder: str) -> list[Path]:
    """Delete the temp files under ``root/folder`` whose writer is gone; returns them."""
    removed = []
    for path in leftovers(root, (folder,)):
        if _remove_if_abandoned(path):
            logger.warning("removed %s, left by an interrupted write", path)
            removed.append(path)
    return removed


def _remove_if_abandoned(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False  # its writer renamed it meanwhile
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return False  # a live writer holds it
            raise
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            return True
        return False
    finally:
        os.close(fd)


def orphans(root: Path) -> list[Path]:
    """Sibling files of tracer runs (inputs, bars) whose run file is missing, sorted."""
    base = root / RUNS_DIR
    if not base.is_dir():
        return []
    found = []
    for suffix in _SIBLING_SUFFIXES:
        for path in base.glob(f"*/*{suffix}"):
            if path.name.startswith("."):
                continue
            run_file = path.with_name(path.name[: -len(suffix)] + ".json")
            if not run_file.is_file():
                found.append(path)
    return sorted(found)
