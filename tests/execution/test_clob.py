"""The mock CLOB's order model, case by case (the properties are in test_clob_properties)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from shared.execution.clob import (
    ERROR_TEMPLATES,
    ClobOrderArgs,
    ClobOrderState,
    ClobOrderType,
    ClobSide,
    ClobStatus,
    MockClob,
    error_kind,
)

TOKEN = "yes-token"
NOW = 1_700_000_000
BUY, SELL = ClobSide.BUY, ClobSide.SELL
GTC, GTD, FOK, FAK = ClobOrderType.GTC, ClobOrderType.GTD, ClobOrderType.FOK, ClobOrderType.FAK


def _clob(tick: str = "0.01", min_size: str = "5") -> MockClob:
    clob = MockClob(now=lambda: NOW)
    clob.add_market(TOKEN, tick_size=tick, min_order_size=D(min_size))
    for owner in ("maker", "maker2", "taker"):
        clob.fund(owner, usdc=D(1000), shares={TOKEN: D(1000)})
    return clob


def _order(price: str, size: str, side: ClobSide = BUY, kind: ClobOrderType = GTC, *,
           owner: str = "taker", salt: str = "", post_only: bool = False,
           expiration: int = 0) -> ClobOrderArgs:
    return ClobOrderArgs(TOKEN, D(price), D(size), side, kind, post_only, expiration, owner,
                         salt)


def test_post_order_resting_buy_is_live_and_on_the_book() -> None:
    clob = _clob()
    answer = clob.post_order(_order("0.48", "10", owner="maker"))
    assert answer.success and answer.status is ClobStatus.LIVE and answer.errorMsg == ""
    assert answer.makingAmount == "" and answer.takingAmount == ""  # empty means 0 (ts-sdk)
    assert clob.best(TOKEN, BUY) == D("0.48")
    assert answer.to_wire()["status"] == "live"


def test_taker_trades_at_the_makers_price_best_price_first() -> None:
    clob = _clob()
    clob.post_order(_order("0.55", "10", SELL, owner="maker"))
    clob.post_order(_order("0.52", "10", SELL, owner="maker2"))
    answer = clob.post_order(_order("0.60", "15", BUY, FOK))
    assert answer.status is ClobStatus.MATCHED
    assert [(t.price, t.size) for t in clob.trades] == [(D("0.52"), D(10)), (D("0.55"), D(5))]
    assert answer.takingAmount == "15" and answer.makingAmount == "7.95"  # 5.2 + 2.75 USDC
    assert clob.holdings("taker").usdc == D(1000) - D("7.95")


def test_same_price_fills_in_arrival_order() -> None:
    clob = _clob()
    first = clob.post_order(_order("0.50", "10", SELL, owner="maker", salt="a"))
    second = clob.post_order(_order("0.50", "10", SELL, owner="maker2", salt="b"))
    clob.post_order(_order("0.50", "12", BUY, FAK))
    assert [t.maker_order_id for t in clob.trades] == [first.orderID, second.orderID]
    remaining = clob.order(second.orderID)
    assert remaining is not None and remaining.remaining == D(8)
    filled = clob.order(first.orderID)
    assert filled is not None and filled.state is ClobOrderState.FILLED


def test_gtc_partial_fill_rests_the_rest() -> None:
    clob = _clob()
    clob.post_order(_order("0.50", "6", SELL, owner="maker"))
    answer = clob.post_order(_order("0.51", "10", BUY, GTC))
    order = clob.order(answer.orderID)
    assert answer.status is ClobStatus.MATCHED and order is not None
    assert order.filled == D(6) and order.remaining == D(4)
    assert clob.best(TOKEN, BUY) == D("0.51") and clob.best(TOKEN, SELL) is None


@pytest.mark.parametrize("kind", [FOK, FAK])
def test_fok_and_fak_never_rest(kind: ClobOrderType) -> None:
    clob = _clob()
    clob.post_order(_order("0.50", "6", SELL, owner="maker"))
    answer = clob.post_order(_order("0.50", "10", BUY, kind))
    if kind is FOK:
        assert not answer.success and error_kind(answer.errorMsg) == "fok"
        assert clob.trades == [] and clob.best(TOKEN, SELL) == D("0.50")  # book untouched
    else:
        order = clob.order(answer.orderID)
        assert order is not None and order.filled == D(6)
        assert order.state is ClobOrderState.CANCELLED
    assert clob.best(TOKEN, BUY) is None


def test_fak_without_any_match_is_refused_with_its_text() -> None:
    answer = _clob().post_order(_order("0.50", "10", BUY, FAK))
    assert answer.errorMsg == ERROR_TEMPLATES["fak"]


def test_post_only_that_crosses_is_refused_and_takes_nothing() -> None:
    clob = _clob()
    clob.post_order(_order("0.50", "10", SELL, owner="maker"))
    answer = clob.post_order(_order("0.50", "10", BUY, post_only=True))
    assert answer.errorMsg == "invalid post-only order: order crosses book"
    assert clob.trades == []
    resting = clob.post_order(_order("0.49", "10", BUY, post_only=True))
    assert resting.status is ClobStatus.LIVE


def test_post_only_with_fok_is_an_invalid_payload() -> None:
    answer = _clob().post_order(_order("0.50", "10", BUY, FOK, post_only=True))
    assert answer.errorMsg == "Invalid order payload"


@pytest.mark.parametrize(("tick", "price", "kind"), [
    ("0.01", "0.505", "tick"), ("0.1", "0.55", "tick"), ("0.001", "0.0005", "tick"),
    ("0.01", "1.00", "price_range"), ("0.01", "0", "price_range"),
    ("0.0001", "0.9999", None), ("0.0001", "0.0001", None), ("0.1", "0.9", None),
])
def test_price_must_lie_on_the_grid_and_in_tick_to_one_minus_tick(
        tick: str, price: str, kind: str | None) -> None:
    answer = _clob(tick).post_order(_order(price, "10", owner="maker"))
    assert error_kind(answer.errorMsg) == kind
    if kind == "tick":
        assert f"breaks minimum tick size rule: {tick}" in answer.errorMsg


def test_size_below_the_minimum_and_over_two_decimals_are_refused() -> None:
    clob = _clob(min_size="5")
    small = clob.post_order(_order("0.50", "4.99"))
    assert error_kind(small.errorMsg) == "min_size" and "lower than the minimum: 5" in \
        small.errorMsg
    assert clob.post_order(_order("0.50", "5.001")).errorMsg == "Invalid order payload"
    assert clob.post_order(_order("0.50", "5")).success


def test_the_same_order_twice_is_duplicated() -> None:
    clob = _clob()
    first = clob.post_order(_order("0.40", "10", salt="cid-1"))
    again = clob.post_order(_order("0.40", "10", salt="cid-1"))
    assert first.success and error_kind(again.errorMsg) == "duplicated"
    assert first.orderID in again.errorMsg


def test_balance_counts_what_resting_orders_reserve() -> None:
    clob = MockClob(now=lambda: NOW)
    clob.add_market(TOKEN)
    clob.fund("poor", usdc=D(10), shares={TOKEN: D(6)})
    assert clob.post_order(_order("0.50", "20", owner="poor")).success  # reserves 10 USDC
    assert clob.post_order(_order("0.10", "5", owner="poor")).errorMsg == \
        "not enough balance / allowance"
    assert clob.post_order(_order("0.60", "6", SELL, owner="poor")).success
    refused = clob.post_order(_order("0.61", "5", SELL, owner="poor"))
    assert refused.errorMsg == "not enough balance / allowance"


def test_gtd_needs_a_minute_of_life_and_expires() -> None:
    clock = {"now": NOW}
    clob = MockClob(now=lambda: clock["now"])
    clob.add_market(TOKEN)
    clob.fund("maker", usdc=D(100))
    too_soon = clob.post_order(_order("0.40", "10", kind=GTD, owner="maker",
                                      expiration=NOW + 60))
    assert too_soon.errorMsg == "invalid expiration"
    gtc_with_date = clob.post_order(_order("0.40", "10", kind=GTC, owner="maker",
                                           expiration=NOW + 600))
    assert gtc_with_date.errorMsg == "invalid expiration"
    live = clob.post_order(_order("0.40", "10", kind=GTD, owner="maker",
                                  expiration=NOW + 90))
    assert live.status is ClobStatus.LIVE
    clock["now"] = NOW + 30
    order = clob.order(live.orderID)
    assert order is not None and order.state is ClobOrderState.EXPIRED
    assert clob.best(TOKEN, BUY) is None


def test_unknown_token_and_market_not_ready() -> None:
    clob = _clob()
    clob.add_market("later", ready=False)
    unknown = clob.post_order(ClobOrderArgs("nope", D("0.5"), D(10), BUY))
    assert unknown.errorMsg == "Invalid order payload"
    not_ready = clob.post_order(ClobOrderArgs("later", D("0.5"), D(10), BUY))
    assert not_ready.errorMsg == "the market is not yet ready to process new orders"


def test_cancel_only_the_owners_open_order() -> None:
    clob = _clob()
    placed = clob.post_order(_order("0.40", "10", owner="maker"))
    assert clob.cancel(placed.orderID, owner="taker").not_canceled == {
        placed.orderID: "order not found"}
    assert clob.cancel(placed.orderID, owner="maker").canceled == (placed.orderID,)
    assert clob.best(TOKEN, BUY) is None
    again = clob.cancel(placed.orderID, owner="maker")
    assert again.canceled == () and "cancelled" in again.not_canceled[placed.orderID]


def test_book_levels_aggregate_best_first() -> None:
    clob = _clob()
    for price, salt in (("0.40", "a"), ("0.45", "b"), ("0.45", "c")):
        clob.post_order(_order(price, "10", owner="maker", salt=salt))
    levels = clob.book(TOKEN)["bids"]
    assert [(lv.price, lv.size) for lv in levels] == [(D("0.45"), D(20)), (D("0.40"), D(10))]


def test_an_undocumented_text_has_no_kind() -> None:
    assert error_kind("something else went wrong") is None
    assert error_kind("order 0xabc is invalid. Duplicated.") == "duplicated"
