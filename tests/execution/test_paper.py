"""The paper broker: the backtest's fills, partial fills, idempotency, refusals."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.backtest.ledger import Costs, execute_targets
from shared.execution.broker import (
    Broker,
    Order,
    OrderSide,
    OrderState,
    OrderType,
    TimeInForce,
    client_order_id,
)
from shared.execution.ledger import replay_fills
from shared.execution.paper import FillBar, PaperBroker

COSTS = Costs(commission_rate=0.001, slippage_rate=0.0005)


def _broker(cap: float = 1.0, cash: float = 100_000.0) -> PaperBroker:
    return PaperBroker(initial_cash=cash, costs=COSTS, participation_cap=cap)


def _bar(i: int, open_: float, close: float | None = None, volume: float = 1e9) -> FillBar:
    return FillBar("X", f"2026-01-05T{i:02d}:00:00+00:00", open_, close or open_, volume)


def test_it_is_a_broker() -> None:
    assert isinstance(_broker(), Broker)


def test_fills_equal_the_backtest_ledger_bit_for_bit() -> None:
    opens = np.array([100.0, 101.5, 99.25, 103.0, 104.75, 102.0])
    closes = opens + 0.5
    # backtest: target 3 units decided at bar 0, back to 0 at bar 3
    ref = execute_targets(opens, closes, np.array([0, 3]), np.array([3.0, 0.0]),
                          initial_cash=100_000.0, costs=COSTS)
    broker = _broker()
    broker.submit(Order("a", "X", OrderSide.BUY, 3.0))
    broker.on_bar(_bar(1, opens[1], closes[1]))
    broker.on_bar(_bar(2, opens[2], closes[2]))
    broker.on_bar(_bar(3, opens[3], closes[3]))
    broker.submit(Order("b", "X", OrderSide.SELL, 3.0))
    broker.on_bar(_bar(4, opens[4], closes[4]))
    fills = [e for e in broker.events if e["event"] == "fill"]
    assert [f["price"] for f in fills] == ref.fills.price.tolist()
    assert [f["fee"] for f in fills] == ref.fills.commission.tolist()
    assert [f["cash_after"] for f in fills] == ref.fills.cash_after.tolist()
    assert broker.cash == ref.final_cash


def test_a_thin_bar_fills_partially_and_the_rest_waits() -> None:
    broker = _broker(cap=0.1)
    broker.submit(Order("a", "X", OrderSide.BUY, 5.0))
    first = broker.on_bar(_bar(1, 100.0, volume=20.0))  # room 2 units
    assert [f.qty for f in first] == [2.0]
    assert broker.get_order_by_client_id("a").state is OrderState.PARTIALLY_FILLED  # type: ignore[union-attr]
    second = broker.on_bar(_bar(2, 100.0, volume=40.0))  # room 4 >= 3 left
    assert [f.qty for f in second] == [3.0]
    assert broker.get_order_by_client_id("a").state is OrderState.FILLED  # type: ignore[union-attr]
    assert broker.positions()["X"].qty == 5.0


def test_fak_cancels_the_rest_and_fok_is_killed_on_a_thin_bar() -> None:
    broker = _broker(cap=0.1)
    broker.submit(Order("fak", "X", OrderSide.BUY, 5.0, tif=TimeInForce.FAK))
    broker.submit(Order("fok", "X", OrderSide.BUY, 5.0, tif=TimeInForce.FOK))
    broker.on_bar(_bar(1, 100.0, volume=20.0))
    fak, fok = broker.get_order_by_client_id("fak"), broker.get_order_by_client_id("fok")
    assert fak is not None and fak.state is OrderState.CANCELLED and fak.filled_qty == 2.0
    assert fok is not None and fok.state is OrderState.REJECTED
    assert fok.reason_code == "REJECT_FOK_UNFILLED"


def test_a_limit_order_waits_for_its_price() -> None:
    broker = _broker()
    broker.submit(Order("l", "X", OrderSide.BUY, 1.0, OrderType.LIMIT, limit_price=99.0))
    assert broker.on_bar(_bar(1, 100.0)) == []
    assert [f.qty for f in broker.on_bar(_bar(2, 98.0))] == [1.0]


def test_a_known_client_id_places_nothing_twice() -> None:
    broker = _broker()
    cid = client_order_id("run-1", "X", "2026-01-05T01:00:00+00:00", "open-long")
    assert cid == client_order_id("run-1", "X", "2026-01-05T01:00:00+00:00", "open-long")
    assert cid != client_order_id("run-2", "X", "2026-01-05T01:00:00+00:00", "open-long")
    first = broker.submit(Order(cid, "X", OrderSide.BUY, 1.0))
    again = broker.submit(Order(cid, "X", OrderSide.BUY, 1.0))
    assert first.accepted and not first.duplicate and again.duplicate
    broker.on_bar(_bar(1, 100.0))
    assert broker.positions()["X"].qty == 1.0
    assert broker.sent == [cid]


def test_refusals_carry_codes() -> None:
    broker = _broker(cash=50.0)
    bad = broker.submit(Order("bad", "X", OrderSide.BUY, -1.0))
    short = broker.submit(Order("short", "X", OrderSide.SELL, 1.0))
    assert (bad.accepted, bad.reason_code) == (False, "REJECT_INVALID_ORDER")
    assert short.reason_code == "REJECT_INSUFFICIENT_FUNDS"
    broker.submit(Order("rich", "X", OrderSide.BUY, 1.0))
    broker.on_bar(_bar(1, 100.0))
    status = broker.get_order_by_client_id("rich")
    assert status is not None and status.reason_code == "REJECT_INSUFFICIENT_FUNDS"
    assert broker.cash == 50.0
    assert broker.cancel("nope").reason_code == "REJECT_UNKNOWN_ORDER"
    assert broker.cancel("rich").reason_code == "REJECT_INVALID_ORDER"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0.01, 20.0), st.floats(50.0, 150.0),
                          st.floats(0.0, 500.0)), min_size=1, max_size=30),
       st.floats(0.01, 1.0))
def test_the_ledger_always_reconciles(steps: list[tuple[bool, float, float, float]],
                                      cap: float) -> None:
    broker = _broker(cap=cap, cash=10_000.0)
    for i, (buy, qty, price, volume) in enumerate(steps):
        held = broker.positions().get("X")
        if buy:
            broker.submit(Order(f"o{i}", "X", OrderSide.BUY, qty))
        elif held is not None:
            broker.submit(Order(f"o{i}", "X", OrderSide.SELL, min(qty, held.qty)))
        broker.on_bar(FillBar("X", f"t{i}", price, price * 1.01, volume))
        cash, positions = replay_fills(10_000.0, [e for e in broker.events
                                                  if e["event"] == "fill"])
        assert math.isclose(cash, broker.cash, rel_tol=0, abs_tol=1e-9)
        assert cash >= -1e-9
        qty_now = broker.positions().get("X")
        assert abs(positions.get("X", 0.0) - (qty_now.qty if qty_now else 0.0)) <= 1e-9
        marks = broker.marks.get("X", 0.0)
        expect = broker.cash + (qty_now.qty * marks if qty_now else 0.0)
        assert abs(broker.equity() - expect) <= 1e-9 * max(1.0, abs(expect))
        for e in broker.events:
            if e["event"] == "fill":
                assert e["qty"] <= cap * 500.0 + 1e-9  # never above the participation cap


def test_two_sells_never_oversell_the_position() -> None:
    broker = _broker()
    broker.submit(Order("b", "X", OrderSide.BUY, 1.0))
    broker.on_bar(_bar(1, 100.0))
    broker.submit(Order("s1", "X", OrderSide.SELL, 1.0))
    broker.submit(Order("s2", "X", OrderSide.SELL, 1.0))
    broker.on_bar(_bar(2, 100.0))
    second = broker.get_order_by_client_id("s2")
    assert second is not None and second.reason_code == "REJECT_INSUFFICIENT_FUNDS"
    assert "X" not in broker.positions()
