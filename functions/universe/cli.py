"""``tb universe``: run the universe (whole, or one shard), merge shards, notify."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from functions.cli import (
    artifacts_dir_option,
    as_of_option,
    default_as_of,
    pipeline_errors,
    seed_option,
)
from functions.universe.progress import PROGRESS_LOGGER

__all__ = ["group"]


def _live_as_of() -> datetime:
    """A live universe run decides 15 minutes ahead of now (minute precision): its fetches
    finish before that, so the news they bring was available at the decision time and is
    used; a decision at "now" would find every headline fetched after it."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now + timedelta(minutes=15)


def _show_progress_lines() -> None:
    # Progress lines are INFO; show them even at the CLI's default WARNING level.
    logging.getLogger(PROGRESS_LOGGER).setLevel(logging.INFO)


@click.group("universe")
def group() -> None:
    """The universe: every symbol on its own trading hours, ranked into one digest.

    Example:

        tb universe run --seed 7 --as-of 2026-03-03T18:00:00Z --artifacts-dir /tmp/tb
    """


@group.command("run")
@seed_option
@as_of_option
@artifacts_dir_option
@click.option("--shard", "shard_text", default=None, metavar="I/N",
              help="Run only shard I of N (I taken modulo N: 1/4..4/4 and 0/4..3/4 both "
              "work) and write its partial under universe_runs/_shards/ for `merge`.")
@click.option("--feed", type=click.Choice(["synthetic", "replay"]), default="synthetic",
              show_default=True, help="Offline data source (ignored with --live).")
@click.option("--live", is_flag=True,
              help="Use real providers for every key that is set, and read Polymarket.")
@click.option("--timings", is_flag=True,
              help="Record wall time in metrics.csv and latencies (non-reproducible).")
@click.option("--notify/--no-notify", default=True, show_default=True,
              help="Send the digest to Telegram when its keys are set (unsharded runs).")
@click.option("--top-n", type=click.IntRange(1, 50), default=None,
              help="Digest size (default: config/universe.yaml digest.top_n).")
@click.option("--polymarket-fixture", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Recorded Gamma fixture to compare with (without --live).")
@click.option("--history-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where committed universe runs are read for cooldowns (default: "
              "--artifacts-dir). Shards writing to a scratch dir point this at the checkout.")
@pipeline_errors
def run_command(seed: int, as_of: datetime | None, artifacts_dir: Path, shard_text: str | None,
                feed: str, live: bool, timings: bool, notify: bool, top_n: int | None,
                polymarket_fixture: Path | None, history_dir: Path | None) -> None:
    """Run every symbol of config/universe.yaml and write the ranked universe run.

    Without --shard: writes universe_runs/<date>/<run_id>.json, appends one row to
    universe_runs/metrics.csv (once per run id) and prints the digest. With --shard I/N:
    writes only that shard's partial; `tb universe merge` then writes the same files the
    unsharded run would have, byte for byte. Same seed, config and --as-of give the same
    bytes (unless --timings).

    Example:

        tb universe run --seed 7 --as-of 2026-03-03T18:00:00Z --artifacts-dir /tmp/tb

        tb universe run --seed 7 --as-of 2026-03-03T18:00:00Z --artifacts-dir /tmp/tb --shard 1/2
    """
    from functions.universe.app import run_file, run_universe
    from shared.universe.sharding import parse_shard

    shard = parse_shard(shard_text) if shard_text is not None else None
    _show_progress_lines()
    outcome = run_universe(
        seed=seed, as_of=as_of or (_live_as_of() if live else default_as_of()),
        artifacts_dir=artifacts_dir, shard=shard,
        feed=feed, live=live, timer=time.perf_counter if timings else None, notify=notify,
        top_n=top_n, polymarket_fixture=polymarket_fixture, history_dir=history_dir,
    )
    if outcome.run is None:
        click.echo(f"partial: {outcome.written[0]}", err=True)
        return
    for part in outcome.run.digest_parts:
        click.echo(part)
        click.echo()
    click.echo(f"artifacts: {run_file(outcome.run)}", err=True)


@group.command("merge")
@artifacts_dir_option
@pipeline_errors
def merge_command(artifacts_dir: Path) -> None:
    """Merge shard partials into universe runs (and metrics rows), then delete them.

    Every set under universe_runs/_shards/ must be complete and consistent, or nothing is
    written and the error names what is missing. With nothing to merge, does nothing.

    Example:

        tb universe merge --artifacts-dir /tmp/tb
    """
    from functions.universe.app import merge_universe, run_file

    runs = merge_universe(artifacts_dir)
    if not runs:
        click.echo("nothing to merge", err=True)
    for run in runs:
        click.echo(f"merged: {run_file(run)}", err=True)


@group.command("notify")
@artifacts_dir_option
@click.option("--run-id", default=None, help="The run to deliver (default: the newest).")
@pipeline_errors
def notify_command(artifacts_dir: Path, run_id: str | None) -> None:
    """Deliver a universe run's digest: Telegram when TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID
    are set, else print it; add a table to $GITHUB_STEP_SUMMARY when set. Never fails on a
    send error.

    Example:

        tb universe notify --artifacts-dir /tmp/tb
    """
    from functions.universe.notify import deliver, find_run, write_step_summary

    run = find_run(artifacts_dir, run_id)
    write_step_summary(run)
    delivery = deliver(run)
    if delivery == "printed":
        for part in run.digest_parts:
            click.echo(part)
            click.echo()
    click.echo(f"universe run {run.run_id}: {delivery}", err=True)
