"""The size limit of one artifact file, shared by every reader of committed artifacts.

GitHub warns about files over 50 MB and refuses files over 100 MB, so no artifact the
product writes comes near :data:`MAX_ARTIFACT_BYTES` (recorded model answers are capped,
see ``shared/providers/_http.py:MemoryRecorder``). A file over it is not read at all: a
reader refuses it with :func:`oversize`'s message instead of loading it into memory.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["MAX_ARTIFACT_BYTES", "oversize"]

MAX_ARTIFACT_BYTES = 50_000_000


def oversize(path: Path, limit: int = MAX_ARTIFACT_BYTES) -> str | None:
    """Why ``path`` is too large to read (a one-line message), or None when it is not.

    Raises OSError when the file cannot be stat'ed (as reading it would).
    """
    size = path.stat().st_size
    if size <= limit:
        return None
    return (f"{size} bytes, over the {limit}-byte limit for one artifact (GitHub refuses "
            "files over 100 MB); not read")
