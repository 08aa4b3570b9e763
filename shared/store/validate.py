"""Check every artifact under an artifacts root (``tb validate``).

Each ``*.json`` under ``runs/``, ``universe_runs/`` and ``eval_runs/`` must parse, carry a
known ``type``, validate against ``schemas/<type>.schema.json`` and against its pydantic
model (which adds the cross-field invariants), and match the digests its manifest lists.
Every ``*.parquet`` must hold valid bars; every ``*.csv`` must be rectangular, and a keyed
table (:mod:`shared.store.tables`) must hold one row per key. Nothing is skipped: a file that
cannot be checked is a problem, and so is a temp file left by an interrupted write (the next
run of its stage removes it). Before a write, :func:`check_artifact_bytes` also accepts
``*.png`` plots (PNG signature only) and ``*.md`` reports (UTF-8 text).

:func:`check_tree` also names what is accepted but worth a look: files a stage quarantined
(listed in a ``quarantine.csv`` with the digest they still have, :mod:`shared.store.quarantine`)
and tracer inputs/bars whose run file is missing (:mod:`shared.store.hygiene`).

Memory is bounded whatever is on disk: a file over
:data:`~shared.store.limits.MAX_ARTIFACT_BYTES` is a problem and is never read; CSVs are
read row by row and the manifest's digests are computed in chunks, so only one JSON or
Parquet artifact under the limit is in memory at a time.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow.parquet as pq
from pydantic import BaseModel, ValidationError

from shared.contracts.frames import validate_bars_frame
from shared.contracts.schemas import ARTIFACT_MODELS, SCHEMA_MODELS, schema_text
from shared.errors import ContractViolation
from shared.store import hygiene, quarantine
from shared.store.layout import ARTIFACT_ROOTS
from shared.store.limits import oversize
from shared.store.tables import KeyTracker, table_for

__all__ = [
    "ARTIFACT_ROOTS",
    "Problem",
    "TreeReport",
    "check_artifact_bytes",
    "check_tree",
    "iter_artifacts",
    "validate_file",
    "validate_tree",
]

_CHECKED_SUFFIXES = (".json", ".parquet", ".csv")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Problem:
    path: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.path}{where}: {self.message}"


def iter_artifacts(root: Path) -> Iterator[Path]:
    for name in ARTIFACT_ROOTS:
        base = root / name
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and path.suffix in _CHECKED_SUFFIXES:
                    if not path.name.startswith("."):
                        yield path


@dataclass(frozen=True)
class TreeReport:
    """What :func:`check_tree` found: ``problems`` make the tree invalid; ``quarantined``
    and ``orphans`` are accepted and named."""

    count: int
    problems: list[Problem]
    quarantined: list[Problem]
    orphans: list[Problem]


def validate_tree(root: Path) -> tuple[int, list[Problem]]:
    """Return (files checked, problems)."""
    report = check_tree(root)
    return report.count, report.problems


def check_tree(root: Path, on_file: Callable[[str], None] | None = None) -> TreeReport:
    """Check every artifact under ``root``, crash leftovers and quarantine records.
    ``on_file`` is told each file's relative path once checked (for progress)."""
    problems: list[Problem] = []
    count = 0
    for path in iter_artifacts(root):
        count += 1
        problems.extend(validate_file(path, root))
        if on_file is not None:
            on_file(_rel(path, root))
    records = quarantine.quarantined(root) if problems else {}
    accepted: list[Problem] = []
    for rel in sorted({p.path for p in problems}):
        entry = records.get(rel, {}).get(_digest(root / rel))
        if entry is not None:
            accepted.append(Problem(rel, "", f"{entry.get('detail', '')} (recorded in "
                                             f"{entry['recorded_in']} by {entry.get('found_by')})"))
    skipped = {p.path for p in accepted}
    problems = [p for p in problems if p.path not in skipped]
    problems += [Problem(_rel(path, root), "", "temp file left by an interrupted write (the "
                         "next run of its stage removes it)") for path in hygiene.leftovers(root)]
    orphans = [Problem(_rel(path, root), "", "its run file is missing (a run interrupted "
                       "between its files)") for path in hygiene.orphans(root)]
    return TreeReport(count, problems, accepted, orphans)


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _digest(path: Path) -> str:
    # In chunks (bounded memory, like every read here).
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return ""


def validate_file(path: Path, root: Path) -> list[Problem]:
    rel = path.relative_to(root).as_posix()
    try:
        too_large = oversize(path)
        if too_large is not None:
            return [Problem(rel, "", too_large)]
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as handle:
                return _csv_problems(rel, handle)
        data = path.read_bytes()
    except OSError as e:
        return [Problem(rel, "", f"unreadable: {e.strerror}")]
    if path.suffix == ".parquet":
        return _validate_parquet(rel, data)
    return _validate_json(rel, data, root)


