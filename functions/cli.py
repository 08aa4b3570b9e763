"""``tb``: the command-line shell over ``functions/``. Parses arguments, builds sources,
calls a stage's ``run``, writes through ``shared.store``, and turns ``PipelineError`` into a
clear message and a non-zero exit."""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from shared.errors import PipelineError

__all__ = ["cli", "main"]

logger = logging.getLogger("tb")
F = TypeVar("F", bound=Callable[..., Any])


class AsOf(click.ParamType[datetime, Any]):
    """An ISO-8601 time; ``Z`` or an offset, or naive (taken as UTC)."""

    name = "ISO_TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{value!r} is not an ISO-8601 time (e.g. 2026-11-20T12:00:00Z)", param, ctx)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)


def as_of_option(f: F) -> F:
    return click.option(
        "--as-of",
        type=AsOf(),
        default=None,
        help="Decision time (ISO-8601, UTC if no offset). Default: now (offline: floored to "
        "the hour; --live: the first second after the data was fetched).",
    )(f)


def artifacts_dir_option(f: F) -> F:
    return click.option(
        "--artifacts-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(),
        show_default=True,
        help="Root under which runs/, universe_runs/ and eval_runs/ live.",
    )(f)


def seed_option(f: F) -> F:
    return click.option("--seed", type=int, default=7, show_default=True,
                        help="Seed of the synthetic feed and of any randomness.")(f)


def pipeline_errors(f: F) -> F:
    """Turn PipelineError into a ClickException (message, exit 1)."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except PipelineError as e:
            raise click.ClickException(str(e)) from e

    return wrapper  # type: ignore[return-value]


def default_as_of() -> datetime:
    now = datetime.now(UTC)
    return now.replace(minute=0, second=0, microsecond=0)


@click.group()
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Tracer Bullet: a market-narrative signal agent.

    Every command works offline on the embedded default (seeded synthetic feed, offline
    sentiment); setting provider keys switches `tb run --live` to real services.
    Synthetic results say nothing about live performance.

    Example:

        tb run --seed 7 --as-of 2026-11-20T12:00:00Z --artifacts-dir /tmp/tb
    """
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


@cli.command("run")
@seed_option
@as_of_option
@artifacts_dir_option
@click.option("--symbol", default=None, help="Symbol to run (default: config/tracer.yaml).")
@click.option("--feed", type=click.Choice(["synthetic", "replay"]), default="synthetic",
              show_default=True, help="Offline data source (ignored with --live).")
@click.option("--live", is_flag=True, help="Use real providers for every key that is set.")
@click.option("--timings", is_flag=True,
              help="Record decision latencies in the artifacts (makes them non-reproducible).")
@click.option("--notify/--no-notify", default=True, show_default=True,
              help="Send the digest to Telegram when its keys are set (else print it).")
@pipeline_errors
def run_command(seed: int, as_of: datetime | None, artifacts_dir: Path, symbol: str | None,
                feed: str, live: bool, timings: bool, notify: bool) -> None:
    """Run one tracer cycle for a symbol and write its artifacts under runs/.

    Prints the Telegram-style digest. Two runs with the same seed, as-of and config write
    byte-identical files (unless --timings).

    Example:

        tb run --seed 7 --as-of 2026-11-20T12:00:00Z --artifacts-dir /tmp/tb
    """
    from functions.tracer.app import run_tracer

    result = run_tracer(
        seed=seed, as_of=as_of, artifacts_dir=artifacts_dir, symbol=symbol,
        feed=feed, live=live, timer=time.perf_counter if timings else None, notify=notify,
    )
    for part in result.run.digest.parts:
        click.echo(part)
        click.echo()
    click.echo(f"artifacts: {result.paths['run']}", err=True)


@cli.command("validate")
@artifacts_dir_option
def validate_command(artifacts_dir: Path) -> None:
    """Check every artifact under --artifacts-dir against its schema and manifest digests.

    Exits 1 and names each bad file and field when anything fails.

    Example:

        tb validate --artifacts-dir /tmp/tb
    """
    from shared.store.validate import validate_tree

    count, problems = validate_tree(artifacts_dir)
    for problem in problems:
        click.echo(f"INVALID {problem}", err=True)
    bad_files = len({p.path for p in problems})
    click.echo(f"checked {count} files: {count - bad_files} valid, {bad_files} invalid")
    if problems:
        sys.exit(1)


