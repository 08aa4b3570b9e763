"""The broker interface every execution venue implements (paper, mock CLOB v2, Alpaca paper).

Why one interface: the execution bot and the risk engine must not know which venue they
talk to, so that a paper replay, a mock-CLOB fixture run and (one day, once earned) a live
broker run the very same order path. The shape follows the common order model of
NautilusTrader / Alpaca / the Polymarket CLOB, cut down to what we use:

* an :class:`Order` is identified by its ``client_order_id`` (deterministic, derived from
  the run id and the decision, see :func:`client_order_id`), so a retried run never places
  an order twice: a broker that already knows the client id returns the existing order's
  ack (``duplicate=True``) and places nothing;
* :meth:`Broker.submit` never raises for a business refusal: it returns an :class:`OrderAck`
  with ``accepted=False`` and one registered reason code (``REJECT_*`` below, registered in
  ``config/reason_codes.yaml``) plus the venue's own error text in ``message``. Transport
  failures raise from the :mod:`shared.errors` tree (``TransientProviderError`` etc.); a
  caller that gets a timeout on submit must call :meth:`Broker.get_order_by_client_id`
  before it resubmits (no blind retry of an order POST);
* quantities are in units of the instrument (shares, coins, outcome tokens), prices in the
  quote currency per unit (USD; for a CLOB outcome token a probability in (0, 1)).

Implementations: ``shared.execution.paper.PaperBroker`` (fills at the next bar's open with
the backtest's fill code), ``shared.execution.clob`` (mock CLOB v2) and
``shared.execution.alpaca`` (Alpaca paper adapter).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

__all__ = [
    "REJECT_CODES",
    "Account",
    "Broker",
    "Fill",
    "Order",
    "OrderAck",
    "OrderSide",
    "OrderState",
    "OrderStatus",
    "OrderType",
    "Position",
    "TimeInForce",
    "client_order_id",
]


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class TimeInForce(StrEnum):
    """GTC good till cancelled, GTD good till a date, FOK fill or kill (all or nothing, now),
    FAK fill and kill (= IOC: fill what you can now, cancel the rest), DAY (Alpaca)."""

    GTC = "GTC"
    GTD = "GTD"
    FOK = "FOK"
    FAK = "FAK"
    DAY = "DAY"


class OrderState(StrEnum):
    """Life cycle of an order at the venue (terminal: filled, cancelled, rejected, expired)."""

    NEW = "new"  # accepted, resting / waiting for the next bar
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def terminal(self) -> bool:
        return self in (OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED,
                        OrderState.EXPIRED)


# Reason codes a broker puts on a refused order or a failed cancel (all registered in
# config/reason_codes.yaml, category "execution"). Venue-specific error strings (the CLOB's
# "INVALID_ORDER_MIN_TICK_SIZE", Alpaca's 422 text) go in ``OrderAck.message``; the code is
# the venue-neutral class of the refusal.
REJECT_CODES: tuple[str, ...] = (
    "REJECT_INVALID_ORDER",      # malformed: qty <= 0, limit without price, bad symbol
    "REJECT_TICK_SIZE",          # price not on the tick grid / outside the valid range
    "REJECT_MIN_SIZE",           # below the venue's minimum size
    "REJECT_INSUFFICIENT_FUNDS", # cash (or position, for a sell) does not cover the order
    "REJECT_POST_ONLY_CROSSES",  # a post-only order would take liquidity
    "REJECT_FOK_UNFILLED",       # FOK could not be filled in full
    "REJECT_MARKET_CLOSED",      # no bar / market halted / outside session
    "REJECT_UNKNOWN_ORDER",      # cancel or lookup of an id the venue does not know
    "REJECT_VENUE_ERROR",        # any other refusal by the venue (message says which)
)


@dataclass(frozen=True)
class Order:
    """An order as the execution bot states it (after the risk engine let it through).

    ``limit_price`` is required for ``LIMIT`` and must be ``None`` for ``MARKET``;
    ``expire_at`` (ISO 8601 UTC) only for ``GTD``; ``post_only`` only for limit orders.
    """

    client_order_id: str
    symbol: str
    side: OrderSide
    qty: float
    type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    tif: TimeInForce = TimeInForce.GTC
    post_only: bool = False
    expire_at: str | None = None

    def problems(self) -> list[str]:
        """What is wrong with the order on its face (empty: well formed); venues add theirs."""
        out: list[str] = []
        if not self.client_order_id:
            out.append("client_order_id is empty")
        if not self.symbol:
            out.append("symbol is empty")
        if not (self.qty > 0) or self.qty != self.qty or self.qty == float("inf"):
            out.append(f"qty must be a finite number > 0, got {self.qty}")
        if self.type is OrderType.LIMIT and self.limit_price is None:
            out.append("a limit order needs limit_price")
        if self.type is OrderType.MARKET and self.limit_price is not None:
            out.append("a market order takes no limit_price")
        if self.limit_price is not None and not self.limit_price > 0:
            out.append(f"limit_price must be > 0, got {self.limit_price}")
        if self.tif is TimeInForce.GTD and not self.expire_at:
            out.append("a GTD order needs expire_at")
        if self.post_only and self.type is not OrderType.LIMIT:
            out.append("post_only applies to limit orders only")
        return out

    @property
    def signed_qty(self) -> float:
        return self.qty if self.side is OrderSide.BUY else -self.qty


@dataclass(frozen=True)
class Fill:
    """One execution: ``qty`` > 0 units at ``price`` (slippage included), ``fee`` in quote
    currency, ``ts`` the venue time (ISO 8601 UTC; bar open time for the paper broker)."""

    client_order_id: str
    fill_id: str
    symbol: str
    side: OrderSide
    qty: float
    price: float
    fee: float
    ts: str

    @property
    def signed_qty(self) -> float:
        return self.qty if self.side is OrderSide.BUY else -self.qty

    @property
    def cash_delta(self) -> float:
        """What the fill does to cash: a buy pays notional + fee, a sell receives notional − fee."""
        notional = self.price * self.qty
        return -(notional + self.fee) if self.side is OrderSide.BUY else notional - self.fee


@dataclass(frozen=True)
class OrderStatus:
    """What the venue knows about an order now."""

    order: Order
    state: OrderState
    filled_qty: float = 0.0
    avg_fill_price: float | None = None
    venue_order_id: str | None = None
    reason_code: str | None = None  # set when state is REJECTED (one of REJECT_CODES)
    message: str = ""
    fills: tuple[Fill, ...] = ()

    @property
    def remaining_qty(self) -> float:
        return max(self.order.qty - self.filled_qty, 0.0)


@dataclass(frozen=True)
class OrderAck:
    """The answer to a submit. ``accepted`` False ⇒ ``reason_code`` is one of REJECT_CODES.
    ``duplicate`` True ⇒ the client id was known; nothing new was placed and ``status`` is
    the existing order's."""

    client_order_id: str
    accepted: bool
    status: OrderStatus | None = None
    reason_code: str | None = None
    message: str = ""
    duplicate: bool = False


