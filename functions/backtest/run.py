"""``tb backtest reference-sma``: the conformance strategy over one bars file.

Reads the file (the one input), runs the strategy through the ledger and returns the summary
and the trade rows; the shell writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.backtest.bars import load_price_bars
from shared.backtest.ledger import Costs
from shared.backtest.report import summary, trade_rows
from shared.backtest.sma import reference_sma
from shared.errors import ConfigError

__all__ = ["ReferenceSmaRun", "run_reference_sma"]


@dataclass(frozen=True)
class ReferenceSmaRun:
    summary: dict[str, Any]
    trade_rows: list[tuple[str, ...]]


def run_reference_sma(path: Path, *, fast: int = 10, slow: int = 30,
                      initial_cash: float = 100_000.0, costs: Costs | None = None
                      ) -> ReferenceSmaRun:
    """Load ``path`` and run the long-only SMA(fast/slow) crossover with next-open fills."""
    if not 1 <= fast < slow:
        raise ConfigError(f"need 1 <= fast < slow, got fast={fast} slow={slow}")
    bars = load_price_bars(path)
    if len(bars) == 0:
        raise ConfigError(f"{path}: no usable bars ({bars.rows_in_file} rows, "
                          f"{bars.bad_rows_dropped} bad)")
    result = reference_sma(bars.open, bars.close, fast=fast, slow=slow,
                           initial_cash=initial_cash, costs=costs)
    return ReferenceSmaRun(summary(bars, result, fast=fast, slow=slow),
                           trade_rows(bars, result))
