"""``tb store``: keep the repository's artifact store small as it ages."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from functions.cli.options import IsoTime, existing_artifacts_dir_option, pipeline_errors
from shared.clock import utc_now

__all__ = ["group"]


@click.group("store")
def group() -> None:
    """Maintain the artifact store (bars recorded once, old runs compacted)."""


@group.command("compact")
@existing_artifacts_dir_option
@click.option("--keep-days", type=click.IntRange(min=0), default=7, show_default=True,
              help="Leave runs younger than this many days as they are.")
@click.option("--as-of", type=IsoTime(), default=None,
              help="The current time for --keep-days (ISO-8601; default: now).")
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
@pipeline_errors
def compact_command(artifacts_dir: Path, keep_days: int, as_of: datetime | None,
                    dry_run: bool) -> None:
    """Move tracer runs older than --keep-days that still hold a whole bars file into the
    bar store (runs/bars/<sha256>.parquet day slices, shared between runs) and remove slices
    no run references. Keeps every run file and inputs record and the bars of every run, so
    tb replay, tb eval ingest and the board read what they read before. Prints a JSON report.

    Example:

        tb store compact --artifacts-dir . --keep-days 7 --dry-run
    """
    from functions.tracer.compact import compact

    report = compact(artifacts_dir, as_of=as_of or utc_now(), keep_days=keep_days,
                     dry_run=dry_run)
    click.echo(json.dumps(report.to_json(), sort_keys=True, indent=2))
