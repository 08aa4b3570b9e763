"""A mock Polymarket CLOB (v2 order model): one limit order book per outcome token.

It follows the order model of the facts sheet (``external-apis.md`` §5.4) and Polymarket's
error reference (docs.polymarket.com/resources/error-codes, "Order processing errors"):

* **tick sizes** ``0.1 | 0.01 | 0.001 | 0.0001`` per market; a price must lie on the tick grid
  and in ``[tick, 1 - tick]`` (py-clob-client ``utilities.price_valid``); sizes carry at most
  two decimals (``ROUNDING``: price/size/amount decimals per tick, ``order_builder/builder.py``);
* **minimum size** per market (the book's ``min_order_size``, ``"5"`` on most markets);
* **order types** ``GTC`` (rests until filled or cancelled), ``GTD`` (rests until its
  ``expiration``, unix seconds; Polymarket applies a one-minute security threshold, so the
  order lives until ``expiration - 60`` and an expiration that leaves no life is refused),
  ``FOK`` (fills in full now or is killed, the book untouched), ``FAK`` (fills what it can
  now, the rest is cancelled; no match at all is refused); ``post_only`` only with GTC/GTD,
  and a post-only order that would cross the book is refused (never takes liquidity);
* **matching**: price-time priority (best price first, then arrival order within a price),
  trades at the resting (maker) order's price, partial fills on both sides;
* **balances**: a buy needs ``price x size`` collateral not already reserved by the owner's
  resting buys, a sell needs the shares not already reserved by resting sells ("not enough
  balance / allowance");
* **answers**: ``OrderResponse`` in the wire shape of ts-sdk ``order-response.ts``
  (``success``, ``errorMsg``, ``orderID``, ``status`` live|matched|delayed|unmatched,
  ``makingAmount``, ``takingAmount``, ``tradeIDs``, ``transactionsHashes``); every refusal's
  ``errorMsg`` is one of :data:`ERROR_TEMPLATES`, each a documented text.

Left out on purpose (none is used by the product): signatures and L1/L2 auth, fees
(``feeRateBps`` is 0), the YES/NO complement (mint/merge across tokens), tick-size changes
near the price extremes, the ``delayed`` match of sports markets, self-trade prevention.

Example::

    clob = MockClob(now=lambda: 1_700_000_000)
    clob.add_market("yes-token", tick_size="0.01", min_order_size=Decimal(5))
    clob.fund("maker", shares={"yes-token": Decimal(100)})
    clob.fund("taker", usdc=Decimal(100))
    clob.post_order(ClobOrderArgs("yes-token", Decimal("0.52"), Decimal(10), ClobSide.SELL,
                                  owner="maker"))
    answer = clob.post_order(ClobOrderArgs("yes-token", Decimal("0.55"), Decimal(10),
                                           ClobSide.BUY, ClobOrderType.FOK, owner="taker"))
    assert answer.status is ClobStatus.MATCHED and answer.takingAmount == "10"
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

__all__ = [
    "ERROR_TEMPLATES",
    "GTD_SECURITY_THRESHOLD_SECS",
    "ROUNDING",
    "TICK_SIZES",
    "ClobLevel",
    "CancelResponse",
    "ClobOrder",
    "ClobOrderArgs",
    "ClobOrderState",
    "ClobOrderType",
    "ClobSide",
    "ClobStatus",
    "Holdings",
    "MockClob",
    "OrderResponse",
    "Trade",
    "error_kind",
]

TICK_SIZES = ("0.1", "0.01", "0.001", "0.0001")
ROUNDING: dict[str, tuple[int, int, int]] = {
    "0.1": (1, 2, 3), "0.01": (2, 2, 4), "0.001": (3, 2, 5), "0.0001": (4, 2, 6),
}
"""Tick size → (price, size, amount) decimals (py-clob-client ``ROUNDING_CONFIG``)."""
GTD_SECURITY_THRESHOLD_SECS = 60

# Every text a refusal may carry, by kind. Sources: Polymarket's error reference (the server's
# "Order processing errors" and the POST /order payload error), and py-clob-client's
# ``create_order`` price-range check (``price_valid``) for a price off [tick, 1 - tick].
ERROR_TEMPLATES: dict[str, str] = {
    "payload": "Invalid order payload",
    "tick": "order {id} is invalid. Price ({price}) breaks minimum tick size rule: {tick}",
    "price_range": "price ({price}), min: {tick} - max: {max}",
    "min_size": "order {id} is invalid. Size ({size}) lower than the minimum: {min}",
    "duplicated": "order {id} is invalid. Duplicated.",
    "balance": "not enough balance / allowance",
    "expiration": "invalid expiration",
    "post_only": "invalid post-only order: order crosses book",
    "fok": "order couldn't be fully filled. FOK orders are fully filled or killed.",
    "fak": "no orders found to match with FAK order. FAK orders are partially filled or "
           "killed if no match is found.",
    "not_ready": "the market is not yet ready to process new orders",
}
_PATTERNS = {kind: re.compile("^" + re.sub(r"\\\{[a-z]+\\\}", ".+", re.escape(text)) + "$")
             for kind, text in ERROR_TEMPLATES.items()}


def error_kind(message: str) -> str | None:
    """The kind of a refusal text (a key of :data:`ERROR_TEMPLATES`), or None if the text is
    not a documented one."""
    for kind, pattern in _PATTERNS.items():
        if pattern.match(message):
            return kind
    return None


class ClobSide(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class ClobOrderType(StrEnum):
    GTC = "GTC"
    GTD = "GTD"
    FOK = "FOK"
    FAK = "FAK"


class ClobStatus(StrEnum):
    """``status`` of a placement answer: resting (live), traded (matched), or neither."""

    LIVE = "live"
    MATCHED = "matched"
    DELAYED = "delayed"
    UNMATCHED = "unmatched"


class ClobOrderState(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    CANCELLED = "cancelled"  # by its owner, or the unfilled rest of a FAK
    EXPIRED = "expired"


@dataclass(frozen=True)
class ClobOrderArgs:
    """One order as a client posts it (``OrderArgsV2`` + order type + post-only + owner).

    ``salt`` distinguishes otherwise identical orders: the order id is a hash of every field,
    so posting the very same order twice is refused as "Duplicated".
    """

    token_id: str
    price: Decimal
    size: Decimal
    side: ClobSide
    order_type: ClobOrderType = ClobOrderType.GTC
    post_only: bool = False
    expiration: int = 0
    owner: str = "owner"
    salt: str = ""

    @property
    def order_id(self) -> str:
        text = "|".join((self.token_id, str(self.price), str(self.size), self.side.value,
                         self.order_type.value, str(self.post_only), str(self.expiration),
                         self.owner, self.salt))
        return "0x" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class ClobOrder:
    """An order the book accepted; ``filled + remaining == size`` until it leaves the book."""

    args: ClobOrderArgs
    order_id: str
    seq: int
    created_at: int
    filled: Decimal = Decimal(0)
    state: ClobOrderState = ClobOrderState.OPEN

    @property
    def remaining(self) -> Decimal:
        return self.args.size - self.filled if self.state is ClobOrderState.OPEN else Decimal(0)


@dataclass(frozen=True)
class Trade:
    """One match: ``size`` shares at the maker's ``price``."""

    trade_id: str
    token_id: str
    price: Decimal
    size: Decimal
    taker_order_id: str
    maker_order_id: str
    taker_side: ClobSide
    taker_owner: str
    maker_owner: str
    match_time: int


