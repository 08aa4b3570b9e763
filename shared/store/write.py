"""Validate, then write: the only way an artifact reaches disk.

Every file of a batch is checked first (JSON against its schema and pydantic model, Parquet
as bars, CSV as rectangular, PNG by signature); if any fails, nothing is written and the
error names every bad file and field. Then the files are written atomically, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from shared.contracts import canonical_json
from shared.errors import ArtifactError
from shared.store.atomic import PendingFile, commit_files
from shared.store.validate import check_artifact_bytes

__all__ = ["json_file", "validated", "write_artifacts"]


def json_file(relpath: str, value: BaseModel) -> PendingFile:
    """A contract rendered as canonical JSON, waiting to be written at ``relpath``."""
    return PendingFile(relpath, canonical_json(value).encode("utf-8"))


def validated(files: Sequence[PendingFile], *, label: str = "invalid artifacts"
              ) -> list[PendingFile]:
    """``files`` unchanged, or :class:`ArtifactError` naming every problem.

    ``label`` is what the refusal calls the batch (``"refusing to write <label>: ..."``).
    """
    problems = [p for item in files for p in check_artifact_bytes(item.relpath, item.data)]
    if problems:
        raise ArtifactError(f"refusing to write {label}:\n"
                            + "\n".join(f"  {p}" for p in problems))
    return list(files)


def write_artifacts(root: Path, files: Sequence[PendingFile], *,
                    label: str = "invalid artifacts") -> list[Path]:
    """Validate every file, then write them under ``root`` atomically, the last one last."""
    return commit_files(root, validated(files, label=label))
