"""``tb status``: one screen (or ``--json``) of the system's state; ``--gate`` for workflows."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path

import click

from functions.cli.monitor_options import (
    monitor_as_of,
    monitor_settings,
    now_or,
    workflows_dir_option,
    workflows_for,
)
from functions.cli.options import existing_artifacts_dir_option, pipeline_errors

__all__ = ["status_command"]


@click.command("status")
@existing_artifacts_dir_option
@monitor_as_of
@workflows_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--gate", is_flag=True,
              help="For workflows: print paused=true|false (for $GITHUB_OUTPUT) and, when "
              "paused, the reason to the job summary; nothing else is computed.")
@pipeline_errors
def status_command(artifacts_dir: Path, as_of: datetime | None, workflows_dir: Path | None,
                   as_json: bool, gate: bool) -> None:
    """Show each stage's last run and age, degraded share and streak, missed runs, the
    last trigger, the latest evaluation verdict, the last self-check, the pause switch and
    which keys are detected (names only, never values).

    --json reports per stage last_run, age_s, missed_runs, degraded_ratio_24h (and more).
    The pause switch is config/pause.yaml (paused: true, reason: ...) or the variable
    TB_PAUSED (reason in TB_PAUSE_REASON).

    Example:

        tb status --artifacts-dir . --json

        tb status --artifacts-dir . --gate >> "$GITHUB_OUTPUT"
    """
    from shared.monitor.pause import pause_state
    from shared.monitor.status import build_status, render_status

    if gate:
        state = pause_state(artifacts_dir, os.environ)
        click.echo(f"paused={'true' if state.paused else 'false'}")
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if state.paused:
            message = f"Skipped: paused by {state.source}: {state.reason}"
            click.echo(message, err=True)
            if summary:
                with Path(summary).open("a", encoding="utf-8") as handle:
                    handle.write(message + "\n")
        return
    doc = build_status(artifacts_dir, now=now_or(as_of), environ=os.environ,
                       workflows_dir=workflows_for(artifacts_dir, workflows_dir),
                       settings=monitor_settings())
    if as_json:
        click.echo(json.dumps(doc, sort_keys=True, indent=2))
    else:
        click.echo(render_status(doc))
    sys.stdout.flush()
