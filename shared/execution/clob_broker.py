"""The mock CLOB behind the :class:`~shared.execution.broker.Broker` interface.

How an :class:`~shared.execution.broker.Order` becomes a CLOB order:

* ``symbol`` is the outcome token id; ``qty`` (shares) is rounded *down* to the market's size
  decimals, as py-clob-client's order builder does;
* a ``LIMIT`` order keeps its price (the CLOB refuses one off the tick grid; we never round a
  price the caller chose); a ``MARKET`` order is a marketable limit at the worst valid price
  (buy ``1 - tick``, sell ``tick``), FOK unless FAK is asked: Polymarket has no other market
  order (``MarketOrderArgs`` defaults to FOK);
* ``tif`` GTC/GTD/FOK/FAK map one to one (GTD's ``expire_at`` becomes unix seconds); DAY does
  not exist on the CLOB and is refused;
* the ``client_order_id`` is the order's salt, so the CLOB order id is a pure function of the
  order: a resubmission is "Duplicated" at the venue as well as known here.

Each CLOB refusal text maps to one ``REJECT_*`` code (:data:`REJECT_BY_KIND`); the text
itself goes to ``OrderAck.message``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal

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
from shared.execution.clob import (
    ROUNDING,
    ClobOrder,
    ClobOrderArgs,
    ClobOrderState,
    ClobOrderType,
    ClobSide,
    MockClob,
    error_kind,
)

__all__ = ["REJECT_BY_KIND", "ClobBroker"]

REJECT_BY_KIND: dict[str, str] = {
    "payload": "REJECT_INVALID_ORDER",
    "tick": "REJECT_TICK_SIZE",
    "price_range": "REJECT_TICK_SIZE",
    "min_size": "REJECT_MIN_SIZE",
    "duplicated": "REJECT_VENUE_ERROR",
    "balance": "REJECT_INSUFFICIENT_FUNDS",
    "expiration": "REJECT_INVALID_ORDER",
    "post_only": "REJECT_POST_ONLY_CROSSES",
    "fok": "REJECT_FOK_UNFILLED",
    "fak": "REJECT_FOK_UNFILLED",
    "not_ready": "REJECT_MARKET_CLOSED",
}
_TIF = {TimeInForce.GTC: ClobOrderType.GTC, TimeInForce.GTD: ClobOrderType.GTD,
        TimeInForce.FOK: ClobOrderType.FOK, TimeInForce.FAK: ClobOrderType.FAK}
_STATE = {ClobOrderState.FILLED: OrderState.FILLED, ClobOrderState.CANCELLED:
          OrderState.CANCELLED, ClobOrderState.EXPIRED: OrderState.EXPIRED}


class ClobBroker:
    """One owner's view of a :class:`MockClob`, as a Broker (``live`` is always False)."""

    name = "mock_clob"
    live = False

    def __init__(self, clob: MockClob, *, owner: str = "tracer-bullet") -> None:
        self.clob = clob
        self.owner = owner
        self._ids: dict[str, str] = {}  # client_order_id -> CLOB order id
        self._orders: dict[str, Order] = {}

    def submit(self, order: Order) -> OrderAck:
        known = self.get_order_by_client_id(order.client_order_id)
        if known is not None:
            return OrderAck(order.client_order_id, True, known, duplicate=True)
        problems = order.problems()
        if not problems and not self.clob.has_market(order.symbol):
            problems = [f"no CLOB market for token {order.symbol!r}"]
        if not problems and order.tif not in _TIF:
            problems = [f"the CLOB has no {order.tif.value} orders (GTC, GTD, FOK, FAK)"]
        if problems:
            return self._refused(order, "REJECT_INVALID_ORDER", "; ".join(problems))
        args = self._args(order)
        if isinstance(args, str):
            return self._refused(order, "REJECT_INVALID_ORDER", args)
        answer = self.clob.post_order(args)
        if not answer.success and self.clob.order(args.order_id) is not None:
            # "Duplicated": the venue holds this very order (same client id as salt), placed
            # by an earlier run or adapter; answer with it and place nothing.
            self._ids[order.client_order_id] = args.order_id
            self._orders[order.client_order_id] = order
            return OrderAck(order.client_order_id, True, self.get_order_by_client_id(
                order.client_order_id), message=answer.errorMsg, duplicate=True)
        if not answer.success:
            kind = error_kind(answer.errorMsg)
            code = REJECT_BY_KIND.get(kind or "", "REJECT_VENUE_ERROR")
            return self._refused(order, code, answer.errorMsg)
        self._ids[order.client_order_id] = answer.orderID
        self._orders[order.client_order_id] = order
        return OrderAck(order.client_order_id, True, self.get_order_by_client_id(
            order.client_order_id), message=answer.status.value if answer.status else "")

    def cancel(self, client_order_id: str) -> OrderAck:
        order_id = self._ids.get(client_order_id)
        if order_id is None:
            return OrderAck(client_order_id, False, reason_code="REJECT_UNKNOWN_ORDER",
                            message="no order with this client id reached the CLOB")
        answer = self.clob.cancel(order_id, owner=self.owner)
        status = self.get_order_by_client_id(client_order_id)
        if order_id in answer.canceled:
            return OrderAck(client_order_id, True, status)
        return OrderAck(client_order_id, False, status, reason_code="REJECT_INVALID_ORDER",
                        message=answer.not_canceled.get(order_id, "not canceled"))

    def get_order_by_client_id(self, client_order_id: str) -> OrderStatus | None:
        order_id = self._ids.get(client_order_id)
        placed = self.clob.order(order_id) if order_id else None
        if placed is None:
            return None
        return self._status(self._orders[client_order_id], placed)

    def positions(self) -> dict[str, Position]:
        held = self.clob.holdings(self.owner)
        out: dict[str, Position] = {}
        for token, qty in sorted(held.shares.items()):
            if qty != 0:
                out[token] = Position(token, float(qty), float(self._avg_price(token)))
        return out

    def account(self) -> Account:
        """Cash is the owner's USDC; equity marks shares at the last trade, else the
        midpoint, else the average entry price."""
        held = self.clob.holdings(self.owner)
        equity = held.usdc
        for token, qty in held.shares.items():
            equity += qty * self._mark(token)
        return Account(cash=float(held.usdc), equity=float(equity), currency="USDC")

    # ------------------------------------------------------------------ internals

    def _args(self, order: Order) -> ClobOrderArgs | str:
        tick_text = self.clob.tick_size(order.symbol)
        tick = Decimal(tick_text)
        size = Decimal(repr(order.qty)).quantize(Decimal(1).scaleb(-ROUNDING[tick_text][1]),
                                                 rounding=ROUND_DOWN)
        if order.type is OrderType.MARKET:
            price = 1 - tick if order.side is OrderSide.BUY else tick
            kind = ClobOrderType.FAK if order.tif is TimeInForce.FAK else ClobOrderType.FOK
        else:
            assert order.limit_price is not None  # (problems() refuses a limit without one)
            price = Decimal(repr(order.limit_price))
            kind = _TIF[order.tif]
        expiration = 0
        if kind is ClobOrderType.GTD:
            try:
                when = datetime.fromisoformat(str(order.expire_at).replace("Z", "+00:00"))
            except ValueError:
                return f"expire_at {order.expire_at!r} is not an ISO 8601 time"
            if when.tzinfo is None:
                return f"expire_at {order.expire_at!r} has no timezone"
            expiration = int(when.timestamp())
        side = ClobSide.BUY if order.side is OrderSide.BUY else ClobSide.SELL
        return ClobOrderArgs(order.symbol, price, size, side, kind, order.post_only,
                             expiration, self.owner, salt=order.client_order_id)

    def _refused(self, order: Order, code: str, message: str) -> OrderAck:
        status = OrderStatus(order, OrderState.REJECTED, reason_code=code, message=message)
        return OrderAck(order.client_order_id, False, status, reason_code=code, message=message)

    def _status(self, order: Order, placed: ClobOrder) -> OrderStatus:
        fills = tuple(self._fills(order, placed))
        filled = sum(f.qty for f in fills)
        notional = sum(f.qty * f.price for f in fills)
        if placed.state is ClobOrderState.OPEN:
            state = OrderState.PARTIALLY_FILLED if fills else OrderState.NEW
        else:
            state = _STATE[placed.state]
        return OrderStatus(order, state, filled_qty=filled,
                           avg_fill_price=notional / filled if filled else None,
                           venue_order_id=placed.order_id, fills=fills)

    def _fills(self, order: Order, placed: ClobOrder) -> list[Fill]:
        return [Fill(order.client_order_id, t.trade_id, order.symbol, order.side,
                     float(t.size), float(t.price), 0.0, _iso(t.match_time))
                for t in self.clob.trades
                if placed.order_id in (t.taker_order_id, t.maker_order_id)]

    def _avg_price(self, token: str) -> Decimal:
        qty = cost = Decimal(0)
        for t in self.clob.trades:
            if t.token_id != token or self.owner not in (t.taker_owner, t.maker_owner):
                continue
            bought = (t.taker_side is ClobSide.BUY) == (t.taker_owner == self.owner)
            if bought:
                qty, cost = qty + t.size, cost + t.size * t.price
            elif qty > 0:
                cost -= cost * t.size / qty
                qty -= t.size
        return cost / qty if qty > 0 else Decimal(0)

    def _mark(self, token: str) -> Decimal:
        last = self.clob.last_trade_price(token) if self.clob.has_market(token) else None
        if last is not None:
            return last
        if self.clob.has_market(token):
            bid, ask = self.clob.best(token, ClobSide.BUY), self.clob.best(token, ClobSide.SELL)
            if bid is not None and ask is not None:
                return (bid + ask) / 2
        return self._avg_price(token)


def _iso(secs: int) -> str:
    return datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
