"""The backtest's picture as PNG bytes: price with the trigger markers above, equity below.

As the evaluation plots (:mod:`shared.evaluation.render`): the Agg backend, a fixed size and
dpi, and no ``Software`` metadata (the matplotlib version), so the same result gives the same
bytes. The x axis is hours since the first decision (numbers, not dates: no locator that
depends on the locale or the matplotlib version's date handling).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  # the backend must be chosen first
import numpy as np  # noqa: E402

from shared.backtest.divergence import BacktestResult  # noqa: E402
from shared.backtest.metrics import curve  # noqa: E402
from shared.contracts import Direction, format_utc  # noqa: E402

__all__ = ["equity_price_png"]

_SIZE_INCHES = (10.0, 6.4)
_DPI = 100
_METADATA: dict[str, str | None] = {"Software": None}
_NS_PER_HOUR = 3_600_000_000_000


def equity_price_png(result: BacktestResult) -> bytes:
    """Close price with up/down trigger markers, and the equity curve."""
    rows = curve(result)
    origin = int(rows.end_ns[0]) if len(rows.end_ns) else 0
    hours = (rows.end_ns - origin) / _NS_PER_HOUR
    figure, (top, bottom) = plt.subplots(2, 1, figsize=_SIZE_INCHES, sharex=True,
                                         gridspec_kw={"height_ratios": [3, 2]})
    top.plot(hours, rows.close, color="black", linewidth=0.8, label="close")
    for direction, marker, colour in ((Direction.UP, "^", "tab:green"),
                                      (Direction.DOWN, "v", "tab:red")):
        times = np.array([int(t.as_of.timestamp()) * 1_000_000_000 for t in result.triggers
                          if t.direction is direction], dtype=np.int64)
        if not len(times):
            continue
        index = np.clip(np.searchsorted(rows.end_ns, times, side="right") - 1, 0, None)
        top.scatter((times - origin) / _NS_PER_HOUR, rows.close[index], marker=marker,
                    color=colour, s=40, zorder=3, label=f"{direction.value} trigger")
    top.set_ylabel("price")
    start = format_utc(result.config.start)
    top.set_title(f"{result.symbol} from {start}: price and triggers (backtest, not a "
                  "prediction of live results)")
    top.legend(loc="upper left")
    bottom.plot(hours, rows.equity, color="tab:blue", linewidth=1.0, label="equity")
    bottom.axhline(result.ledger.initial_cash, linestyle="--", color="grey", linewidth=1)
    bottom.set_ylabel("equity")
    bottom.set_xlabel(f"hours since {start}")
    bottom.legend(loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, metadata=_METADATA)
    plt.close(figure)
    return buffer.getvalue()
