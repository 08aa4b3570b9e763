"""What commit produced a run."""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["git_sha"]


def git_sha(root: Path) -> str:
    """HEAD of the repository at ``root``, or ``"unknown"`` outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"