@dataclass(frozen=True)
class OrderResponse:
    """The answer to ``POST /order`` (ts-sdk ``order-response.ts``); amounts are decimal
    strings, the maker side's (what the poster gives) and the taker side's (what it gets)."""

    success: bool
    errorMsg: str  # noqa: N815 - the wire name
    orderID: str  # noqa: N815
    status: ClobStatus | None
    makingAmount: str = ""  # noqa: N815
    takingAmount: str = ""  # noqa: N815
    tradeIDs: tuple[str, ...] = ()  # noqa: N815
    transactionsHashes: tuple[str, ...] = ()  # noqa: N815

    def to_wire(self) -> dict[str, Any]:
        return {"success": self.success, "errorMsg": self.errorMsg, "orderID": self.orderID,
                "status": self.status.value if self.status else "",
                "makingAmount": self.makingAmount, "takingAmount": self.takingAmount,
                "tradeIDs": list(self.tradeIDs),
                "transactionsHashes": list(self.transactionsHashes)}


@dataclass(frozen=True)
class CancelResponse:
    """``DELETE /order``: ``{"canceled": [...], "not_canceled": {id: reason}}``."""

    canceled: tuple[str, ...]
    not_canceled: dict[str, str]


@dataclass(frozen=True)
class ClobLevel:
    price: Decimal
    size: Decimal


