"""A reference-SMA run as data: the trade list in the conformance files' layout and the
summary object ``tb backtest reference-sma`` prints. Pure; :func:`write_trades_csv` is the one
writer (temp file, then rename)."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

from shared.backtest.bars import PriceBars, time_labels
from shared.backtest.ledger import LedgerResult

__all__ = ["HONESTY_NOTE", "TRADE_COLUMNS", "summary", "trade_rows", "write_trades_csv"]

TRADE_COLUMNS = ("entry_time", "entry_price", "exit_time", "exit_price", "pnl", "status")
HONESTY_NOTE = (
    "Backtest on past data: these numbers say what this fixed rule would have done on this "
    "file, costs included; they predict nothing about live results."
)


def _number(value: float) -> str:
    # the shortest decimal that round-trips to the same float64 (Python's repr)
    return "" if math.isnan(value) else repr(float(value))


def trade_rows(bars: PriceBars, result: LedgerResult) -> list[tuple[str, ...]]:
    """One row per round trip, in entry order, as the conformance files write them."""
    trades = result.trades
    daily = bars.daily
    entry_times = time_labels(bars.time_ns[trades.entry_bar], daily=daily)
    exit_times = time_labels(bars.time_ns[trades.exit_bar[trades.exit_bar >= 0]], daily=daily)
    rows: list[tuple[str, ...]] = []
    for k, entry_time in enumerate(entry_times):
        is_open = bool(trades.exit_bar[k] < 0)
        rows.append((
            entry_time,
            _number(trades.entry_price[k]),
            "" if is_open else exit_times[k],
            _number(trades.exit_price[k]),
            _number(trades.pnl[k]),
            "open" if is_open else "closed",
        ))
    return rows


def write_trades_csv(path: Path, rows: list[tuple[str, ...]]) -> None:
    """Write the trade list (header + rows, ``\\n`` line ends) atomically."""
    path = Path(path)
    text = "".join(",".join(row) + "\n" for row in [TRADE_COLUMNS, *rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def summary(bars: PriceBars, result: LedgerResult, *, fast: int, slow: int) -> dict[str, Any]:
    """The JSON object of a reference-SMA run (counts as in ``summary.csv``)."""
    trades = result.trades
    open_rows = [k for k in range(len(trades)) if trades.exit_bar[k] < 0]
    open_trade = None
    if open_rows:
        k = open_rows[0]
        open_trade = {"entry_time": bars.label(int(trades.entry_bar[k])),
                      "entry_price": float(trades.entry_price[k]),
                      "units": float(trades.units[k])}
    closed_pnl = [float(p) for p in trades.pnl if not math.isnan(p)]
    wins = sum(1 for p in closed_pnl if p > 0)
    return {
        "strategy": "reference-sma",
        "file": str(bars.path),
        "format": bars.source_format.value,
        "fast": fast,
        "slow": slow,
        "rows_in_file": bars.rows_in_file,
        "duplicate_timestamps_dropped": bars.duplicate_timestamps_dropped,
        "bad_rows_dropped": bars.bad_rows_dropped,
        "bars": len(bars),
        "first": bars.label(0) if len(bars) else None,
        "last": bars.label(len(bars) - 1) if len(bars) else None,
        "fills": len(result.fills),
        "closed_trades": trades.closed,
        "winning_trades": wins,
        "open_position": open_trade is not None,
        "open_trade": open_trade,
        "rejected_orders": result.rejected_orders,
        "initial_cash": result.initial_cash,
        "commission_rate": result.costs.commission_rate,
        "slippage_rate": result.costs.slippage_rate,
        "final_cash": result.final_cash,
        "final_equity": result.final_equity,
        "net_pnl": result.final_equity - result.initial_cash,
        "max_drawdown": result.max_drawdown(),
        "fill_rule": "signal at bar t's close, filled at bar t+1's open",
        "note": HONESTY_NOTE,
    }
