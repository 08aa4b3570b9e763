"""The mock CLOB behind the Broker interface: mapping, idempotence, reject codes, ledger."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from shared.execution.broker import (
    REJECT_CODES,
    Broker,
    Order,
    OrderSide,
    OrderState,
    OrderType,
    TimeInForce,
)
from shared.execution.clob import ClobOrderArgs, ClobSide, MockClob
from shared.execution.clob_broker import REJECT_BY_KIND, ClobBroker

TOKEN = "yes-token"
NOW = 1_700_000_000


def _venue() -> tuple[MockClob, ClobBroker]:
    clob = MockClob(now=lambda: NOW)
    clob.add_market(TOKEN, tick_size="0.01", min_order_size=D(5))
    clob.fund("maker", usdc=D(1000), shares={TOKEN: D(1000)})
    clob.fund("us", usdc=D(100))
    return clob, ClobBroker(clob, owner="us")


def _limit(cid: str, price: float, qty: float = 10, side: OrderSide = OrderSide.BUY,
           **kw: object) -> Order:
    return Order(cid, TOKEN, side, qty, OrderType.LIMIT, price, **kw)  # type: ignore[arg-type]


def test_clob_broker_is_a_broker() -> None:
    assert isinstance(_venue()[1], Broker)


def test_resting_limit_then_resubmit_is_a_duplicate_and_places_nothing() -> None:
    clob, broker = _venue()
    ack = broker.submit(_limit("cid-1", 0.40))
    assert ack.accepted and ack.status is not None and ack.status.state is OrderState.NEW
    again = broker.submit(_limit("cid-1", 0.40))
    assert again.accepted and again.duplicate
    assert clob.orders_received == 1 and len(clob.resting(TOKEN, ClobSide.BUY)) == 1


def test_a_second_adapter_resubmitting_gets_the_venues_order_back() -> None:
    clob, broker = _venue()
    first = broker.submit(_limit("cid-1", 0.40))
    again = ClobBroker(clob, owner="us").submit(_limit("cid-1", 0.40))  # a retried run
    assert again.accepted and again.duplicate and "Duplicated" in again.message
    assert again.status is not None and first.status is not None
    assert again.status.venue_order_id == first.status.venue_order_id
    assert len(clob.resting(TOKEN, ClobSide.BUY)) == 1


def test_market_buy_is_a_fok_at_the_worst_price_and_fills_at_the_makers() -> None:
    clob, broker = _venue()
    clob.post_order(ClobOrderArgs(TOKEN, D("0.30"), D(50), ClobSide.SELL, owner="maker"))
    ack = broker.submit(Order("cid-m", TOKEN, OrderSide.BUY, 20))
    assert ack.accepted and ack.status is not None
    assert ack.status.state is OrderState.FILLED and ack.status.filled_qty == 20
    assert ack.status.avg_fill_price == pytest.approx(0.30)
    assert [f.price for f in ack.status.fills] == [0.30]
    assert broker.positions()[TOKEN].qty == 20 and broker.positions()[TOKEN].avg_price == 0.3
    account = broker.account()
    assert account.cash == pytest.approx(94.0) and account.equity == pytest.approx(100.0)


def test_market_buy_without_liquidity_is_fok_unfilled() -> None:
    _, broker = _venue()
    ack = broker.submit(Order("cid-m", TOKEN, OrderSide.BUY, 20))
    assert not ack.accepted and ack.reason_code == "REJECT_FOK_UNFILLED"
    assert ack.message.startswith("order couldn't be fully filled")


@pytest.mark.parametrize(("order", "code"), [
    (_limit("c", 0.505), "REJECT_TICK_SIZE"),
    (_limit("c", 0.40, qty=3), "REJECT_MIN_SIZE"),
    (_limit("c", 0.90, qty=500), "REJECT_INSUFFICIENT_FUNDS"),
    (_limit("c", 0.40, side=OrderSide.SELL), "REJECT_INSUFFICIENT_FUNDS"),
    (_limit("c", 0.40, tif=TimeInForce.DAY), "REJECT_INVALID_ORDER"),
    (_limit("c", 0.40, tif=TimeInForce.GTD, expire_at="2023-11-14T22:13:40Z"),
     "REJECT_INVALID_ORDER"),
    (Order("c", "other-token", OrderSide.BUY, 10), "REJECT_INVALID_ORDER"),
    (Order("c", TOKEN, OrderSide.BUY, -1), "REJECT_INVALID_ORDER"),
])
def test_refusals_map_to_one_reject_code(order: Order, code: str) -> None:
    clob, broker = _venue()
    ack = broker.submit(order)
    assert not ack.accepted and ack.reason_code == code
    assert ack.status is not None and ack.status.state is OrderState.REJECTED
    assert broker.get_order_by_client_id("c") is None


def test_post_only_crossing_maps_to_its_code() -> None:
    clob, broker = _venue()
    clob.post_order(ClobOrderArgs(TOKEN, D("0.30"), D(50), ClobSide.SELL, owner="maker"))
    ack = broker.submit(_limit("c", 0.35, post_only=True))
    assert ack.reason_code == "REJECT_POST_ONLY_CROSSES"


def test_gtd_rests_until_its_date() -> None:
    clob, broker = _venue()
    ack = broker.submit(_limit("c", 0.40, tif=TimeInForce.GTD,
                               expire_at="2023-11-14T23:13:20Z"))  # NOW + 3600
    assert ack.accepted and clob.resting(TOKEN, ClobSide.BUY)[0].args.expiration == NOW + 3600


def test_cancel_known_unknown_and_terminal() -> None:
    _, broker = _venue()
    broker.submit(_limit("c", 0.40))
    done = broker.cancel("c")
    assert done.accepted and done.status is not None
    assert done.status.state is OrderState.CANCELLED
    again = broker.cancel("c")
    assert not again.accepted and again.reason_code == "REJECT_INVALID_ORDER"
    assert broker.cancel("never").reason_code == "REJECT_UNKNOWN_ORDER"


def test_every_mapped_code_is_a_broker_reject_code() -> None:
    assert set(REJECT_BY_KIND.values()) <= set(REJECT_CODES)
