"""``tb simulate``: the schedules, compressed and offline."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from functions.cli.options import (
    IsoTime,
    Symbol,
    allow_unknown_symbol_option,
    artifacts_dir_option,
    pipeline_errors,
    seed_option,
)

__all__ = ["simulate_command"]


@click.command("simulate")
@seed_option()
@click.option("--start", type=IsoTime(), required=True, help="First hourly run (ISO-8601).")
@click.option("--days", type=click.IntRange(1, 60), default=7, show_default=True)
@allow_unknown_symbol_option
@click.option("--symbol", "symbols", type=Symbol(), multiple=True, default=("BTC-USD", "ETH-USD"),
              show_default=True, help="Symbol to run every hour (repeatable).")
@artifacts_dir_option
@pipeline_errors
def simulate_command(seed: int, start: datetime, days: int, symbols: tuple[str, ...],
                     artifacts_dir: Path) -> None:
    """Simulate the schedules offline: hourly tb run, daily eval ingest + snapshot, and a
    weekly snapshot at the end, all on the seeded synthetic feed. Prints a JSON summary.

    Synthetic results say nothing about live performance; this shows the loop working.

    Example:

        tb simulate --seed 7 --start 2026-11-02T00:00:00Z --days 7 --artifacts-dir /tmp/week
    """
    from functions.cli.progress import CliProgress
    from functions.simulate.week import simulate

    progress = CliProgress("simulate", total=(days * 24 + 1) * len(symbols), unit="run",
                           every=24 * len(symbols))
    try:
        summary = simulate(artifacts_dir=artifacts_dir, seed=seed, start=start, days=days,
                           symbols=symbols, on_run=progress.advance)
    finally:
        progress.close()
    click.echo(json.dumps(summary.to_json(), sort_keys=True, indent=2))
