"""Options and helpers ``tb check`` and ``tb status`` share."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from functions.cli.options import as_of_option
from shared.clock import utc_now
from shared.config import project_root
from shared.monitor.health import MonitorSettings

__all__ = ["monitor_as_of", "monitor_settings", "now_or", "workflows_dir_option",
           "workflows_for"]

F = TypeVar("F", bound=Any)

monitor_as_of = as_of_option(help="The time to judge at (ISO-8601, UTC if no offset). "
                             "Default: now.")


def workflows_dir_option(f: F) -> F:
    """``--workflows-dir``: where the schedules are read from."""
    return click.option(
        "--workflows-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Workflows to read the schedules from. Default: <artifacts-dir>/.github/"
        "workflows, else the project's.")(f)


def workflows_for(artifacts_dir: Path, given: Path | None) -> Path:
    if given is not None:
        return given
    local = artifacts_dir / ".github" / "workflows"
    return local if local.is_dir() else project_root() / ".github" / "workflows"


def now_or(as_of: datetime | None) -> datetime:
    return as_of if as_of is not None else utc_now()


def monitor_settings() -> MonitorSettings:
    """The thresholds from the environment; a bad value is a usage error naming it."""
    try:
        return MonitorSettings.from_env(os.environ)
    except ValueError as e:
        raise click.UsageError(str(e)) from e