def check_artifact_bytes(rel: str, data: bytes) -> list[Problem]:
    """Validate an artifact before it is written (schema, model; not the manifest's files,
    which are checked by ``tb validate`` once everything is on disk)."""
    if rel.endswith(".parquet"):
        return _validate_parquet(rel, data)
    if rel.endswith(".csv"):
        return _validate_csv(rel, data)
    if rel.endswith(".png"):
        return [] if data.startswith(_PNG_SIGNATURE) else [Problem(rel, "", "not a PNG image")]
    if rel.endswith(".md"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            return [Problem(rel, "", f"not UTF-8 text: {e}")]
        return []
    if not rel.endswith(".json"):
        return [Problem(rel, "", "no validator for this kind of file")]
    return _validate_json(rel, data, None)


def _validate_json(rel: str, data: bytes, root: Path | None) -> list[Problem]:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return [Problem(rel, "", f"not valid JSON: {e}")]
    if not isinstance(doc, dict):
        return [Problem(rel, "", "top level must be a JSON object")]
    kind = doc.get("type")
    model = ARTIFACT_MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = ", ".join(sorted(ARTIFACT_MODELS))
        return [Problem(rel, "type", f"unknown artifact type {kind!r} (known: {known})")]
    problems = [
        Problem(rel, "/".join(str(p) for p in err.absolute_path) or "<root>", err.message)
        for err in sorted(_validator(kind).iter_errors(doc), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        return problems
    try:
        instance = model.model_validate_json(data)
    except ValidationError as e:
        return [
            Problem(rel, ".".join(str(p) for p in err["loc"]) or "<root>", err["msg"])
            for err in e.errors()
        ]
    return [] if root is None else _check_manifest_files(rel, instance, root)


def _check_manifest_files(rel: str, instance: BaseModel, root: Path) -> list[Problem]:
    manifest: Any = getattr(instance, "manifest", None)
    files: dict[str, str] = getattr(manifest, "files", {}) if manifest is not None else {}
    problems = []
    for name, digest in sorted(files.items()):
        target = root / name
        if not target.is_file():
            problems.append(Problem(rel, f"manifest.files.{name}", "listed file is missing"))
        elif _file_sha256(target) != digest:
            problems.append(
                Problem(rel, f"manifest.files.{name}", "file does not match its sha256")
            )
    return problems


# The sha256 of a file, read in chunks (any size, fixed memory).
def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _validate_parquet(rel: str, data: bytes) -> list[Problem]:
    try:
        frame = pq.read_table(io.BytesIO(data)).to_pandas()
    except Exception as e:  # pyarrow raises several unrelated types for corrupt files
        return [Problem(rel, "", f"not a readable Parquet file: {type(e).__name__}: {e}")]
    if "symbol" not in frame.columns:
        return [Problem(rel, "symbol", "bars file has no symbol column")]
    problems = []
    for symbol, group in frame.groupby("symbol", sort=True):
        try:
            validate_bars_frame(group, symbol=str(symbol))
        except ContractViolation as e:
            problems.append(Problem(rel, str(symbol), str(e)))
    return problems


def _validate_csv(rel: str, data: bytes) -> list[Problem]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return [Problem(rel, "", f"not valid CSV: {e}")]
    return _csv_problems(rel, io.StringIO(text, newline=""))


# Rows are checked as they are read: memory holds one row (csv's field size limit bounds it).
def _csv_problems(rel: str, lines: Iterable[str]) -> list[Problem]:
    # One pass, row by row (bounded memory): rectangular, and one row per key in a keyed
    # table (shared.store.tables).
    problems: list[Problem] = []
    width: int | None = None
    spec = table_for(rel)
    keys: KeyTracker | None = None
    duplicates: list[Problem] = []
    try:
        for number, row in enumerate(csv.reader(lines), start=1):
            if width is None:
                width = len(row)
                keys = KeyTracker.for_header(spec, row) if spec is not None else None
                continue
            if len(row) != width:
                problems.append(Problem(rel, f"line {number}",
                                        f"{len(row)} fields, header has {width}"))
                continue
            if keys is not None and spec is not None and row:
                key = keys.repeated(row)
                if key is not None:
                    duplicates.append(Problem(
                        rel, f"line {number}", f"duplicate key {','.join(spec.key)}="
                        f"{','.join(key)} (one row per key)"))
    except (UnicodeDecodeError, csv.Error) as e:
        return [Problem(rel, "", f"not valid CSV: {e}")]
    if width is None:
        return [Problem(rel, "", "empty CSV (no header)")]
    if not problems:
        problems = duplicates
    return problems


@cache
def _validator(kind: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_text(kind, SCHEMA_MODELS[kind]))
    cls = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator
