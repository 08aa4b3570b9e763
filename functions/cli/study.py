"""``tb study``: the pipeline over every bar of a period, point-in-time."""

from __future__ import annotations

import json
from datetime import datetime

import click

from functions.cli.options import (
    IsoTime,
    Symbol,
    allow_unknown_symbol_option,
    feed_option,
    json_option,
    pipeline_errors,
    seed_option,
    synthetic_edge_option,
)

__all__ = ["study_command"]


@click.command("study")
@feed_option(help="Data to study (dataset: the files in config/tracer.yaml).")
@seed_option()
@click.option("--start", type=IsoTime(), required=True, help="First decision time (ISO-8601).")
@click.option("--end", type=IsoTime(), required=True, help="Last decision time (ISO-8601).")
@allow_unknown_symbol_option
@click.option("--symbol", type=Symbol(), default=None,
              help="Symbol (default: config/tracer.yaml).")
@synthetic_edge_option
@json_option
@pipeline_errors
def study_command(feed: str, seed: int, start: datetime, end: datetime, symbol: str | None,
                  synthetic_edge: float | None, as_json: bool) -> None:
    """Run the pipeline over every bar in a period, point-in-time, and print one JSON object.

    Reports triggers, resolved, hits, hit_rate, base_rate (the share of up-moves over the
    horizon in the period), baseline_hit_rate (what a coin with that base rate scores on the
    same directions) and suppressed counts by reason code. Synthetic and replay results are
    measurements of the past, not predictions of live performance.

    Example:

        tb study --feed synthetic --seed 7 --start 2025-01-01T00:00:00Z --end 2025-12-31T00:00:00Z
    """
    from functions.study.app import study

    if end < start:
        raise click.BadParameter("--end must not be before --start", param_hint="--end")
    report = study(feed=feed, seed=seed, start=start, end=end, symbol=symbol,
                   synthetic_edge=synthetic_edge)
    # the same object either way: indented for a person, one line with --json for a script
    click.echo(json.dumps(report, sort_keys=True, indent=None if as_json else 2))
