"""``tb backtest``: the divergence signal traded over any feed, engine conformance, and the
lookahead falsifier."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from functions.cli.options import (
    IsoTime,
    Symbol,
    allow_unknown_symbol_option,
    artifacts_dir_option,
    feed_option,
    pipeline_errors,
    seed_option,
    synthetic_edge_option,
)
from shared.errors import PipelineError

__all__ = ["group"]

OBJECTIVE_NAMES = ("hit_rate", "log_loss", "sized_return", "z")  # shared.backtest.tuning


@click.group("backtest")
def group() -> None:
    """Backtests over recorded bars. Backtest numbers describe the past, not live results."""


@group.command("run")
@feed_option(help="Data to trade on (dataset: the files in config/tracer.yaml).")
@seed_option()
@click.option("--start", type=IsoTime(), required=True, help="First decision time (ISO-8601).")
@click.option("--end", type=IsoTime(), required=True, help="Last decision time (ISO-8601).")
@allow_unknown_symbol_option
@click.option("--symbol", type=Symbol(), default=None,
              help="Symbol (default: config/tracer.yaml).")
@synthetic_edge_option
@click.option("--direction", "mode", type=click.Choice(["long-short", "long-only"]),
              default="long-short", show_default=True,
              help="What a down trigger does: open a short (long-short) or only close a long "
              "(long-only).")
@click.option("--fee-bps", type=click.FloatRange(min=0.0, max=10_000.0, max_open=True),
              default=10.0, show_default=True,
              help="Commission per fill, in basis points of the notional (10 = 0.1 %).")
@click.option("--slippage-bps", type=click.FloatRange(min=0.0, max=10_000.0, max_open=True),
              default=5.0, show_default=True,
              help="Adverse slippage per fill, in basis points of the open.")
@click.option("--initial-cash", type=click.FloatRange(min=0.0, min_open=True),
              default=100_000.0, show_default=True, help="Starting cash.")
@click.option("--position-fraction", type=click.FloatRange(min=0.0, max=1.0, min_open=True),
              default=0.5, show_default=True,
              help="Notional per trade, as a fraction of the starting cash (fixed size in "
              "units, set at the first trigger's close).")
@artifacts_dir_option
@pipeline_errors
def run_command(feed: str, seed: int, start: datetime, end: datetime, symbol: str | None,
                synthetic_edge: float | None, mode: str, fee_bps: float, slippage_bps: float,
                initial_cash: float, position_fraction: float, artifacts_dir: Path) -> None:
    """Trade the divergence signal over a period and write its report.

    Replays the period event by event through the pipeline's walk (the decision a scheduled
    run makes at each poll): an up trigger goes long, a down trigger short (or flat with
    --direction long-only); a position is held for the forecast horizon or until an opposite
    trigger; orders fill at the next bar's open through the ledger, with fees and slippage.
    Writes runs/backtests/<id>/ (report.json, report.md, trades.csv, equity.csv, plot.png;
    the id hashes config, feed, period and data) and prints one JSON summary: triggers with
    their reason counts, hit rate with its Wilson interval and sample size, base rate,
    Brier, log-loss, trades, equity, drawdown, exposure and costs. A period the data does not
    cover is an error (exit 1). Backtest and synthetic results do not predict live results.

    Example:

        tb backtest run --feed synthetic --seed 7 --start 2025-01-01 --end 2025-07-01
    """
    from functions.backtest.divergence import BacktestRequest, run_divergence_backtest
    from shared.backtest.divergence import TradeMode

    if end < start:
        raise click.BadParameter("--end must not be before --start", param_hint="--end")
    request = BacktestRequest(
        feed=feed, seed=seed, start=start, end=end, symbol=symbol,
        synthetic_edge=synthetic_edge, mode=TradeMode(mode), fee_bps=fee_bps,
        slippage_bps=slippage_bps, initial_cash=initial_cash,
        position_fraction=position_fraction)
    summary = run_divergence_backtest(request, artifacts_dir)
    click.echo(json.dumps(summary, sort_keys=True, indent=2))


@group.command("reference-sma")
@click.option("--bars", "bars_path", type=click.Path(path_type=Path, dir_okay=False),
              required=True, help="Bars file: CryptoDataDownload, Yahoo daily, or a CSV/Parquet "
              "whose header names the columns (format read from the content, not the name).")
@click.option("--fast", type=click.IntRange(min=1), default=10, show_default=True,
              help="Fast SMA window, in bars.")
@click.option("--slow", type=click.IntRange(min=2), default=30, show_default=True,
              help="Slow SMA window, in bars (must exceed --fast).")
@click.option("--trades-out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the trade list here (the conformance files' CSV layout).")
@pipeline_errors
def reference_sma_command(bars_path: Path, fast: int, slow: int,
                          trades_out: Path | None) -> None:
    """Run the reference long-only SMA crossover and print one JSON object.

    The strategy of ../shared/docs/backtest-conformance.md: exact (correctly rounded) SMAs,
    cross-up buys 1 unit and cross-down sells it at the next bar's open, 0.1 % commission per
    fill, 100000 cash. Prints bars, closed_trades, open_position, final_equity and the loader's
    counts (rows_in_file, duplicate_timestamps_dropped, bad_rows_dropped). Numbers from past
    data that predict nothing live.

    Example:

        tb backtest reference-sma --bars SPY.csv --trades-out /tmp/spy-trades.csv
    """
    from functions.backtest.run import run_reference_sma

    if fast >= slow:
        raise click.BadParameter("--fast must be below --slow", param_hint="--fast")
    run = run_reference_sma(bars_path, fast=fast, slow=slow)
    if trades_out is not None:
        from shared.backtest.report import write_trades_csv

        write_trades_csv(trades_out, run.trade_rows)
    output = dict(run.summary, trades_out=str(trades_out) if trades_out else None)
    click.echo(json.dumps(output, sort_keys=True, indent=2))


LOOKAHEAD_START = datetime(2026, 1, 5, tzinfo=UTC)
LOOKAHEAD_DAYS = 14


@group.command("check-lookahead")
@feed_option(help="Data to check on (dataset: the files in config/tracer.yaml; then give "
             "--start).")
@seed_option(help="Seed of the synthetic feed, of the sampled times and of the perturbations.")
@click.option("--start", type=IsoTime(), default=None,
              help="First decision time (ISO-8601). Default: 2026-01-05T00:00:00Z on the "
              "synthetic feed; required with --feed dataset.")
@click.option("--end", type=IsoTime(), default=None,
              help=f"Last decision time (ISO-8601). Default: --start + {LOOKAHEAD_DAYS} days.")
@allow_unknown_symbol_option
@click.option("--symbol", type=Symbol(), default=None,
              help="Symbol (default: config/tracer.yaml).")
@click.option("--samples", type=click.IntRange(min=20), default=20, show_default=True,
              help="Decision times to sample (at least 20).")
def check_lookahead_command(feed: str, seed: int, start: datetime | None,
                            end: datetime | None, symbol: str | None, samples: int) -> None:
    """Prove that no decision reads the future, and print one JSON report.

    At sampled times t (seeded), decides with the real feed and with feeds whose data after
    t is changed (bars ending after t rescaled and shuffled, headlines fetched after t
    rewritten, moved and invented; separately, headlines published before t but fetched
    after it added), through decide_symbol at t and the walk over [start, t]. Every bot's
    envelope, the outcome and the forecast must be equal. Prints samples, checked_decisions,
    leaks (time, decision_time, path, scenario, bot, field), per_sample and ok.

    Exits 0 when clean, 1 on a leak, 2 on a usage error (including data that does not cover
    the period).

    Example:

        tb backtest check-lookahead --feed synthetic --seed 7 --samples 20
    """
    from functions.backtest.lookahead import run_check_lookahead

    if start is None:
        if feed != "synthetic":
            raise click.UsageError("--start is required with --feed dataset")
        start = LOOKAHEAD_START
    end = end if end is not None else start + timedelta(days=LOOKAHEAD_DAYS)
    if end <= start:
        raise click.BadParameter("--end must be after --start", param_hint="--end")
    try:
        report = run_check_lookahead(feed=feed, seed=seed, start=start, end=end,
                                     symbol=symbol, samples=samples)
    except PipelineError as e:  # 1 means a leak, and only that
        raise click.UsageError(str(e)) from e
    click.echo(json.dumps(report, sort_keys=True, indent=2))
    if not report["ok"]:
        raise SystemExit(1)


def _window_options(f: Any) -> Any:
    """The walk-forward windows, shared by walk-forward, tune and compare."""
    for option in reversed((
        click.option("--train-days", type=click.FloatRange(min=1.0), default=60.0,
                     show_default=True, help="In-sample window, in days (rolling), or the "
                     "first in-sample window with --anchored."),
        click.option("--test-days", type=click.FloatRange(min=1.0), default=30.0,
                     show_default=True, help="Out-of-sample window after each in-sample one."),
        click.option("--anchored", is_flag=True, default=False,
                     help="In-sample windows all start at --start (default: rolling)."),
        click.option("--block-hours", type=click.IntRange(min=1), default=None,
                     help="Bootstrap block length in hours (default: twice the horizon; "
                     "never below it)."),
        click.option("--resamples", type=click.IntRange(min=1), default=1000,
                     show_default=True, help="Bootstrap resamples."),
    )):
        f = option(f)
    return f


@group.command("walk-forward")
@feed_option(help="Data to walk (dataset: the files in config/tracer.yaml).")
@seed_option(help="Seed of the synthetic feed, of the bootstrap and of any tuner.")
@click.option("--start", type=IsoTime(), required=True, help="First in-sample time (ISO-8601).")
@click.option("--end", type=IsoTime(), required=True, help="Last out-of-sample time (ISO-8601).")
@click.option("--symbol", type=Symbol(), multiple=True,
              help="Symbol (repeatable; default: config/tracer.yaml).")
@synthetic_edge_option
@_window_options
@click.option("--trials", type=click.IntRange(min=0), default=0, show_default=True,
              help="Optuna trials per fold to tune the divergence bot in-sample (0: keep the "
              "configured parameters; the logistic p_up is fitted in-sample either way).")
@pipeline_errors
def walk_forward_command(feed: str, seed: int, start: datetime, end: datetime,
                         symbol: tuple[str, ...], synthetic_edge: float | None,
                         train_days: float, test_days: float, anchored: bool,
                         block_hours: int | None, resamples: int, trials: int) -> None:
    """Walk parameters forward: fit in-sample, score out-of-sample, print one JSON object.

    Each fold fits the divergence bot's logistic p_up coefficients on its in-sample
    triggers (and, with --trials, tunes the bot in-sample), then walks the out-of-sample
    window after it through the one decision path. Prints oos_triggers, oos_resolved,
    oos_hit_rate, oos_base_rate, oos_brier, oos_log_loss and oos_z with block-bootstrap
    intervals (blocks at least the horizon long: overlapping outcomes are not independent),
    the sample sizes, the windows and each fold's fitted parameters. Walk-forward results
    on past or synthetic data do not predict live results.

    Example:

        tb backtest walk-forward --start 2025-01-01T00:00:00Z --end 2025-07-01T00:00:00Z
    """
    from functions.backtest.walkforward import WindowPlan, run_walk_forward_command

    if end <= start:
        raise click.BadParameter("--end must be after --start", param_hint="--end")
    plan = WindowPlan(train_days, test_days, anchored, block_hours, resamples)
    out = run_walk_forward_command(feed=feed, seed=seed, start=start, end=end,
                                   symbols=list(symbol) or None,
                                   synthetic_edge=synthetic_edge, plan=plan, trials=trials)
    click.echo(json.dumps(out, sort_keys=True, indent=2))


@group.command("tune")
@click.option("--bot", "bot", required=True, metavar="NAME",
              help="Registered bot whose parameters are tuned (its generated SEARCH_SPACE; "
              "a wrong name lists them).")
@feed_option(help="Data to tune on (dataset: the files in config/tracer.yaml).")
@seed_option(help="Seed of the synthetic feed, the sampler and the bootstrap.")
@click.option("--start", type=IsoTime(), required=True, help="First decision time (ISO-8601).")
@click.option("--end", type=IsoTime(), required=True, help="Last decision time (ISO-8601).")
@click.option("--symbol", type=Symbol(), multiple=True,
              help="Symbol (repeatable; default: config/tracer.yaml).")
@synthetic_edge_option
@click.option("--trials", type=click.IntRange(min=1), default=50, show_default=True,
              help="Finished trials the study should hold (shared by every worker).")
@click.option("--space", type=click.Choice(["local", "full"]), default="local",
              show_default=True, help="Search the whole range each config bound allows "
              "(full) or the part around the configured value (local; see docs/backtest.md).")
@click.option("--sampler", type=click.Choice(["tpe", "random"]), default="tpe",
              show_default=True, help="Optuna sampler (seeded).")
@click.option("--objective", type=click.Choice(sorted(OBJECTIVE_NAMES)), default="log_loss",
              show_default=True, help="Score a trial is judged by (see the module docs).")
@click.option("--min-resolved", type=click.IntRange(min=1), default=10, show_default=True,
              help="Fewer resolved triggers than this score the objective's penalty.")
@click.option("--inner-folds", type=click.IntRange(min=1, max=24), default=3,
              show_default=True, help="Folds of the tuning window (the pruner sees each).")
@click.option("--holdout-days", type=click.FloatRange(min=1.0), default=60.0,
              show_default=True, help="Last days of the period, never seen by a trial.")
@click.option("--storage", default=None, metavar="URL",
              help="Study storage: an RDB URL (sqlite:///study.db, postgresql://...) or "
              "journal:PATH, so several processes share one study (default: a journal file "
              "under <artifacts-dir>/.tb-cache/optuna/).")
@click.option("--study-name", default=None, help="Study name (default: <bot>-<run id>).")
@click.option("--worker", type=click.IntRange(min=0), default=0, show_default=True,
              help="Worker number when several processes share a study (offsets the "
              "sampler's seed).")
@click.option("--block-hours", type=click.IntRange(min=1), default=None,
              help="Bootstrap block length in hours (default: twice the horizon).")
@click.option("--resamples", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Bootstrap resamples.")
@click.option("--no-write", is_flag=True, default=False,
              help="Print the result without writing runs/optimizer/<id>/result.json.")
@artifacts_dir_option
@pipeline_errors
def tune_command(bot: str, feed: str, seed: int, start: datetime, end: datetime,
                 symbol: tuple[str, ...], synthetic_edge: float | None, trials: int,
                 space: str, sampler: str, objective: str, min_resolved: int, inner_folds: int,
                 holdout_days: float, storage: str | None, study_name: str | None,
                 worker: int, block_hours: int | None, resamples: int, no_write: bool,
                 artifacts_dir: Path) -> None:
    """Tune a bot with Optuna and write a reference run; print it as JSON.

    Trials walk the tuning window (the period minus its last --holdout-days) through the
    one decision path, fold by fold, reporting the objective after each fold to a median
    pruner. The winner and the configured parameters are then walked onto the held-out
    window (logistic p_up fitted on the tuning window) and scored with block-bootstrap
    intervals. Writes runs/optimizer/<run_id>/result.json (winning params, score function,
    data, windows, out-of-sample result). Tuned results on past or synthetic data do not
    predict live results.

    Example:

        tb backtest tune --bot divergence --start 2025-01-01T00:00:00Z --trials 40
            --end 2025-07-01T00:00:00Z --sampler tpe --seed 7
    """
    from functions.backtest.tune import run_tune
    from shared.backtest.tuning import TuneSpec
    from shared.bots.registry import BOTS

    if bot not in BOTS:
        raise click.BadParameter(f"{bot!r} is not a registered bot (known: "
                                 f"{', '.join(sorted(BOTS))})", param_hint="--bot")
    if end <= start:
        raise click.BadParameter("--end must be after --start", param_hint="--end")
    spec = TuneSpec(bot=bot, objective=objective, min_resolved=min_resolved, trials=trials,
                    sampler="random" if sampler == "random" else "tpe", seed=seed,
                    inner_folds=inner_folds, holdout_days=holdout_days, storage=storage,
                    study_name=study_name, worker=worker,
                    space="full" if space == "full" else "local")
    result, path = run_tune(feed=feed, seed=seed, start=start, end=end,
                            symbols=list(symbol) or None, synthetic_edge=synthetic_edge,
                            spec=spec, artifacts_dir=artifacts_dir, block_hours=block_hours,
                            resamples=resamples, write=not no_write)
    out = result.model_dump(mode="json") | {"written": str(path) if path else None}
    click.echo(json.dumps(out, sort_keys=True, indent=2))


GOVERNANCE_START = datetime(2021, 11, 1, tzinfo=UTC)  # the pinned datasets' news overlap
GOVERNANCE_END = datetime(2022, 7, 1, tzinfo=UTC)


@group.command("compare")
@click.option("--base", "base_ref", required=True, help="Git ref of the old parameters.")
@click.option("--head", "head_ref", required=True, help="Git ref of the new parameters.")
@click.option("--repo", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default=".", show_default=True, help="Git repository to read refs from.")
@feed_option(help="Data both are walked on (default for the gate: dataset, the pinned "
             "files in config/tracer.yaml of the working tree).")
@seed_option(help="Seed of the synthetic feed and of the bootstrap.")
@click.option("--start", type=IsoTime(), default=None,
              help="First in-sample time (default: 2021-11-01T00:00:00Z, the pinned news).")
@click.option("--end", type=IsoTime(), default=None,
              help="Last out-of-sample time (default: 2022-07-01T00:00:00Z).")
@click.option("--symbol", type=Symbol(), multiple=True,
              help="Symbol (repeatable; default: every dataset symbol, or the tracer's).")
@synthetic_edge_option
@_window_options
@click.option("--summary-out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Append the Markdown table here (the workflow gives $GITHUB_STEP_SUMMARY).")
def compare_command(base_ref: str, head_ref: str, repo: Path, feed: str, seed: int,
                    start: datetime | None, end: datetime | None, symbol: tuple[str, ...],
                    synthetic_edge: float | None, train_days: float, test_days: float,
                    anchored: bool, block_hours: int | None, resamples: int,
                    summary_out: Path | None) -> None:
    """Walk the old and new parameters forward and fail when the new are worse.

    Reads config/ at both git refs (git show, into temporary directories), walks each
    forward on the same data and windows (logistic p_up fitted in-sample in each fold), and
    prints one JSON object: base and head out-of-sample scores with intervals, verdict
    (worse, not_worse, inconclusive), reasons and the declared tolerance. Exits 1 when the
    head is worse beyond tolerance, 2 on a usage or data error. Backtest results do not
    predict live results.

    Example:

        tb backtest compare --base origin/main --head HEAD --feed dataset
    """
    from functions.backtest.compare import run_compare
    from functions.backtest.walkforward import WindowPlan

    start = start or GOVERNANCE_START
    end = end or GOVERNANCE_END
    if end <= start:
        raise click.BadParameter("--end must be after --start", param_hint="--end")
    plan = WindowPlan(train_days, test_days, anchored, block_hours, resamples)
    try:
        result, markdown = run_compare(repo=repo, base_ref=base_ref, head_ref=head_ref,
                                       feed=feed, seed=seed, start=start, end=end,
                                       symbols=list(symbol) or None,
                                       synthetic_edge=synthetic_edge, plan=plan)
    except PipelineError as e:  # 1 means "worse", and only that
        raise click.UsageError(str(e)) from e
    if summary_out is not None:
        with summary_out.open("a", encoding="utf-8") as handle:
            handle.write(markdown)
    click.echo(json.dumps(result, sort_keys=True, indent=2))
    if result["verdict"] == "worse":
        raise SystemExit(1)


@group.command("sensitivity")
@seed_option(help="Seed of the synthetic feed.")
@click.option("--start", type=IsoTime(), required=True, help="First decision time (ISO-8601).")
@click.option("--end", type=IsoTime(), required=True, help="Last decision time (ISO-8601).")
@click.option("--symbol", type=Symbol(), multiple=True,
              help="Symbol (repeatable; default: config/tracer.yaml).")
def sensitivity_command(seed: int, start: datetime, end: datetime,
                        symbol: tuple[str, ...]) -> None:
    """Does the configured signal find the synthetic feed's planted relation? Print JSON.

    Walks the window with the relation on and off and reports the signal's triggers, hit
    rate, baseline hit rate and binomial z (found: z >= 3 with the relation on; invented:
    |z| >= 3 with it off), next to an oracle that knows which synthetic stories are
    informed (calls their side at the first poll after their first headline), with the
    ratios of the signal's z and excess hit rate to the oracle's. Synthetic results do not
    predict live results.

    Example:

        tb backtest sensitivity --start 2025-01-01T00:00:00Z --end 2025-07-01T00:00:00Z
    """
    from functions.backtest.sensitivity import run_sensitivity

    if end <= start:
        raise click.BadParameter("--end must be after --start", param_hint="--end")
    try:
        out = run_sensitivity(seed=seed, start=start, end=end, symbols=list(symbol) or None)
    except PipelineError as e:
        raise click.UsageError(str(e)) from e
    click.echo(json.dumps(out, sort_keys=True, indent=2))
