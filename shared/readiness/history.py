"""The promotion history of a bot: every mode its ``config/bots/<bot>.yaml`` has held, read
from the tree's git history (each commit that touched the file, oldest first), so it cannot
be typed in. A tree without git history (a copy, a tarball) has no history: the items that
need it fail with that reason.

"Now" is the commit time of HEAD, so the board is a function of the tree, not of the wall
clock.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import yaml

from shared.contracts import Mode

__all__ = ["ModeSpan", "history_of", "head_time", "mode_spans"]


@dataclass(frozen=True)
class ModeSpan:
    """A mode held from ``since`` (the commit that set it) to ``until`` (the commit that
    changed it, or HEAD's time for the current mode)."""

    mode: str
    since: datetime
    until: datetime
    commit: str

    @property
    def days(self) -> float:
        return (self.until - self.since).total_seconds() / 86400.0


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


@cache
def head_time(root: Path) -> datetime | None:
    out = _git(root, "log", "-1", "--format=%cI", "HEAD")
    return datetime.fromisoformat(out.strip()) if out and out.strip() else None


@cache
def history_of(root: Path, relpath: str) -> tuple[tuple[str, datetime, str], ...] | None:
    """``(commit, time, mode)`` of every commit that changed ``relpath``'s mode, oldest
    first (consecutive equal modes collapsed); None when ``root`` has no git history."""
    if head_time(root) is None:
        return None
    out = _git(root, "log", "--reverse", "--format=%H %cI", "--", relpath)
    if out is None:
        return None
    found: list[tuple[str, datetime, str]] = []
    for line in out.splitlines():
        sha, _, when = line.partition(" ")
        text = _git(root, "show", f"{sha}:{relpath}")
        mode = _mode(text) if text is not None else None
        if mode is None or (found and found[-1][2] == mode):
            continue
        found.append((sha, datetime.fromisoformat(when), mode))
    return tuple(found)


def _mode(text: str) -> str | None:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    mode = doc.get("mode") if isinstance(doc, dict) else None
    return str(mode) if mode in {m.value for m in Mode} else None


def mode_spans(root: Path, bot: str) -> tuple[ModeSpan, ...] | None:
    """The modes ``bot`` has held, each with how long (None: no git history)."""
    history = history_of(root, f"config/bots/{bot}.yaml")
    now = head_time(root)
    if history is None or now is None:
        return None
    spans = []
    for i, (sha, since, mode) in enumerate(history):
        until = history[i + 1][1] if i + 1 < len(history) else now
        spans.append(ModeSpan(mode, since, until, sha[:12]))
    return tuple(spans)
