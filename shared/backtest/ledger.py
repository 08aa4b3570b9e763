"""The fill/cash/commission ledger every backtest goes through (reference SMA, divergence).

A strategy does not trade; it states, at the close of bar ``i``, the position it wants
(``target`` units; ``>= 0`` unless the caller allows shorts with ``allow_short=True``, when a
negative target is a short position). The ledger turns those orders into fills:

* an order decided at bar ``i`` is filled at bar ``i + 1``'s **open** (an order on the last
  bar has no next bar and is dropped, counted in ``orders_after_last_bar``);
* the fill price is ``open × (1 + slippage_rate)`` for a buy and ``open × (1 - slippage_rate)``
  for a sell (adverse; ``slippage_rate = 0`` for the reference strategy);
* every fill pays ``commission = commission_rate × price × |units|``;
  a buy moves ``cash -= price × units + commission``, a sell ``cash += price × units -
  commission``;
* a buy is filled only if ``cash >= price × units + commission`` at that moment; otherwise it
  is rejected, the position stays as it was and the order is dropped (counted in
  ``rejected_orders``). Orders are never resized;
* an order whose target equals the position then held is no order at all;
* a short sale is a sell (``cash += price × units - commission``), its cover a buy, under the
  same affordability rule. Equity is ``cash + position × close`` either way.

Round trips run from flat to flat. A round trip of two fills (one entry, one exit of the same
size) has ``pnl = (exit - entry) × units - commission_rate × (entry + exit) × |units|``, the
formula of the conformance trade lists (bit for bit; ``units`` is negative for a short); a
round trip of more fills has the cash
it made, net of every commission. An open position is marked at the last close in
``final_equity`` and has no pnl (no hypothetical exit commission).

The common case (no buy rejected) is computed with numpy in one pass; when a buy would be
unaffordable the same rules run order by order, with the same float operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["Costs", "Fills", "LedgerResult", "RoundTrips", "execute_targets"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Costs:
    """Trading costs: commission and slippage as fractions of the fill price (0.001 = 0.1 %)."""

    commission_rate: float = 0.001
    slippage_rate: float = 0.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.commission_rate < 1.0 and 0.0 <= self.slippage_rate < 1.0):
            raise ValueError(f"costs must be fractions in [0, 1): {self}")

    @classmethod
    def from_bps(cls, *, fee_bps: float, slippage_bps: float) -> Costs:
        """Costs from basis points (``fee_bps=10`` is 0.1 %), as the command line gives them."""
        return cls(commission_rate=fee_bps / 10_000.0, slippage_rate=slippage_bps / 10_000.0)


@dataclass(frozen=True)
class Fills:
    """Every fill in time order: the bar it happened on (at that bar's open), its price
    (slippage included), signed units (+ buy, - sell), the commission paid, and the cash and
    position right after it."""

    bar: IntArray
    price: FloatArray
    units: FloatArray
    commission: FloatArray
    cash_after: FloatArray
    position_after: FloatArray

    def __len__(self) -> int:
        return len(self.bar)


@dataclass(frozen=True)
class RoundTrips:
    """Flat-to-flat round trips in entry order; the last one may be open (``exit_bar`` -1,
    ``exit_price`` and ``pnl`` NaN)."""

    entry_bar: IntArray
    entry_price: FloatArray
    exit_bar: IntArray
    exit_price: FloatArray
    units: FloatArray
    pnl: FloatArray

    def __len__(self) -> int:
        return len(self.entry_bar)

    @property
    def closed(self) -> int:
        return int((self.exit_bar >= 0).sum())

    @property
    def is_open(self) -> npt.NDArray[np.bool_]:
        result: npt.NDArray[np.bool_] = self.exit_bar < 0
        return result


@dataclass(frozen=True)
class LedgerResult:
    """What the ledger did with the orders, and where it ended."""

    initial_cash: float
    costs: Costs
    fills: Fills
    trades: RoundTrips
    final_cash: float
    final_position: float
    final_equity: float
    rejected_orders: int
    orders_after_last_bar: int
    _close: FloatArray = field(repr=False)

    def equity_curve(self) -> FloatArray:
        """Equity at every bar's close: cash after that bar's fills + position × close."""
        n = len(self._close)
        last_fill = np.searchsorted(self.fills.bar, np.arange(n), side="right") - 1
        seen = last_fill >= 0
        safe = np.maximum(last_fill, 0)
        cash = np.where(seen, self.fills.cash_after[safe] if len(self.fills) else 0.0,
                        self.initial_cash)
        position = np.where(seen, self.fills.position_after[safe] if len(self.fills) else 0.0,
                            0.0)
        curve: FloatArray = cash + position * self._close
        return curve

    def max_drawdown(self) -> float:
        """Largest fall of the equity curve from its running peak, as a fraction of the peak."""
        curve = self.equity_curve()
        if not len(curve):
            return 0.0
        peak = np.maximum.accumulate(curve)
        return float(np.max((peak - curve) / peak))


def execute_targets(
    open_: FloatArray,
    close: FloatArray,
    signal_bar: IntArray,
    target: FloatArray,
    *,
    initial_cash: float = 100_000.0,
    costs: Costs | None = None,
    allow_short: bool = False,
) -> LedgerResult:
    """Fill target-position orders (decided at ``signal_bar``, ascending) at the next open.

    Several orders may share a bar (filled in the order given, at the same open): a flip from
    long to short is an order to 0 and one to the short target, two fills and two round
    trips."""
    costs = costs or Costs()
    open_ = np.asarray(open_, dtype=np.float64)
    close = np.asarray(close, dtype=np.float64)
    signal_bar = np.asarray(signal_bar, dtype=np.int64)
    target = np.asarray(target, dtype=np.float64)
    if len(signal_bar) != len(target):
        raise ValueError("signal_bar and target differ in length")
    if not np.isfinite(target).all() or (not allow_short and (target < 0).any()):
        raise ValueError("targets must be finite, and >= 0 unless shorts are allowed "
                         "(long-only by default)")
    if (np.diff(signal_bar) < 0).any():
        raise ValueError("orders must be in time order")
    n = len(open_)
    in_range = signal_bar < n - 1
    after_last = int((~in_range).sum())
    signal_bar, target = signal_bar[in_range], target[in_range]
    fills, rejected = _fill_vectorised(open_, signal_bar, target, initial_cash, costs)
    if fills is None:
        fills, rejected = _fill_one_by_one(open_, signal_bar, target, initial_cash, costs)
    final_cash = float(fills.cash_after[-1]) if len(fills) else initial_cash
    final_position = float(fills.position_after[-1]) if len(fills) else 0.0
    final_equity = final_cash + final_position * float(close[-1]) if n else final_cash
    return LedgerResult(
        initial_cash=initial_cash,
        costs=costs,
        fills=fills,
        trades=_round_trips(fills, costs, initial_cash),
        final_cash=final_cash,
        final_position=final_position,
        final_equity=final_equity,
        rejected_orders=rejected,
        orders_after_last_bar=after_last,
        _close=close,
    )


def _prices(open_at_fill: FloatArray, units: FloatArray, costs: Costs) -> FloatArray:
    if costs.slippage_rate == 0.0:
        return open_at_fill
    slip: FloatArray = np.where(units > 0, 1.0 + costs.slippage_rate, 1.0 - costs.slippage_rate)
    return open_at_fill * slip


def _cash_moves(price: FloatArray, units: FloatArray, costs: Costs
                ) -> tuple[FloatArray, FloatArray]:
    # (commission, cash delta) per fill; the one place the cash arithmetic is written
    notional = price * np.abs(units)
    commission: FloatArray = costs.commission_rate * notional
    delta: FloatArray = np.where(units > 0, -(notional + commission), notional - commission)
    return commission, delta


def _fill_vectorised(
    open_: FloatArray, signal_bar: IntArray, target: FloatArray, initial_cash: float,
    costs: Costs,
) -> tuple[Fills | None, int]:
    # every order filled (if any buy turns out unaffordable: None, the caller goes one by one)
    previous = np.concatenate(([0.0], target[:-1]))
    changes = target != previous
    # consecutive equal targets collapse: the position follows the targets exactly
    bars = signal_bar[changes] + 1
    position_after = target[changes]
    units = np.diff(np.concatenate(([0.0], position_after)))
    price = _prices(open_[bars], units, costs)
    commission, delta = _cash_moves(price, units, costs)
    cash_after = np.cumsum(np.concatenate(([initial_cash], delta)))
    cash_before, cash_after = cash_after[:-1], cash_after[1:]
    buys = units > 0
    if (cash_before[buys] < -delta[buys]).any():
        return None, 0
    return Fills(bars.astype(np.int64), price, units, commission, cash_after, position_after), 0


def _fill_one_by_one(
    open_: FloatArray, signal_bar: IntArray, target: FloatArray, initial_cash: float,
    costs: Costs,
) -> tuple[Fills, int]:
    rows: list[tuple[int, float, float, float, float, float]] = []
    cash, position, rejected = initial_cash, 0.0, 0
    for bar, wanted in zip(signal_bar.tolist(), target.tolist(), strict=True):
        units = wanted - position
        if units == 0.0:
            continue
        one = np.array([units])
        price = _prices(np.array([open_[bar + 1]]), one, costs)
        commission, delta = _cash_moves(price, one, costs)
        if units > 0 and cash < -float(delta[0]):
            rejected += 1
            continue
        cash += float(delta[0])  # one IEEE addition, as each step of the cumsum
        position = wanted
        rows.append((bar + 1, float(price[0]), units, float(commission[0]), cash, position))
    if not rows:
        empty = np.zeros(0)
        return Fills(np.zeros(0, dtype=np.int64), empty, empty, empty, empty, empty), rejected
    columns = list(zip(*rows, strict=True))
    return Fills(
        np.array(columns[0], dtype=np.int64), *(np.array(c, dtype=np.float64) for c in columns[1:])
    ), rejected


def _round_trips(fills: Fills, costs: Costs, initial_cash: float) -> RoundTrips:
    if not len(fills):
        empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
        return RoundTrips(empty_i, empty_f, empty_i, empty_f, empty_f, empty_f)
    flat_before = np.concatenate(([0.0], fills.position_after[:-1])) == 0.0
    entries = np.flatnonzero(flat_before)
    exits = np.flatnonzero(fills.position_after == 0.0)
    open_at_end = len(exits) < len(entries)
    closed_entries = entries[: len(exits)]
    entry_price = fills.price[entries]
    units = fills.units[entries]
    exit_price = np.full(len(entries), np.nan)
    exit_bar = np.full(len(entries), -1, dtype=np.int64)
    exit_price[: len(exits)] = fills.price[exits]
    exit_bar[: len(exits)] = fills.bar[exits]
    pnl = np.full(len(entries), np.nan)
    entry, leave = entry_price[: len(exits)], fills.price[exits]
    size = units[: len(exits)]
    two_fills = exits - closed_entries == 1
    rate = costs.commission_rate
    formula = (leave - entry) * size - rate * (entry + leave) * np.abs(size)
    cash_before = np.concatenate(([initial_cash], fills.cash_after))[closed_entries]
    made = fills.cash_after[exits] - cash_before
    pnl[: len(exits)] = np.where(two_fills, formula, made)
    if open_at_end:
        assert len(entries) == len(exits) + 1
    return RoundTrips(fills.bar[entries], entry_price, exit_bar, exit_price, units, pnl)
