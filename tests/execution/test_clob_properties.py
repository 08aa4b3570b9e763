"""Properties of the mock CLOB over random order flows (hypothesis).

After every operation of a random flow (posts of every type, cancels, the clock moving):
price-time priority holds (checked against an independent reference: the resting orders
sorted by price then arrival), the book is never crossed, no order fills beyond its size,
a FOK fills in full or leaves the book untouched, a post-only order never takes, every
refusal carries a documented text, and no holding goes negative or appears from nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.execution.clob import (
    TICK_SIZES,
    ClobOrder,
    ClobOrderArgs,
    ClobOrderState,
    ClobOrderType,
    ClobSide,
    MockClob,
    error_kind,
)

TOKEN = "token"
OWNERS = ("a", "b", "c")
START = 1_700_000_000


@dataclass(frozen=True)
class Post:
    args: ClobOrderArgs


@dataclass(frozen=True)
class Cancel:
    pick: int
    owner: str


@dataclass(frozen=True)
class Advance:
    secs: int


def _posts(tick: str) -> st.SearchStrategy[Post]:
    step = D(tick)
    grid = st.integers(min_value=-1, max_value=int(1 / step) + 1).map(lambda n: n * step)
    off_grid = st.decimals(min_value=D("0.0001"), max_value=D("0.9999"), places=4)
    sizes = st.one_of(st.integers(min_value=1, max_value=40).map(D),
                      st.decimals(min_value=D("0.01"), max_value=D(40), places=2),
                      st.decimals(min_value=D("0.001"), max_value=D(40), places=3))
    return st.builds(
        lambda price, size, side, kind, post_only, life, owner, salt: Post(ClobOrderArgs(
            TOKEN, price, size, side, kind, post_only,
            (START + life) if kind is ClobOrderType.GTD or life < 0 else 0, owner, salt)),
        st.one_of(grid, grid, grid, off_grid), sizes, st.sampled_from(ClobSide),
        st.sampled_from(ClobOrderType), st.booleans(),
        st.integers(min_value=-5, max_value=600), st.sampled_from(OWNERS),
        st.sampled_from(("", "x")),
    )


@st.composite
def flows(draw: st.DrawFn) -> tuple[str, list[Post | Cancel | Advance]]:
    tick = draw(st.sampled_from(TICK_SIZES[:3]))  # 0.0001 behaves alike; keeps grids small
    op = st.one_of(_posts(tick), _posts(tick), _posts(tick),
                   st.builds(Cancel, st.integers(min_value=0, max_value=50),
                             st.sampled_from(OWNERS)),
                   st.builds(Advance, st.integers(min_value=0, max_value=120)))
    return tick, draw(st.lists(op, min_size=1, max_size=40))


def _snapshot(clob: MockClob, side: ClobSide) -> list[tuple[str, D, int, D]]:
    return [(o.order_id, o.args.price, o.seq, o.remaining) for o in clob.resting(TOKEN, side)]


def _expected_fills(args: ClobOrderArgs, opposite: list[tuple[str, D, int, D]]
                    ) -> list[tuple[str, D, D]]:
    # The reference: sort makers by price (best for the taker first), then arrival.
    buy = args.side is ClobSide.BUY
    ranked = sorted(opposite, key=lambda m: (m[1] if buy else -m[1], m[2]))
    left, out = args.size, []
    for order_id, price, _seq, remaining in ranked:
        if left == 0 or (price > args.price if buy else price < args.price):
            break
        take = min(left, remaining)
        out.append((order_id, price, take))
        left -= take
    return out


def _totals(clob: MockClob) -> tuple[D, D]:
    usdc = sum((clob.holdings(o).usdc for o in OWNERS), D(0))
    shares = sum((clob.holdings(o).shares.get(TOKEN, D(0)) for o in OWNERS), D(0))
    return usdc, shares


def _check_book(clob: MockClob, seen: dict[str, ClobOrder]) -> None:
    bid, ask = clob.best(TOKEN, ClobSide.BUY), clob.best(TOKEN, ClobSide.SELL)
    assert bid is None or ask is None or bid < ask, f"crossed book: bid {bid} >= ask {ask}"
    for order in seen.values():
        assert D(0) <= order.filled <= order.args.size
        if order.state is ClobOrderState.OPEN:
            assert order.filled + order.remaining == order.args.size
    for owner in OWNERS:
        held = clob.holdings(owner)
        assert held.usdc >= 0 and all(q >= 0 for q in held.shares.values())


def _post(clob: MockClob, args: ClobOrderArgs, seen: dict[str, ClobOrder]) -> None:
    before = (_snapshot(clob, ClobSide.BUY), _snapshot(clob, ClobSide.SELL))
    opposite = before[1] if args.side is ClobSide.BUY else before[0]
    trades_before = len(clob.trades)
    answer = clob.post_order(args)
    new = clob.trades[trades_before:]
    if not answer.success:
        assert error_kind(answer.errorMsg) is not None, answer.errorMsg  # documented text
        assert new == [] and (_snapshot(clob, ClobSide.BUY),
                              _snapshot(clob, ClobSide.SELL)) == before
        return
    order = clob.order(answer.orderID)
    assert order is not None
    seen[order.order_id] = order
    assert all(t.taker_order_id == order.order_id for t in new)
    assert [(t.maker_order_id, t.price, t.size) for t in new] == _expected_fills(args, opposite)
    if args.post_only:
        assert new == [], "a post-only order took liquidity"
    if args.order_type is ClobOrderType.FOK:
        assert order.filled == args.size, "a FOK order was partly filled"
    if args.order_type in (ClobOrderType.FOK, ClobOrderType.FAK):
        assert order.state is not ClobOrderState.OPEN


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows())
def test_random_flows_keep_every_invariant(flow: tuple[str, list[Post | Cancel | Advance]]
                                           ) -> None:
    tick, ops = flow
    clock = {"now": START}
    clob = MockClob(now=lambda: clock["now"])
    clob.add_market(TOKEN, tick_size=tick, min_order_size=D(5))
    for owner in OWNERS:
        clob.fund(owner, usdc=D(200), shares={TOKEN: D(200)})
    totals = _totals(clob)
    seen: dict[str, ClobOrder] = {}
    for op in ops:
        if isinstance(op, Post):
            _post(clob, op.args, seen)
        elif isinstance(op, Cancel) and seen:
            order_id = sorted(seen)[op.pick % len(seen)]
            answer = clob.cancel(order_id, owner=op.owner)
            if order_id in answer.canceled:
                assert seen[order_id].state is ClobOrderState.CANCELLED
        elif isinstance(op, Advance):
            clock["now"] += op.secs
        _check_book(clob, seen)
        assert _totals(clob) == totals, "collateral or shares appeared or vanished"
    fok = [o for o in seen.values() if o.args.order_type is ClobOrderType.FOK]
    assert all(o.filled == o.args.size for o in fok)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=40, max_value=60),
                          st.integers(min_value=5, max_value=20)), min_size=1, max_size=15),
       st.integers(min_value=5, max_value=200))
def test_a_sweep_takes_makers_in_price_time_order(makers: list[tuple[int, int]],
                                                  size: int) -> None:
    clob = MockClob(now=lambda: START)
    clob.add_market(TOKEN)
    clob.fund("taker", usdc=D(10_000))
    arrivals = []
    for n, (cents, qty) in enumerate(makers):
        clob.fund(f"m{n}", shares={TOKEN: D(qty)})
        answer = clob.post_order(ClobOrderArgs(TOKEN, D(cents) / 100, D(qty), ClobSide.SELL,
                                               owner=f"m{n}"))
        arrivals.append((D(cents) / 100, n, answer.orderID))
    clob.post_order(ClobOrderArgs(TOKEN, D("0.99"), D(size), ClobSide.BUY, ClobOrderType.FAK,
                                  owner="taker"))
    expected = [oid for _price, _n, oid in sorted(arrivals)]
    taken = [t.maker_order_id for t in clob.trades]
    assert taken == expected[:len(taken)]
    assert sum((t.size for t in clob.trades), D(0)) == min(D(size), sum(
        (D(q) for _c, q in makers), D(0)))
