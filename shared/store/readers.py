"""Readers of committed artifacts: the one place that finds, parses and validates runs.

Scans (:func:`tracer_runs`, :func:`universe_runs`, :func:`latest_universe_run`) read the day
folders of the layout and keep the files whose top-level ``type`` is the kind asked for.
Files of another type (``.inputs.json``, ``latest.json``) are passed over quietly; temp files
of the atomic writer (``.<name>.tmp``) are never looked at. A file that cannot be used (half
written, not JSON, or a run that does not validate) is skipped with a WARNING naming the file
and why, and reported to the stage watching for it (:mod:`shared.store.quarantine`), which
records it and marks its run degraded: one bad file cannot stop a scheduled run.

Lookups of one named thing (:func:`read_artifact`, :func:`find_tracer_run`) raise
:class:`ArtifactError` instead: there is nothing to fall back to.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.contracts import TracerRun
from shared.contracts.universe import UniverseRun
from shared.errors import ArtifactError
from shared.store import quarantine
from shared.store.layout import RUNS_DIR, UNIVERSE_DIR
from shared.store.limits import oversize

__all__ = [
    "find_tracer_run",
    "latest_universe_run",
    "parse_artifact",
    "read_artifact",
    "read_bytes",
    "tracer_runs",
    "tracer_runs_with_paths",
    "universe_runs",
    "universe_runs_with_paths",
]

logger = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)


def read_artifact(path: Path, model: type[ModelT]) -> ModelT:
    """Read and validate one artifact; :class:`ArtifactError` names the file and the first
    problem when it is missing, unreadable or invalid."""
    return parse_artifact(path, read_bytes(path), model)


def read_bytes(path: Path) -> bytes:
    """The bytes of one artifact file (:class:`ArtifactError` when missing or unreadable)."""
    try:
        if (too_large := oversize(path)) is not None:
            raise ArtifactError(f"{path}: {too_large}")
        return path.read_bytes()
    except FileNotFoundError:
        raise ArtifactError(f"{path}: missing (the record is incomplete)") from None
    except OSError as e:
        raise ArtifactError(f"{path}: unreadable ({e.strerror})") from None


def parse_artifact(path: Path, data: bytes, model: type[ModelT]) -> ModelT:
    """Validate bytes read from ``path`` as ``model`` (:class:`ArtifactError` when invalid)."""
    try:
        return model.model_validate_json(data)
    except ValidationError as e:
        raise ArtifactError(f"{path}: not a valid {model.__name__} record "
                            f"({_first_error(e)})") from None


def tracer_runs(root: Path, *, days: Iterable[date] | None = None) -> list[TracerRun]:
    """The valid tracer runs under ``root/runs`` (only the given days' folders when
    ``days`` is set), in path order."""
    return [run for _, run in tracer_runs_with_paths(root, days=days)]


def tracer_runs_with_paths(root: Path, *, days: Iterable[date] | None = None
                           ) -> Iterator[tuple[Path, TracerRun]]:
    """Like :func:`tracer_runs`, each run with its file, one at a time (lazily)."""
    paths = _day_files(root / RUNS_DIR, days, skip_suffix=".inputs.json")
    return _valid(paths, "tracer_run", TracerRun)


def universe_runs(root: Path, *, days: Iterable[date] | None = None) -> list[UniverseRun]:
    """The valid universe runs under ``root/universe_runs`` (shard partials under ``_shards``
    are not runs), in path order."""
    paths = _day_files(root / UNIVERSE_DIR, days)
    return [run for _, run in _valid(paths, "universe_run", UniverseRun)]


def universe_runs_with_paths(root: Path, *, days: Iterable[date] | None = None
                             ) -> Iterator[tuple[Path, UniverseRun]]:
    """Like :func:`universe_runs`, each run with its file, one at a time (lazily)."""
    return _valid(_day_files(root / UNIVERSE_DIR, days), "universe_run", UniverseRun)


def latest_universe_run(root: Path, run_id: str | None = None) -> UniverseRun:
    """The universe run ``run_id``, or the newest (by as-of, then run id).

    Only the chosen file is validated; :class:`ArtifactError` when there is none or it is
    invalid."""
    candidates = []
    for path in _day_files(root / UNIVERSE_DIR, None):
        if run_id is not None and path.stem != run_id:
            continue
        head = _head(path)
        if head is not None and head.get("type") == "universe_run":
            candidates.append((str(head.get("as_of")), path.stem, path))
    if not candidates:
        wanted = f"run {run_id}" if run_id else "any universe run"
        raise ArtifactError(f"{root / UNIVERSE_DIR}: found no {wanted}")
    return read_artifact(max(candidates)[2], UniverseRun)


def find_tracer_run(root: Path, run_id: str) -> Path:
    """The file of tracer run ``run_id`` (``runs/*/tracer-<run_id>.json``)."""
    found = sorted(root.glob(f"{RUNS_DIR}/*/tracer-{run_id}.json"))
    if not found:
        raise ArtifactError(f"no recorded run {run_id}: {root / RUNS_DIR}/*/tracer-{run_id}.json "
                            "does not exist")
    if len(found) > 1:
        raise ArtifactError(f"run {run_id} is recorded twice: {', '.join(map(str, found))}")
    return found[0]


def _day_files(base: Path, days: Iterable[date] | None, skip_suffix: str = "") -> list[Path]:
    # JSON files in the day folders under ``base`` (``_``-folders and dot files excluded).
    if days is None:
        folders = sorted(p for p in base.glob("*") if p.is_dir() and not p.name.startswith("_"))
    else:
        folders = [base / day.isoformat() for day in sorted(set(days))]
    return [path for folder in folders for path in sorted(folder.glob("*.json"))
            if not path.name.startswith(".")
            and not (skip_suffix and path.name.endswith(skip_suffix))]


def _head(path: Path) -> dict[str, Any] | None:
    # The parsed JSON object, or None (with a warning) when the file cannot be used.
    loaded = _load(path)
    return None if loaded is None else loaded[1]


def _load(path: Path) -> tuple[bytes, dict[str, Any]] | None:
    data = b""
    try:
        if (too_large := oversize(path)) is not None:
            logger.warning("skipping %s: %s", path, too_large)
            return None
        data = path.read_bytes()
        doc = json.loads(data)
    except OSError as e:
        _skip(path, f"unreadable ({e.strerror})", data)
        return None
    except ValueError as e:
        _skip(path, f"not valid JSON, half-written or corrupt ({e})", data)
        return None
    if not isinstance(doc, dict):
        _skip(path, "not a JSON object", data)
        return None
    return data, doc


def _skip(path: Path, why: str, data: bytes) -> None:
    logger.warning("skipping %s: %s", path, why)
    quarantine.report(path, why, data)


def _valid(paths: Iterable[Path], kind: str, model: type[ModelT]
           ) -> Iterator[tuple[Path, ModelT]]:
    for path in paths:
        loaded = _load(path)
        if loaded is None or loaded[1].get("type") != kind:
            continue
        try:
            yield path, model.model_validate_json(loaded[0])
        except ValidationError as e:
            _skip(path, f"invalid {kind} ({_first_error(e)})", loaded[0])


def _first_error(e: ValidationError) -> str:
    first = e.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "<root>"
    return f"{e.error_count()} errors; first at {where}: {first['msg']}"
