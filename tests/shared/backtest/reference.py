"""The conformance doc's rules written the slow, obvious way (math.fsum, one bar at a time):
the oracle the vectorised engine is checked against."""

from __future__ import annotations

import math
from collections.abc import Sequence


def reference_trades(opens: Sequence[float], closes: Sequence[float], fast: int = 10,
                     slow: int = 30, cash: float = 100_000.0
                     ) -> tuple[list[tuple[int, float, int | None, float | None, float | None]],
                                float]:
    """[(entry_bar, entry_price, exit_bar, exit_price, pnl)], final equity."""
    n = len(closes)

    def sma(k: int, t: int) -> float:
        return math.fsum(closes[t - k + 1:t + 1]) / k

    last_nonzero = 0.0
    long = False
    trades: list[tuple[int, float, int | None, float | None, float | None]] = []
    for t in range(slow - 1, n):
        diff = sma(fast, t) - sma(slow, t)
        up = diff > 0 and last_nonzero < 0
        down = diff < 0 and last_nonzero > 0
        if diff != 0:
            last_nonzero = diff
        if t >= n - 1:
            continue
        price = opens[t + 1]
        if up and not long and cash >= price * 1.001:
            cash -= price + 0.001 * price
            long = True
            trades.append((t + 1, price, None, None, None))
        elif down and long:
            cash += price - 0.001 * price
            long = False
            entry_bar, entry, *_ = trades[-1]
            pnl = (price - entry) * 1 - 0.001 * (entry + price)
            trades[-1] = (entry_bar, entry, t + 1, price, pnl)
    return trades, cash + (closes[-1] if long else 0.0)
