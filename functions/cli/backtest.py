"""``tb backtest``: strategies over recorded bars (engine conformance for now)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from functions.cli.options import pipeline_errors

__all__ = ["group"]


@click.group("backtest")
def group() -> None:
    """Backtests over recorded bars. Backtest numbers describe the past, not live results."""


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
