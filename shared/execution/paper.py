"""The paper broker: simulated fills at the next bar's open, with the backtest's fill code.

An order submitted at decision time ``t`` rests until the bar that opens at ``t`` is known
(:meth:`PaperBroker.on_bar`), then fills at that bar's open with the backtest ledger's
slippage and commission (:func:`shared.backtest.ledger.fill_prices` and
:func:`~shared.backtest.ledger.cash_moves`, the same arithmetic as every backtest). A fill
takes at most ``participation_cap`` of the bar's volume: on a thin bar a market order fills
partially and the rest waits for the next bar (GTC) or is cancelled (FAK); an FOK order that
cannot fill in full is rejected. A buy the cash does not cover is rejected, never resized
(as in the backtest ledger). Long-only: a sell beyond the position is rejected.

Every order, fill and cancel is an event appended to :attr:`PaperBroker.events`, which the
ledger (:mod:`shared.execution.ledger`) writes and reconciles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from shared.backtest.ledger import Costs, cash_moves, fill_prices
from shared.execution.broker import (
    Account,
    Fill,
    Order,
    OrderAck,
    OrderSide,
    OrderState,
    OrderStatus,
    OrderType,
    Position,
    TimeInForce,
)

__all__ = ["FillBar", "PaperBroker"]


@dataclass(frozen=True)
class FillBar:
    symbol: str
    start: str  # ISO 8601 UTC: the fill time (the bar's open)
    open: float
    close: float
    volume: float


class PaperBroker:
    """A :class:`~shared.execution.broker.Broker` that fills against bars."""

    name = "paper"
    live = False

    def __init__(self, *, initial_cash: float, costs: Costs, participation_cap: float) -> None:
        self.initial_cash = initial_cash
        self.cash = initial_cash
        self.costs = costs
        self.participation_cap = participation_cap
        self._qty: dict[str, float] = {}
        self._avg: dict[str, float] = {}
        self.marks: dict[str, float] = {}
        self._orders: dict[str, OrderStatus] = {}
        self._resting: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.sent: list[str] = []  # client ids that reached the broker, in order
        self.now = ""  # the caller's clock (ISO), stamped on every event

    # -- Broker ---------------------------------------------------------------------------

    def submit(self, order: Order) -> OrderAck:
        known = self._orders.get(order.client_order_id)
        if known is not None:
            return OrderAck(order.client_order_id, True, known, duplicate=True)
        self.sent.append(order.client_order_id)
        problems = order.problems()
        if problems:
            return self._reject(order, "REJECT_INVALID_ORDER", "; ".join(problems))
        if order.side is OrderSide.SELL and order.qty > self._qty.get(order.symbol, 0.0) + 1e-12:
            return self._reject(order, "REJECT_INSUFFICIENT_FUNDS",
                                f"sell {order.qty} > position {self._qty.get(order.symbol, 0.0)}")
        status = OrderStatus(order, OrderState.NEW, venue_order_id=f"paper-{len(self._orders)}")
        self._orders[order.client_order_id] = status
        self._resting.append(order.client_order_id)
        self._event("order", status)
        return OrderAck(order.client_order_id, True, status)

    def cancel(self, client_order_id: str) -> OrderAck:
        status = self._orders.get(client_order_id)
        if status is None:
            return OrderAck(client_order_id, False, None, "REJECT_UNKNOWN_ORDER", "unknown id")
        if status.state.terminal:
            return OrderAck(client_order_id, False, status, "REJECT_INVALID_ORDER",
                            f"order is already {status.state.value}")
        return OrderAck(client_order_id, True, self._close(client_order_id,
                                                           OrderState.CANCELLED, "cancelled"))

    def get_order_by_client_id(self, client_order_id: str) -> OrderStatus | None:
        return self._orders.get(client_order_id)

    def positions(self) -> dict[str, Position]:
        return {s: Position(s, q, self._avg.get(s, 0.0)) for s, q in sorted(self._qty.items())
                if q != 0.0}

    def account(self) -> Account:
        return Account(cash=self.cash, equity=self.equity())

    def restore(self, cash: float, positions: dict[str, float], marks: dict[str, float],
                orders: list[OrderStatus]) -> None:
        """Load a previous run's account and orders (known ids dedupe; open ones rest)."""
        self.cash = cash
        self._qty = {s: q for s, q in positions.items() if q != 0.0}
        self.marks = dict(marks)
        for status in orders:
            self._orders[status.order.client_order_id] = status
            if not status.state.terminal:
                self._resting.append(status.order.client_order_id)

    # -- simulation -----------------------------------------------------------------------

    def equity(self) -> float:
        """cash + Σ qty × mark, summed exactly (fsum) so the ledger's check is to 1e-9."""
        return math.fsum([self.cash, *(q * self.marks.get(s, self._avg.get(s, 0.0))
                                       for s, q in sorted(self._qty.items()))])

    def resting(self, symbol: str | None = None) -> list[OrderStatus]:
        return [self._orders[c] for c in self._resting
                if symbol is None or self._orders[c].order.symbol == symbol]

    def on_bar(self, bar: FillBar) -> list[Fill]:
        """Fill what rests on ``bar.symbol`` at the bar's open, within the volume cap; then
        mark the symbol at the bar's close."""
        fills: list[Fill] = []
        room = self.participation_cap * bar.volume if math.isfinite(bar.volume) else 0.0
        for cid in [c for c in self._resting if self._orders[c].order.symbol == bar.symbol]:
            fill, room = self._try_fill(cid, bar, room)
            if fill is not None:
                fills.append(fill)
        if math.isfinite(bar.close) and bar.close > 0:
            self.marks[bar.symbol] = bar.close
        return fills

    def expire_all(self, why: str) -> None:
        """End of a replay: what still rests is cancelled (nothing is left hanging)."""
        for cid in list(self._resting):
            self._close(cid, OrderState.EXPIRED, why)

    def _try_fill(self, cid: str, bar: FillBar, room: float) -> tuple[Fill | None, float]:
        status = self._orders[cid]
        order = status.order
        wanted = status.remaining_qty
        if order.type is OrderType.LIMIT and order.limit_price is not None and (
                (order.side is OrderSide.BUY and bar.open > order.limit_price)
                or (order.side is OrderSide.SELL and bar.open < order.limit_price)):
            if order.tif in (TimeInForce.FOK, TimeInForce.FAK):
                self._close(cid, OrderState.CANCELLED, "limit not reached")
            return None, room
        qty = min(wanted, max(room, 0.0))
        if order.tif is TimeInForce.FOK and qty < wanted:
            self._close(cid, OrderState.REJECTED, "not fillable in full", "REJECT_FOK_UNFILLED")
            return None, room
        if qty <= 0.0 or not (math.isfinite(bar.open) and bar.open > 0):
            if order.tif is TimeInForce.FAK:
                self._close(cid, OrderState.CANCELLED, "no volume on the bar")
            return None, room
        if order.side is OrderSide.SELL and qty > self._qty.get(order.symbol, 0.0) + 1e-12:
            self._close(cid, OrderState.REJECTED, "sell exceeds the position held now",
                        "REJECT_INSUFFICIENT_FUNDS")
            return None, room
        units = np.array([qty if order.side is OrderSide.BUY else -qty])
        price = fill_prices(np.array([bar.open]), units, self.costs)
        commission, delta = cash_moves(price, units, self.costs)
        if order.side is OrderSide.BUY and self.cash < -float(delta[0]):
            self._close(cid, OrderState.REJECTED, f"cash {self.cash:.2f} does not cover "
                        f"{-float(delta[0]):.2f}", "REJECT_INSUFFICIENT_FUNDS")
            return None, room
        fill = Fill(cid, f"{cid}-{len(status.fills)}", order.symbol, order.side, qty,
                    float(price[0]), float(commission[0]), bar.start)
        self._apply(fill, float(delta[0]))
        filled = status.filled_qty + qty
        avg = math.fsum(f.price * f.qty for f in (*status.fills, fill)) / filled
        done = filled >= order.qty - 1e-12
        state = OrderState.FILLED if done else OrderState.PARTIALLY_FILLED
        status = replace(status, state=state, filled_qty=filled, avg_fill_price=avg,
                         fills=(*status.fills, fill))
        self._orders[cid] = status
        self.events.append({"event": "fill", "as_of": self.now, **_fill_json(fill),
                            "cash_after": self.cash,
                            "position_after": self._qty.get(order.symbol, 0.0)})
        if done:
            self._resting.remove(cid)
            self._event("filled", status)
        elif order.tif is TimeInForce.FAK:
            self._close(cid, OrderState.CANCELLED, "rest of a FAK order cancelled")
        return fill, room - qty

    def _apply(self, fill: Fill, delta: float) -> None:
        held = self._qty.get(fill.symbol, 0.0)
        after = held + fill.signed_qty
        if fill.side is OrderSide.BUY:
            self._avg[fill.symbol] = (held * self._avg.get(fill.symbol, 0.0)
                                      + fill.qty * fill.price) / after
        if abs(after) <= 1e-12:
            after = 0.0
            self._avg.pop(fill.symbol, None)
        self._qty[fill.symbol] = after
        self.cash += delta  # one IEEE addition per fill, as the backtest ledger

    def _reject(self, order: Order, code: str, message: str) -> OrderAck:
        status = OrderStatus(order, OrderState.REJECTED, reason_code=code, message=message)
        self._orders[order.client_order_id] = status
        self._event("rejected", status)
        return OrderAck(order.client_order_id, False, status, code, message)

    def _close(self, cid: str, state: OrderState, message: str, code: str | None = None
               ) -> OrderStatus:
        status = replace(self._orders[cid], state=state, message=message, reason_code=code)
        self._orders[cid] = status
        if cid in self._resting:
            self._resting.remove(cid)
        self._event(state.value, status)
        return status

    def _event(self, kind: str, status: OrderStatus) -> None:
        o = status.order
        self.events.append({"event": kind, "as_of": self.now,
                            "client_order_id": o.client_order_id,
                            "symbol": o.symbol, "side": o.side.value, "qty": o.qty,
                            "type": o.type.value, "tif": o.tif.value,
                            "limit_price": o.limit_price, "state": status.state.value,
                            "filled_qty": status.filled_qty, "reason_code": status.reason_code,
                            "message": status.message})


def _fill_json(fill: Fill) -> dict[str, Any]:
    return {"client_order_id": fill.client_order_id, "fill_id": fill.fill_id,
            "symbol": fill.symbol, "side": fill.side.value, "qty": fill.qty,
            "price": fill.price, "fee": fill.fee, "ts": fill.ts}
