"""Write a tracer result: validate every file first, then write atomically, run file last."""

from __future__ import annotations

from pathlib import Path

from functions.tracer.run import TracerResult, run_paths
from shared.contracts import canonical_json
from shared.errors import ArtifactError
from shared.store.atomic import PendingFile, commit_files
from shared.store.validate import check_artifact_bytes

__all__ = ["write_result"]


def write_result(root: Path, result: TracerResult) -> list[Path]:
    """Write the bars, the inputs record and the run artifact under ``root``.

    Raises :class:`ArtifactError` naming every bad file and field before anything is
    written, so a run that fails validation leaves nothing partial behind.
    """
    paths = run_paths(result.run.as_of, result.run.run_id)
    pending = [
        PendingFile(paths["bars"], result.bars_parquet),
        PendingFile(paths["inputs"], canonical_json(result.inputs).encode("utf-8")),
        PendingFile(paths["run"], canonical_json(result.run).encode("utf-8")),
    ]
    problems = [p for item in pending for p in check_artifact_bytes(item.relpath, item.data)]
    if problems:
        raise ArtifactError(
            "refusing to write an invalid run:\n" + "\n".join(f"  {p}" for p in problems)
        )
    return commit_files(root, pending)