@dataclass(frozen=True)
class Position:
    """Net units held of one symbol (long > 0; short < 0 only where the venue allows it) and
    the average entry price of the open units."""

    symbol: str
    qty: float
    avg_price: float


@dataclass(frozen=True)
class Account:
    """Cash and equity in the quote currency; ``equity`` = cash + Σ qty × mark."""

    cash: float
    equity: float
    currency: str = "USD"
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Broker(Protocol):
    """An execution venue. Every method is idempotent in ``client_order_id``."""

    name: str
    live: bool  # True only for a venue that moves real money (refused unless unlocked)

    def submit(self, order: Order) -> OrderAck:
        """Place ``order``; a known client id returns the existing order (duplicate=True)."""
        ...

    def cancel(self, client_order_id: str) -> OrderAck:
        """Cancel a resting order; unknown id → accepted False, REJECT_UNKNOWN_ORDER;
        an order already terminal → accepted False, REJECT_INVALID_ORDER (message says why)."""
        ...

    def get_order_by_client_id(self, client_order_id: str) -> OrderStatus | None:
        """The venue's view of the order, or None if it never reached the venue."""
        ...

    def positions(self) -> dict[str, Position]:
        """Open positions by symbol (flat symbols omitted)."""
        ...

    def account(self) -> Account:
        """Cash and equity now."""
        ...


def client_order_id(run_id: str, symbol: str, as_of: str, intent: str, *, prefix: str = "tb"
                    ) -> str:
    """A deterministic client order id: the same run, symbol, decision time and intent
    (``open-long``, ``close``…) always give the same id, so a retried run is deduplicated by
    the venue. 32 hex chars of SHA-256 (Alpaca allows 128 chars; CLOB salts are free-form)."""
    digest = hashlib.sha256(f"{run_id}|{symbol}|{as_of}|{intent}".encode()).hexdigest()
    return f"{prefix}-{digest[:32]}"
