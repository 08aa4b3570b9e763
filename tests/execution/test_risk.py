"""The risk engine: every pre-trade refusal, every kill-switch, the persisted halt."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.errors import ConfigError
from shared.execution.broker import Order, OrderSide
from shared.execution.risk import (
    RiskEngine,
    RiskLimits,
    RiskState,
    TradingState,
    load_risk_config,
    load_state,
    rearm,
    save_state,
)
from shared.reason_codes import default_registry

T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)


def _buy(qty: float, symbol: str = "BTC-USD") -> Order:
    return Order("c1", symbol, OrderSide.BUY, qty)


def _sell(qty: float, symbol: str = "BTC-USD") -> Order:
    return Order("c2", symbol, OrderSide.SELL, qty)


def test_the_committed_config_loads_and_every_limit_has_bounds() -> None:
    config = load_risk_config()
    assert config.limits.kill_switch_armed
    assert config.limits.live_max_order_notional == 0.0  # live refused out of the box


def test_a_value_outside_its_hard_bound_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "risk.yaml"
    bad.write_text("limits:\n  daily_loss_limit: 0.9\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="daily_loss_limit"):
        load_risk_config(bad)
    bad.write_text("limits:\n  max_drawdown: 0.05\n  reducing_drawdown: 0.2\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="reducing_drawdown"):
        load_risk_config(bad)


@pytest.mark.parametrize(("order", "positions", "code"), [
    (_buy(1.0), {}, "RISK_ORDER_NOTIONAL"),            # 1 x 50_000 > 30_000
    (_buy(0.5), {"BTC-USD": 0.2}, "RISK_POSITION_LIMIT"),  # 0.7 x 50_000 = 35_000
    (_buy(0.1, "ETH-USD"), {"A": 1.0, "B": 1.0}, "RISK_GROSS_EXPOSURE"),
    (_sell(0.5), {"BTC-USD": 0.2}, "RISK_NO_SHORT"),
])
def test_each_pre_trade_limit_refuses_with_its_code(order: Order, positions: dict[str, float],
                                                     code: str) -> None:
    engine = RiskEngine(RiskLimits())
    marks = {"BTC-USD": 50_000.0, "ETH-USD": 50_000.0, "A": 50_000.0, "B": 50_000.0}
    verdict = engine.check(order, 50_000.0, positions, marks, equity=100_000.0)
    assert (verdict.ok, verdict.reason_code) == (False, code)
    default_registry().check((code,))


def test_max_open_positions_refuses_a_new_symbol_only() -> None:
    engine = RiskEngine(RiskLimits(max_open_positions=2, max_gross_exposure=3.0))
    held = {"A": 0.01, "B": 0.01}
    marks = {"A": 100.0, "B": 100.0}
    new = engine.check(_buy(1.0, "C"), 100.0, held, marks, equity=100_000.0)
    more = engine.check(_buy(1.0, "A"), 100.0, held, marks, equity=100_000.0)
    assert new.reason_code == "RISK_MAX_OPEN_POSITIONS" and more.ok


def test_an_order_inside_every_limit_passes() -> None:
    verdict = RiskEngine(RiskLimits()).check(_buy(0.1), 50_000.0, {}, {}, equity=100_000.0)
    assert verdict.ok


def test_live_orders_are_held_to_the_tiny_live_cap() -> None:
    engine = RiskEngine(RiskLimits(live_max_order_notional=50.0))
    assert engine.check(_buy(0.001), 50_000.0, {}, {}, 100_000.0, live=True).ok
    refused = engine.check(_buy(0.01), 50_000.0, {}, {}, 100_000.0, live=True)
    assert refused.reason_code == "RISK_ORDER_NOTIONAL"


def test_daily_loss_halts_and_a_halt_refuses_even_reducing_orders() -> None:
    engine = RiskEngine(RiskLimits(daily_loss_limit=0.02))
    assert engine.observe_equity(T0, 100_000.0) is None
    assert engine.observe_equity(T0 + timedelta(hours=1), 98_500.0) is None
    assert engine.observe_equity(T0 + timedelta(hours=2), 97_999.0) == "HALT_DAILY_LOSS"
    verdict = engine.check(_sell(0.1), 50_000.0, {"BTC-USD": 0.2}, {}, 97_999.0)
    assert verdict.reason_code == "RISK_HALTED"
    # the first halt's reason stays; nothing recovers on its own
    engine.observe_equity(T0 + timedelta(days=1), 200_000.0)
    assert engine.state.state is TradingState.HALTED
    assert engine.state.reason_code == "HALT_DAILY_LOSS"


def test_a_new_day_resets_the_daily_loss_base() -> None:
    engine = RiskEngine(RiskLimits(daily_loss_limit=0.03, max_drawdown=0.5,
                                   reducing_drawdown=0.5))
    engine.observe_equity(T0, 100_000.0)
    engine.observe_equity(T0 + timedelta(hours=5), 98_000.0)
    assert engine.observe_equity(T0 + timedelta(days=1), 96_000.0) is None  # 2 % of 98_000


def test_drawdown_reduces_then_halts() -> None:
    engine = RiskEngine(RiskLimits(daily_loss_limit=0.5, reducing_drawdown=0.05,
                                   max_drawdown=0.10))
    engine.observe_equity(T0, 100_000.0)
    engine.observe_equity(T0 + timedelta(days=1), 94_000.0)
    assert engine.state.state is TradingState.REDUCING
    refused = engine.check(_buy(0.01), 50_000.0, {}, {}, 94_000.0)
    allowed = engine.check(_sell(0.1), 50_000.0, {"BTC-USD": 0.2}, {}, 94_000.0)
    assert refused.reason_code == "RISK_REDUCING_ONLY" and allowed.ok
    engine.observe_equity(T0 + timedelta(days=2), 96_000.0)
    assert engine.state.state is TradingState.ACTIVE
    assert engine.observe_equity(T0 + timedelta(days=3), 89_000.0) == "HALT_MAX_DRAWDOWN"


def test_anomaly_halts_on_a_price_gap_and_on_stale_data() -> None:
    gap = RiskEngine(RiskLimits(max_price_gap=0.1))
    assert gap.observe_market(T0, "X", T0, 100.0, 105.0) is None
    assert gap.observe_market(T0, "X", T0, 100.0, 80.0) == "HALT_PRICE_GAP"
    stale = RiskEngine(RiskLimits(max_data_age_hours=3))
    assert stale.observe_market(T0, "X", T0 - timedelta(hours=3), 1.0, 1.0) is None
    assert stale.observe_market(T0, "X", T0 - timedelta(hours=4), 1.0, 1.0) == \
        "HALT_STALE_DATA"
    assert RiskEngine(RiskLimits()).observe_market(T0, "X", None, None, None) == \
        "HALT_STALE_DATA"


def test_an_error_burst_halts_but_spread_out_errors_do_not() -> None:
    engine = RiskEngine(RiskLimits(error_burst_count=3, error_burst_window_hours=2))
    for k in range(4):
        assert engine.record_error(T0 + timedelta(hours=3 * k), "PROVIDER_ERROR") is None
    burst = RiskEngine(RiskLimits(error_burst_count=3, error_burst_window_hours=2))
    burst.record_error(T0, "PROVIDER_ERROR")
    burst.record_error(T0 + timedelta(minutes=30), "PROVIDER_ERROR")
    assert burst.record_error(T0 + timedelta(hours=1), "PROVIDER_ERROR") == "HALT_ERROR_BURST"


def test_a_disarmed_kill_switch_does_not_halt() -> None:
    engine = RiskEngine(RiskLimits(kill_switch_armed=False))
    assert engine.observe_market(T0, "X", None, None, None) is None
    assert not engine.halted


def test_a_halt_persists_until_a_person_rearms_it(tmp_path: Path) -> None:
    engine = RiskEngine(RiskLimits(), RiskState())
    engine.halt("HALT_PRICE_GAP", "drill", T0)
    save_state(tmp_path, engine.state)
    again = RiskEngine(RiskLimits(), load_state(tmp_path))
    assert again.halted and again.state.reason_code == "HALT_PRICE_GAP"
    with pytest.raises(ConfigError, match="--by"):
        rearm(tmp_path, by=" ", note="", now=T0)
    state = rearm(tmp_path, by="alice", note="gap explained", now=T0 + timedelta(hours=1))
    assert state.state is TradingState.ACTIVE
    assert load_state(tmp_path).state is TradingState.ACTIVE
    record = json.loads((tmp_path / "rearm.jsonl").read_text(encoding="utf-8"))
    assert record["by"] == "alice" and record["cleared"] == "HALT_PRICE_GAP"
    with pytest.raises(ConfigError, match="not halted"):
        rearm(tmp_path, by="alice", note="", now=T0)


def test_an_unreadable_state_file_is_an_artifact_error(tmp_path: Path) -> None:
    from shared.errors import ArtifactError

    (tmp_path / "risk_state.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ArtifactError):
        load_state(tmp_path)
    (tmp_path / "risk_state.json").write_text('{"state": "sideways"}', encoding="utf-8")
    with pytest.raises(ArtifactError):
        load_state(tmp_path)


def test_a_closed_exchange_is_not_a_dead_feed() -> None:
    import dataclasses

    from shared.backtest.ledger import Costs
    from shared.execution.paper import PaperBroker
    from shared.execution.trader import PaperTrader
    from shared.pipeline import DecisionState, SymbolDecision

    def trader() -> PaperTrader:
        return PaperTrader(run_id="r", broker=PaperBroker(initial_cash=1e5, costs=Costs(),
                                                          participation_cap=0.1),
                           risk=RiskEngine(RiskLimits()), registry=default_registry(),
                           horizon_hours=12)

    weekend = SymbolDecision("SPY", T0, DecisionState.STALE, None,
                             reason_code="DATA_MARKET_CLOSED")
    old_bar = T0 - timedelta(hours=40)
    closed = trader()
    closed.step(T0, "SPY", None, None, old_bar, weekend)
    assert not closed.risk.halted
    dead = trader()
    dead.step(T0, "SPY", None, None, old_bar,
              dataclasses.replace(weekend, reason_code="DATA_STALE"))
    assert dead.risk.state.reason_code == "HALT_STALE_DATA"
