"""``tb paper replay | run | rearm | status`` and ``tb drill``: paper trading under risk
limits. Paper numbers describe a simulation, not live results."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from functions.cli.options import (
    F,
    IsoTime,
    Symbol,
    artifacts_dir_option,
    feed_option,
    pipeline_errors,
    seed_option,
)

__all__ = ["drill_command", "group"]

DRILL_START = datetime(2026, 1, 5, tzinfo=UTC)
_RISK_HELP = "Risk limits file (default: config/risk.yaml)."


def _risk_option(f: F) -> F:
    return click.option("--risk-config", type=click.Path(path_type=Path, dir_okay=False,
                                                         exists=True),
                        default=None, help=_RISK_HELP)(f)


@click.group("paper")
def group() -> None:
    """Paper trading: orders from enforced triggers, through the risk engine, to a paper
    broker. Paper results do not predict live results."""


@group.command("replay")
@feed_option(help="Data to replay (dataset: the files in config/tracer.yaml).")
@seed_option(help="Seed of the synthetic feed.")
@click.option("--start", type=IsoTime(), required=True, help="First decision time (ISO-8601).")
@click.option("--end", type=IsoTime(), required=True, help="Last decision time (ISO-8601).")
@click.option("--symbol", type=Symbol(), default=None,
              help="Symbol (default: config/tracer.yaml).")
@artifacts_dir_option
@_risk_option
@pipeline_errors
def replay_command(feed: str, seed: int, start: datetime, end: datetime, symbol: str | None,
                   artifacts_dir: Path, risk_config: Path | None) -> None:
    """Replay the paper path hour by hour over [start, end] and print one JSON summary.

    Decisions come from the one decision path (the walk); the execution bot turns enforced
    triggers into orders, the risk engine (config/risk.yaml or --risk-config) checks each,
    the paper broker fills at the next bar's open with the backtest's costs. Prints orders,
    fills, refused (reason code -> count), final_equity, max_drawdown, halted, halt_reason,
    kill_switch_trips; the ledger goes to DIR/runs/paper/ (replaced on each replay).

    Example:

        tb paper replay --seed 7 --start 2026-01-05T00:00:00Z --end 2026-01-19T00:00:00Z
    """
    from functions.paper.run import run_replay

    if end <= start:
        raise click.BadParameter("--end must be after --start", param_hint="--end")
    summary = run_replay(feed=feed, seed=seed, start=start, end=end, symbol=symbol,
                         artifacts_dir=artifacts_dir, risk_config=risk_config)
    click.echo(json.dumps(summary, sort_keys=True, indent=2))


@group.command("run")
@feed_option(help="Data to decide on (ignored with --live).")
@seed_option(help="Seed of the synthetic feed.")
@click.option("--as-of", type=IsoTime(), default=None,
              help="Decision time (ISO-8601). Default: now, floored to the hour.")
@click.option("--symbol", type=Symbol(), default=None,
              help="Symbol (default: config/tracer.yaml).")
@click.option("--live", is_flag=True, help="Decide on the real providers whose keys are set "
              "(the orders still go only to the paper broker).")
@artifacts_dir_option
@_risk_option
@pipeline_errors
def run_command(feed: str, seed: int, as_of: datetime | None, symbol: str | None, live: bool,
                artifacts_dir: Path, risk_config: Path | None) -> None:
    """One scheduled paper cycle at --as-of: reconcile the ledger, decide through
    decide_symbol, trade on paper, append to runs/paper/. A persisted halt is honoured; a
    cycle at a time not after the last one is refused (exit 1).

    Example:

        tb paper run --as-of 2026-01-06T12:00:00Z --artifacts-dir /tmp/tb
    """
    from functions.paper.cycle import run_cycle
    from shared.clock import offline_as_of, utc_now

    summary = run_cycle(feed=feed, seed=seed, as_of=as_of or offline_as_of(utc_now()),
                        symbol=symbol, artifacts_dir=artifacts_dir, risk_config=risk_config,
                        live=live)
    click.echo(json.dumps(summary, sort_keys=True, indent=2))


@group.command("rearm")
@click.option("--by", required=True, help="Who re-arms trading (recorded).")
@click.option("--note", default="", help="Why it is safe to trade again (recorded).")
@artifacts_dir_option
@pipeline_errors
def rearm_command(by: str, note: str, artifacts_dir: Path) -> None:
    """Re-arm trading after a halt: writes runs/paper/risk_state.json and appends to
    runs/paper/rearm.jsonl (commit both). Exits 1 when nothing is halted.

    Example:

        tb paper rearm --by alice --note "feed restored"
    """
    from functions.paper.run import PAPER_DIR
    from shared.clock import utc_now
    from shared.execution.risk import rearm

    state = rearm(artifacts_dir / PAPER_DIR, by=by, note=note, now=utc_now())
    click.echo(json.dumps({"state": state.state.value, "rearmed_by": by}, sort_keys=True))


@group.command("status")
@artifacts_dir_option
@pipeline_errors
def status_command(artifacts_dir: Path) -> None:
    """Print the paper trader's state (active/reducing/halted, halt reason) as JSON.

    Example:

        tb paper status
    """
    from functions.paper.run import paper_status

    click.echo(json.dumps(paper_status(artifacts_dir), sort_keys=True, indent=2))


@click.command("drill")
@click.option("--scenario", type=click.Choice(["flash-crash", "dead-feed", "error-burst",
                                               "ledger-mismatch", "all"]),
              default="all", show_default=True, help="The incident to replay.")
@seed_option(help="Seed of the synthetic feed the incident is replayed on.")
@click.option("--start", type=IsoTime(), default=None,
              help="First decision time (default 2026-01-05T00:00:00Z).")
@click.option("--days", type=click.IntRange(min=2, max=60), default=14, show_default=True,
              help="Days replayed; the incident strikes at 60 % of them.")
@artifacts_dir_option
@_risk_option
@pipeline_errors
def drill_command(scenario: str, seed: int, start: datetime | None, days: int,
                  artifacts_dir: Path, risk_config: Path | None) -> None:
    """Replay a recorded incident against the paper path and show the kill-switch trips,
    nothing is sent after the halt and the alert fires. Writes runs/drills/<scenario>.json.
    Exits 1 when a drill fails.

    Example:

        tb drill --scenario all --artifacts-dir /tmp/tb
    """
    from functions.paper.run import run_drill
    from shared.execution.incidents import DrillScenario

    chosen = list(DrillScenario) if scenario == "all" else [DrillScenario(scenario)]
    results = [run_drill(s, seed=seed, start=start or DRILL_START, days=days,
                         artifacts_dir=artifacts_dir, risk_config=risk_config) for s in chosen]
    click.echo(json.dumps({"drills": results, "passed": all(r["passed"] for r in results)},
                          sort_keys=True, indent=2))
    if not all(r["passed"] for r in results):
        raise SystemExit(1)


