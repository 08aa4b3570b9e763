"""The pause switch: a committed ``config/pause.yaml`` or the repository variable
``TB_PAUSED`` (passed to jobs as an environment variable). Every scheduled workflow asks
``tb status --paused`` first and skips its work, with the reason in the job summary.

``config/pause.yaml``::

    paused: true
    reason: "provider outage, see #123"
    since: 2026-03-02T15:00:00Z   # optional
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from shared.config import load_yaml_model

__all__ = ["PAUSE_FILE", "PauseFile", "PauseState", "pause_state"]

PAUSE_FILE = "config/pause.yaml"
_TRUE = frozenset({"1", "true", "yes", "on"})


class PauseFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    paused: bool = False
    reason: str = ""
    since: datetime | None = None


class PauseState(BaseModel):
    """Whether scheduled jobs skip, why, and which switch says so."""

    model_config = ConfigDict(frozen=True)

    paused: bool
    reason: str = ""
    source: str = ""  # "config/pause.yaml", "TB_PAUSED" or "" when running


def pause_state(root: Path, environ: Mapping[str, str]) -> PauseState:
    """The switch: the variable wins when set to a true value, then the committed file. A
    pause file that does not read is a ConfigError (a broken switch must not run silently)."""
    if environ.get("TB_PAUSED", "").strip().lower() in _TRUE:
        return PauseState(paused=True, source="TB_PAUSED",
                          reason=environ.get("TB_PAUSE_REASON", "") or "TB_PAUSED is set")
    path = root / PAUSE_FILE
    if path.is_file():
        flag = load_yaml_model(path, PauseFile)
        if flag.paused:
            return PauseState(paused=True, source=PAUSE_FILE,
                              reason=flag.reason or "paused in config/pause.yaml")
    return PauseState(paused=False)