@cli.command("replay")
@click.argument("run_id")
@artifacts_dir_option
@pipeline_errors
def replay_command(run_id: str, artifacts_dir: Path) -> None:
    """Re-run a recorded tracer run from its record alone (no network) and compare.

    Reads runs/*/tracer-RUN_ID.json, its .inputs.json and .bars.parquet, checks the
    manifest's digests, re-runs the decisions and prints a JSON summary with run_id,
    identical and differences. The digest's delivery and decision latencies are not
    replayed. Exits 1 when the re-run differs or the record is missing or corrupted.

    Example:

        tb replay 3f2a9c0d1e4b5a69 --artifacts-dir /tmp/tb
    """
    from functions.tracer.replay import replay_run

    report = replay_run(run_id, artifacts_dir)
    click.echo(json.dumps(report.to_json(), sort_keys=True, indent=2))
    if not report.identical:
        sys.exit(1)


@cli.group("index")
def index_group() -> None:
    """The SQLite index of runs and envelopes (derived from the artifacts)."""


@index_group.command("rebuild")
@artifacts_dir_option
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Index file (default: <artifacts-dir>/.tb-cache/index.sqlite).")
@pipeline_errors
def index_rebuild(artifacts_dir: Path, db: Path | None) -> None:
    """Rebuild the index from the artifacts.

    Example:

        tb index rebuild --artifacts-dir .
    """
    from shared.store.index import rebuild_index

    target = db or artifacts_dir / ".tb-cache" / "index.sqlite"
    counts = rebuild_index(artifacts_dir, target)
    click.echo(json.dumps({"db": str(target), **counts}, sort_keys=True))


@cli.command("study")
@click.option("--feed", type=click.Choice(["synthetic", "replay"]), default="synthetic",
              show_default=True, help="Data to study (replay: the files in config/tracer.yaml).")
@seed_option
@click.option("--start", type=AsOf(), required=True, help="First decision time (ISO-8601).")
@click.option("--end", type=AsOf(), required=True, help="Last decision time (ISO-8601).")
@click.option("--symbol", default=None, help="Symbol (default: config/tracer.yaml).")
@click.option("--synthetic-edge", type=click.FloatRange(min=0.0), default=None,
              help="Strength of the synthetic feed's planted relation (0 switches it off; "
              "default: on).")
@pipeline_errors
def study_command(feed: str, seed: int, start: datetime, end: datetime, symbol: str | None,
                  synthetic_edge: float | None) -> None:
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
    click.echo(json.dumps(study(feed=feed, seed=seed, start=start, end=end, symbol=symbol,
                                synthetic_edge=synthetic_edge), sort_keys=True, indent=2))


@cli.command("simulate")
@seed_option
@click.option("--start", type=AsOf(), required=True, help="First hourly run (ISO-8601).")
@click.option("--days", type=click.IntRange(1, 60), default=7, show_default=True)
@click.option("--symbol", "symbols", multiple=True, default=("BTC-USD", "ETH-USD"),
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
    from functions.simulate.week import simulate

    summary = simulate(artifacts_dir=artifacts_dir, seed=seed, start=start, days=days,
                       symbols=symbols)
    click.echo(json.dumps(summary.to_json(), sort_keys=True, indent=2))


@cli.group("bots")
def bots_group() -> None:
    """Decision bots: fixtures and recorded timelines."""


@bots_group.command("record-timeline")
@click.argument("name")
@pipeline_errors
def record_timeline_command(name: str) -> None:
    """Re-record a bot's seeded envelope timeline (after an intended behaviour change).

    Example:

        tb bots record-timeline divergence
    """
    from shared.bots.registry import BOTS
    from shared.bots.timeline import write_timeline

    if name not in BOTS:
        raise click.BadParameter(f"unknown bot (known: {', '.join(sorted(BOTS))})",
                                 param_hint="NAME")
    click.echo(f"{name}: {write_timeline(name)} envelopes recorded")


def _register_groups() -> None:
    from functions.eval.cli import group as eval_group
    from functions.sentiment.cli import group as sentiment_group
    from functions.universe.cli import group as universe_group

    cli.add_command(eval_group)
    cli.add_command(sentiment_group)
    cli.add_command(universe_group)


_register_groups()


def main() -> None:
    cli(prog_name="tb")
