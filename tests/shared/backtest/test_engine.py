"""The engine: exact window means, the tie rule, the ledger, sweeps (no files)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shared.backtest.ledger import Costs, execute_targets
from shared.backtest.sma import WindowMeans, crossings, reference_sma, sweep
from shared.backtest.synthetic import make_gbm_ohlcv
from tests.shared.backtest.reference import reference_trades


@pytest.mark.parametrize("kind", ["cents", "wide", "gbm", "micro", "very_wide", "ties"])
def test_window_sums_are_math_fsum(kind: str) -> None:
    rng = np.random.default_rng(3)
    values = {
        "cents": np.round(rng.uniform(1, 200, 2000), 2),
        "wide": rng.lognormal(0, 3, 1500),  # spans ~2**31: the limb path at its edge
        "gbm": make_gbm_ohlcv(3000)["close"],
        "micro": np.round(rng.uniform(0.2, 1.0, 2000), 6),
        "very_wide": rng.lognormal(0, 8, 400),  # beyond the limbs: the Python-integer path
        "ties": np.array([0.1] * 40 + [0.3] * 40 + [0.7, 0.2] * 30),
    }[kind]
    means = WindowMeans(values)
    for n in (1, 2, 10, 30, 240):
        got = means.sums(n)
        assert np.isnan(got[: n - 1]).all()
        expected = [math.fsum(values[t - n + 1:t + 1]) for t in range(n - 1, len(values))]
        assert got[n - 1:].tolist() == expected, n
        assert np.array_equal(means.means(n)[n - 1:], np.array(expected) / n)


def test_window_means_refuse_non_positive_values() -> None:
    with pytest.raises(ValueError, match="positive"):
        WindowMeans(np.array([1.0, 0.0, 2.0]))


def test_tie_keeps_the_last_non_zero_memory() -> None:
    nan = math.nan
    # -, 0, +  fires a cross-up at the + bar; +, 0, + fires nothing; +, 0, - a cross-down
    diff = np.array([nan, -1.0, 0.0, 2.0, 0.0, 3.0, 0.0, 0.0, -1.0, 0.0, -2.0])
    found = crossings(diff)
    assert found.up.tolist() == [3]
    assert found.down.tolist() == [8]


def test_first_signal_needs_a_defined_previous_diff() -> None:
    found = crossings(np.array([math.nan, 1.0, -1.0, 0.0, 1.0]))
    assert found.down.tolist() == [2]
    assert found.up.tolist() == [4]


def _cent_walk(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # cent prices on a coarse grid: exact SMA ties happen often
    rng = np.random.default_rng(seed)
    close = np.round(10 + np.cumsum(rng.choice([-0.05, 0.0, 0.05], n)), 2)
    close = np.maximum(close, 0.05)
    open_ = np.round(np.maximum(close + rng.choice([-0.01, 0.0, 0.01], n), 0.01), 2)
    return open_, close


@pytest.mark.parametrize("seed", range(6))
def test_engine_matches_the_slow_oracle_on_tie_heavy_prices(seed: int) -> None:
    open_, close = _cent_walk(3000, seed)
    means = WindowMeans(close)
    diff = means.means(10) - means.means(30)
    assert (diff[29:] == 0).sum() > 0  # the case the rules pin
    result = reference_sma(open_, close)
    expected, equity = reference_trades(open_.tolist(), close.tolist())
    trades = result.trades
    got = [(int(trades.entry_bar[k]), float(trades.entry_price[k]),
            None if trades.exit_bar[k] < 0 else int(trades.exit_bar[k]),
            None if trades.exit_bar[k] < 0 else float(trades.exit_price[k]),
            None if trades.exit_bar[k] < 0 else float(trades.pnl[k]))
           for k in range(len(trades))]
    assert got == expected
    assert result.final_equity == pytest.approx(equity, abs=1e-6)


def test_ledger_fills_at_the_next_open_with_commission() -> None:
    open_ = np.array([10.0, 11.0, 12.0, 13.0, 14.0])
    close = np.array([10.5, 11.5, 12.5, 13.5, 14.5])
    result = execute_targets(open_, close, np.array([0, 2, 4]), np.array([1.0, 0.0, 1.0]),
                             initial_cash=100.0)
    assert result.fills.bar.tolist() == [1, 3]
    assert result.fills.price.tolist() == [11.0, 13.0]
    assert result.orders_after_last_bar == 1  # the order on the last bar has no next bar
    assert result.final_cash == pytest.approx(100 - 11 * 1.001 + 13 * 0.999)
    assert result.trades.pnl.tolist() == [(13.0 - 11.0) * 1 - 0.001 * (11.0 + 13.0)]
    assert result.final_position == 0.0
    curve = result.equity_curve()
    assert curve[0] == 100.0
    assert curve[1] == pytest.approx(100 - 11 * 1.001 + 11.5)
    assert curve[-1] == pytest.approx(result.final_cash)


def test_ledger_rejects_an_unaffordable_buy_and_never_resizes() -> None:
    open_ = np.array([10.0, 50.0, 60.0, 5.0, 6.0, 7.0])
    close = open_.copy()
    # buy at 50 (cash 40: rejected), sell (nothing held: no order), buy at 6, then hold
    result = execute_targets(open_, close, np.array([0, 1, 3]), np.array([1.0, 0.0, 1.0]),
                             initial_cash=40.0)
    assert result.rejected_orders == 1
    assert result.fills.bar.tolist() == [4]
    assert result.trades.is_open.tolist() == [True]
    assert math.isnan(result.trades.pnl[0])
    assert result.final_equity == pytest.approx(40 - 6 * 1.001 + 7.0)


def test_ledger_slippage_is_adverse() -> None:
    open_ = np.array([10.0, 10.0, 10.0, 10.0])
    result = execute_targets(open_, open_, np.array([0, 1]), np.array([1.0, 0.0]),
                             costs=Costs(commission_rate=0.0, slippage_rate=0.01))
    assert result.fills.price.tolist() == [10.0 * 1.01, 10.0 * 0.99]
    assert result.trades.pnl[0] == pytest.approx(-0.2)


def test_ledger_refuses_short_targets() -> None:
    with pytest.raises(ValueError, match="long-only"):
        execute_targets(np.ones(3), np.ones(3), np.array([0]), np.array([-1.0]))


def test_sweep_equals_single_runs() -> None:
    bars = make_gbm_ohlcv(20_000)
    pairs = [(5, 60), (10, 80), (50, 240)]
    results = sweep(bars["open"], bars["close"], pairs)
    for fast, slow in pairs:
        single = reference_sma(bars["open"], bars["close"], fast=fast, slow=slow)
        assert results[(fast, slow)].final_equity == single.final_equity
        assert np.array_equal(results[(fast, slow)].fills.bar, single.fills.bar)
        assert single.fills.bar.min() >= slow + 1  # earliest signal bar is t = slow


def test_gbm_generator_is_seeded_and_shaped() -> None:
    a, b = make_gbm_ohlcv(1000), make_gbm_ohlcv(1000)
    assert np.array_equal(a["close"], b["close"])
    assert a["open"][0] == 100.0
    assert (a["high"] >= np.maximum(a["open"], a["close"])).all()
    assert (a["low"] <= np.minimum(a["open"], a["close"])).all()
    assert a["volume"].min() >= 1 and a["volume"].max() <= 999
    assert np.all(np.diff(a["time_ns"]) == 60 * 10**9)
