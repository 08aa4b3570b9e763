"""``tb universe``: plan the workflow's shards, run the universe (whole, or one shard), merge
shards, notify."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from functions.cli.options import (
    IsoTime,
    artifacts_dir_option,
    as_of_option,
    existing_artifacts_dir_option,
    feed_option,
    json_option,
    pipeline_errors,
    seed_option,
    shown_path,
)
from functions.universe.progress import PROGRESS_LOGGER
from shared import clock
from shared.errors import ConfigError
from shared.universe.sharding import Shard, parse_shard

__all__ = ["MAX_SHARDS", "group", "plan_lines"]

MAX_SHARDS = 32


class ShardType(click.ParamType[Shard, Any]):
    """``I/N``: shard I of N (see :mod:`shared.universe.sharding`)."""

    name = "I/N"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Shard:
        if isinstance(value, Shard):
            return value
        try:
            return parse_shard(str(value))
        except ConfigError as e:
            self.fail(str(e), param, ctx)


def plan_lines(now: datetime, shards: int) -> list[str]:
    """The workflow plan as ``key=value`` lines: the shard count, the one decision time every
    shard shares (:func:`shared.clock.universe_live_as_of`) and the 1-based shard matrix."""
    as_of = clock.universe_live_as_of(now)
    return [
        f"shards={shards}",
        f"as_of={clock.format_as_of(as_of)}",
        "matrix=" + json.dumps({"shard": list(range(1, shards + 1))}),
    ]


def _show_progress_lines() -> None:
    # Progress lines are INFO; show them even at the CLI's default WARNING level.
    logging.getLogger(PROGRESS_LOGGER).setLevel(logging.INFO)


@click.group("universe")
def group() -> None:
    """The universe: every symbol on its own trading hours, ranked into one digest.

    Example:

        tb universe run --seed 7 --as-of 2026-03-03T18:00:00Z --artifacts-dir /tmp/tb
    """


@group.command("plan")
@click.option("--shards", type=click.IntRange(1, MAX_SHARDS), envvar="TB_SHARDS", default=4,
              show_default=True, show_envvar=True,
              help=f"Number of matrix shards (1-{MAX_SHARDS}).")
@click.option("--now", type=IsoTime(), default=None,
              help="Plan as if it were this time (default: the clock).")
@click.option("--require-live", is_flag=True,
              help="Also print live_ok=true|false: false when the market-data or news keys "
              "are missing (then shard and reduce are skipped and the job summary says why).")
def plan_command(shards: int, now: datetime | None, require_live: bool) -> None:
    """Print the sharded workflow's plan as key=value lines for $GITHUB_OUTPUT.

    shards=N; as_of=, the one decision time every shard is given (now floored to the
    minute, plus 15 minutes: the shards fetch before it, so the news they fetch counts);
    matrix={"shard": [1, ..., N]} (1-based, for `tb universe run --shard i/N`).

    Example:

        tb universe plan --shards 4 >> "$GITHUB_OUTPUT"
    """
    for line in plan_lines(now or clock.utc_now(), shards):
        click.echo(line)
    if require_live:
        from functions.cli.live_gate import refuse_without_live_keys

        refused = refuse_without_live_keys("tb universe", output=False)
        click.echo(f"live_ok={'false' if refused else 'true'}")


@group.command("run")
@seed_option()
@as_of_option(help="Decision time (ISO-8601, UTC if no offset). Default: now (offline: "
              "floored to the hour; --live: 15 minutes ahead, to the minute).")
@artifacts_dir_option
@click.option("--shard", type=ShardType(), default=None, metavar="I/N",
              help="Run only shard I of N (I taken modulo N: 1/4..4/4 and 0/4..3/4 both "
              "work) and write its partial under universe_runs/_shards/ for `merge`.")
@feed_option()
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
@json_option
@pipeline_errors
def run_command(seed: int, as_of: datetime | None, artifacts_dir: Path, shard: Shard | None,
                feed: str, live: bool, timings: bool, notify: bool, top_n: int | None,
                polymarket_fixture: Path | None, history_dir: Path | None,
                as_json: bool) -> None:
    """Run every symbol of config/universe.yaml and write the ranked universe run.

    Without --shard: writes universe_runs/<date>/<run_id>.json, appends one row to
    universe_runs/metrics.csv (once per run id) and prints the digest. With --shard I/N:
    writes only that shard's partial; `tb universe merge` then writes the same files the
    unsharded run would have, byte for byte. Same seed, config and --as-of give the same
    bytes (unless --timings). The digest prints as plain text; --json prints one JSON object
    instead (run_id, as_of, feed, counts, ranking, degraded, digest, artifacts).

    Example:

        tb universe run --seed 7 --as-of 2026-03-03T18:00:00Z --artifacts-dir /tmp/tb

        tb universe run --seed 7 --as-of 2026-03-03T18:00:00Z --artifacts-dir /tmp/tb --shard 1/2
    """
    from functions.universe.app import run_file, run_universe

    if as_of is None:
        now = clock.utc_now()
        as_of = clock.universe_live_as_of(now) if live else clock.offline_as_of(now)
    _show_progress_lines()
    outcome = run_universe(
        seed=seed, as_of=as_of, artifacts_dir=artifacts_dir, shard=shard,
        feed=feed, live=live, timer=time.perf_counter if timings else None, notify=notify,
        top_n=top_n, polymarket_fixture=polymarket_fixture, history_dir=history_dir,
    )
    from shared.contracts import format_utc
    from shared.render.telegram import plain_text

    if outcome.run is None:
        partial = shown_path(Path(), outcome.written[0])  # written: under artifacts_dir
        if as_json:
            click.echo(json.dumps({"partial": partial}, sort_keys=True))
        else:
            click.echo(f"partial: {partial}", err=True)
        return
    run = outcome.run
    shown = shown_path(artifacts_dir, run_file(run))
    if as_json:
        click.echo(json.dumps({
            "run_id": run.run_id, "as_of": format_utc(run.as_of), "feed": run.manifest.feed,
            "counts": run.counts.model_dump(mode="json"),
            "ranking": [e.model_dump(mode="json") for e in run.ranking],
            "degraded": run.manifest.degraded,
            "degraded_reasons": list(run.manifest.degraded_reasons),
            "digest": "\n\n".join(plain_text(p) for p in run.digest_parts),
            "artifacts": {"run": shown},
        }, sort_keys=True))
        return
    for part in run.digest_parts:
        click.echo(plain_text(part))
        click.echo()
    click.echo(f"artifacts: {shown}", err=True)


@group.command("merge")
@existing_artifacts_dir_option
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
@existing_artifacts_dir_option
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
        from shared.render.telegram import plain_text

        for part in run.digest_parts:
            click.echo(plain_text(part))
            click.echo()
    click.echo(f"universe run {run.run_id}: {delivery}", err=True)
