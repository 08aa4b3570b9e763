"""``tb backtest``: the divergence signal traded over any feed, engine conformance, and the
lookahead falsifier."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