@dataclass
class Holdings:
    """What an owner holds: collateral (USDC) and shares per token."""

    usdc: Decimal = Decimal(0)
    shares: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class _Market:
    token_id: str
    tick: Decimal
    tick_text: str
    min_size: Decimal
    ready: bool
    bids: list[ClobOrder] = field(default_factory=list)  # best first: price desc, seq asc
    asks: list[ClobOrder] = field(default_factory=list)  # best first: price asc, seq asc

    def side(self, side: ClobSide) -> list[ClobOrder]:
        return self.bids if side is ClobSide.BUY else self.asks

    def crossing(self, side: ClobSide, price: Decimal) -> Iterator[ClobOrder]:
        # Resting orders a taker of ``side`` at limit ``price`` may match, in priority order.
        for maker in self.asks if side is ClobSide.BUY else self.bids:
            if (maker.args.price > price) if side is ClobSide.BUY else (maker.args.price < price):
                return
            yield maker


class _Refused(Exception):  # noqa: N818 - internal control flow, never escapes the module
    def __init__(self, kind: str, **values: Any) -> None:
        super().__init__(ERROR_TEMPLATES[kind].format(**values))
        self.kind = kind


class MockClob:
    """Order books per token, owners' holdings, the trade tape; ``now`` gives unix seconds.

    ``orders_received`` counts every ``post_order`` call, refused or not: the readiness
    harness reads it to show that no order from a bot without execute authority arrived.
    """

    def __init__(self, *, now: Callable[[], int] = lambda: 0) -> None:
        self._now = now
        self._markets: dict[str, _Market] = {}
        self._orders: dict[str, ClobOrder] = {}
        self._holdings: dict[str, Holdings] = {}
        self.trades: list[Trade] = []
        self.orders_received = 0
        self._seq = 0

    # ------------------------------------------------------------------ setup

    def add_market(self, token_id: str, *, tick_size: str = "0.01",
                   min_order_size: Decimal = Decimal(5), ready: bool = True) -> None:
        """Open a book for ``token_id`` (tick size one of :data:`TICK_SIZES`)."""
        if tick_size not in TICK_SIZES:
            raise ValueError(f"tick size {tick_size!r} is not one of {TICK_SIZES}")
        if min_order_size <= 0:
            raise ValueError("min_order_size must be > 0")
        self._markets[token_id] = _Market(token_id, Decimal(tick_size), tick_size,
                                          min_order_size, ready)

    def fund(self, owner: str, *, usdc: Decimal = Decimal(0),
             shares: dict[str, Decimal] | None = None) -> None:
        """Credit ``owner`` with collateral and shares (a deposit; no order involved)."""
        held = self._holdings.setdefault(owner, Holdings())
        held.usdc += usdc
        for token, qty in (shares or {}).items():
            held.shares[token] = held.shares.get(token, Decimal(0)) + qty

    # ------------------------------------------------------------------ reads

    def now(self) -> int:
        return self._now()

    def tick_size(self, token_id: str) -> str:
        return self._markets[token_id].tick_text

    def min_order_size(self, token_id: str) -> Decimal:
        return self._markets[token_id].min_size

    def tokens(self) -> list[str]:
        return sorted(self._markets)

    def has_market(self, token_id: str) -> bool:
        return token_id in self._markets

    def order(self, order_id: str) -> ClobOrder | None:
        self._expire()
        return self._orders.get(order_id)

    def holdings(self, owner: str) -> Holdings:
        held = self._holdings.get(owner, Holdings())
        return Holdings(held.usdc, dict(held.shares))

    def resting(self, token_id: str, side: ClobSide) -> list[ClobOrder]:
        """Open orders of one side, best first (the matching order)."""
        self._expire()
        return list(self._markets[token_id].side(side))

    def book(self, token_id: str) -> dict[str, list[ClobLevel]]:
        """Aggregated levels, best first: ``{"bids": [...], "asks": [...]}``."""
        self._expire()
        market = self._markets[token_id]
        return {"bids": _levels(market.bids), "asks": _levels(market.asks)}

    def best(self, token_id: str, side: ClobSide) -> Decimal | None:
        orders = self.resting(token_id, side)
        return orders[0].args.price if orders else None

    def last_trade_price(self, token_id: str) -> Decimal | None:
        for trade in reversed(self.trades):
            if trade.token_id == token_id:
                return trade.price
        return None

    # ------------------------------------------------------------------ writes

    def post_order(self, args: ClobOrderArgs) -> OrderResponse:
        """Validate, match and (GTC/GTD) rest one order; refusals change nothing."""
        self.orders_received += 1
        self._expire()
        try:
            market = self._validate(args)
            return self._execute(market, args)
        except _Refused as e:
            return OrderResponse(success=False, errorMsg=str(e), orderID="", status=None)

    def cancel(self, order_id: str, *, owner: str) -> CancelResponse:
        """Cancel an open order of ``owner``; anything else lands in ``not_canceled``."""
        self._expire()
        order = self._orders.get(order_id)
        if order is None or order.args.owner != owner:
            return CancelResponse((), {order_id: "order not found"})
        if order.state is not ClobOrderState.OPEN:
            return CancelResponse((), {order_id: f"order is {order.state.value}"})
        self._close(order, ClobOrderState.CANCELLED)
        return CancelResponse((order_id,), {})

    # ------------------------------------------------------------------ internals

    def _validate(self, args: ClobOrderArgs) -> _Market:
        market = self._markets.get(args.token_id)
        if market is None:
            raise _Refused("payload")
        if not market.ready:
            raise _Refused("not_ready")
        if args.post_only and args.order_type not in (ClobOrderType.GTC, ClobOrderType.GTD):
            raise _Refused("payload")
        _, size_dp, _ = ROUNDING[market.tick_text]
        if not args.size.is_finite() or args.size <= 0 or _decimals(args.size) > size_dp:
            raise _Refused("payload")
        self._check_expiration(args)
        oid = args.order_id
        if not args.price.is_finite() or args.price % market.tick != 0:
            raise _Refused("tick", id=oid, price=args.price, tick=market.tick_text)
        if not market.tick <= args.price <= 1 - market.tick:
            raise _Refused("price_range", price=args.price, tick=market.tick_text,
                           max=1 - market.tick)
        if args.size < market.min_size:
            raise _Refused("min_size", id=oid, size=args.size, min=market.min_size)
        if oid in self._orders:
            raise _Refused("duplicated", id=oid)
        if not self._covered(args):
            raise _Refused("balance")
        return market

    def _check_expiration(self, args: ClobOrderArgs) -> None:
        if args.order_type is ClobOrderType.GTD:
            if args.expiration - GTD_SECURITY_THRESHOLD_SECS <= self._now():
                raise _Refused("expiration")
        elif args.expiration != 0:
            raise _Refused("expiration")

    def _covered(self, args: ClobOrderArgs) -> bool:
        held = self._holdings.get(args.owner, Holdings())
        if args.side is ClobSide.BUY:
            reserved = sum((o.remaining * o.args.price for o in self._open(args.owner, None)
                            if o.args.side is ClobSide.BUY), Decimal(0))
            return held.usdc - reserved >= args.price * args.size
        reserved = sum((o.remaining for o in self._open(args.owner, args.token_id)
                        if o.args.side is ClobSide.SELL), Decimal(0))
        return held.shares.get(args.token_id, Decimal(0)) - reserved >= args.size

    def _open(self, owner: str, token_id: str | None) -> Iterator[ClobOrder]:
        for market in self._markets.values():
            if token_id is not None and market.token_id != token_id:
                continue
            for order in (*market.bids, *market.asks):
                if order.args.owner == owner:
                    yield order

    def _execute(self, market: _Market, args: ClobOrderArgs) -> OrderResponse:
        makers = list(market.crossing(args.side, args.price))
        if args.post_only and makers:
            raise _Refused("post_only")
        available = sum((m.remaining for m in makers), Decimal(0))
        if args.order_type is ClobOrderType.FOK and available < args.size:
            raise _Refused("fok")
        if args.order_type is ClobOrderType.FAK and not makers:
            raise _Refused("fak")
        self._seq += 1
        order = ClobOrder(args, args.order_id, self._seq, self._now())
        self._orders[order.order_id] = order
        trades = [self._match(market, order, maker) for maker in makers
                  if order.remaining > 0]
        if order.remaining > 0:
            if args.order_type in (ClobOrderType.GTC, ClobOrderType.GTD):
                _insert(market.side(args.side), order)
            else:  # FAK: the unfilled rest is cancelled
                order.state = ClobOrderState.CANCELLED
        elif order.state is ClobOrderState.OPEN:
            order.state = ClobOrderState.FILLED
        shares = sum((t.size for t in trades), Decimal(0))
        usdc = sum((t.size * t.price for t in trades), Decimal(0))
        making, taking = (usdc, shares) if args.side is ClobSide.BUY else (shares, usdc)
        return OrderResponse(
            success=True, errorMsg="", orderID=order.order_id,
            status=ClobStatus.MATCHED if trades else ClobStatus.LIVE,
            makingAmount=_amount(making), takingAmount=_amount(taking),
            tradeIDs=tuple(t.trade_id for t in trades),
        )

    def _match(self, market: _Market, taker: ClobOrder, maker: ClobOrder) -> Trade:
        size = min(taker.remaining, maker.remaining)
        price = maker.args.price
        buyer, seller = ((taker, maker) if taker.args.side is ClobSide.BUY else (maker, taker))
        self._transfer(buyer.args.owner, seller.args.owner, market.token_id, size, price)
        taker.filled += size
        maker.filled += size
        if maker.remaining == 0:
            self._close(maker, ClobOrderState.FILLED)
        trade = Trade(
            trade_id=f"trade-{len(self.trades) + 1}", token_id=market.token_id, price=price,
            size=size, taker_order_id=taker.order_id, maker_order_id=maker.order_id,
            taker_side=taker.args.side, taker_owner=taker.args.owner,
            maker_owner=maker.args.owner, match_time=self._now(),
        )
        self.trades.append(trade)
        return trade

    def _transfer(self, buyer: str, seller: str, token: str, size: Decimal,
                  price: Decimal) -> None:
        paid = size * price
        b = self._holdings.setdefault(buyer, Holdings())
        s = self._holdings.setdefault(seller, Holdings())
        b.usdc -= paid
        s.usdc += paid
        s.shares[token] = s.shares.get(token, Decimal(0)) - size
        b.shares[token] = b.shares.get(token, Decimal(0)) + size

    def _close(self, order: ClobOrder, state: ClobOrderState) -> None:
        market = self._markets[order.args.token_id]
        book = market.side(order.args.side)
        if order in book:
            book.remove(order)
        order.state = state

    def _expire(self) -> None:
        now = self._now()
        for market in self._markets.values():
            for order in (*market.bids, *market.asks):
                if (order.args.order_type is ClobOrderType.GTD
                        and order.args.expiration - GTD_SECURITY_THRESHOLD_SECS <= now):
                    self._close(order, ClobOrderState.EXPIRED)


def _insert(book: list[ClobOrder], order: ClobOrder) -> None:
    # Price-time priority: after every order at a better or equal price (equal: earlier).
    better: Callable[[ClobOrder], bool] = (
        (lambda o: o.args.price >= order.args.price) if order.args.side is ClobSide.BUY
        else (lambda o: o.args.price <= order.args.price))
    at = 0
    while at < len(book) and better(book[at]):
        at += 1
    book.insert(at, order)


def _levels(orders: list[ClobOrder]) -> list[ClobLevel]:
    out: list[ClobLevel] = []
    for order in orders:
        if out and out[-1].price == order.args.price:
            out[-1] = ClobLevel(order.args.price, out[-1].size + order.remaining)
        else:
            out.append(ClobLevel(order.args.price, order.remaining))
    return out


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _amount(value: Decimal) -> str:
    # Empty string means 0 on the wire (ts-sdk order-response.ts).
    return "" if value == 0 else format(value.normalize(), "f")
