"""The divergence backtest: triggers become orders filled at the next bar's open through the
ledger, with fees and slippage, hand-computed on a small case; the real pipeline on the
synthetic feed finds triggers; coverage errors are clear; zero triggers say why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.backtest import metrics
from shared.backtest.divergence import (
    BacktestConfig,
    TradeMode,
    run_backtest,
)
from shared.backtest.divergence_report import ReportMeta, build_report, trades_csv
from shared.backtest.ledger import Costs, execute_targets
from shared.contracts import (
    Direction,
    Forecast,
    Narrative,
    OutcomeStatus,
    PriorTrigger,
    SignalOutcome,
    Timeframe,
)
from shared.errors import ConfigError
from shared.features.signal import PreparedBars, PreparedNarratives
from shared.pipeline import Sources, SymbolJob
from shared.pipeline.settings import load_pipeline_settings
from shared.providers.synthetic import SyntheticFeed
from shared.reason_codes import default_registry
from shared.sentiment.offline import OfflineScorer
from shared.signal.engine import Decided, SignalEngine

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
START, END = T0 + 24 * HOUR, T0 + 48 * HOUR


def _hours(k: int) -> datetime:
    return T0 + k * HOUR


class BarsFeed:
    """Hourly bars from T0: bar k opens at 100 + k and closes at 100.5 + k."""

    name = "bars"

    def __init__(self, count: int = 72) -> None:
        starts = pd.date_range(T0, periods=count, freq="h", tz="UTC")
        k = np.arange(count, dtype=float)
        self.frame = pd.DataFrame({"start": starts, "end": starts + pd.Timedelta(hours=1),
                                   "open": 100.0 + k, "high": 101.0 + k, "low": 99.0 + k,
                                   "close": 100.5 + k, "volume": 10.0})

    def bars(self, symbols: Sequence[str], *, start: datetime, end: datetime,
             timeframe: Timeframe) -> dict[str, pd.DataFrame]:
        f = self.frame
        cut = f[(f["start"] >= pd.Timestamp(start)) & (f["end"] <= pd.Timestamp(end))]
        return {s: cut.reset_index(drop=True) for s in symbols} if len(cut) else {}


class NoNews:
    name = "no-news"

    def narratives(self, symbols: Sequence[str], *, start: datetime,
                   end: datetime) -> list[Narrative]:
        return []


class ScriptedEngine(SignalEngine):
    """The engine's interface with scripted triggers (hour -> direction, horizon 3 h);
    every other hour no trigger, with a p_up of 0.5."""

    def __init__(self, script: dict[int, Direction]) -> None:
        settings = load_pipeline_settings()
        super().__init__(settings.signal, settings.bots, default_registry())
        self.script = script

    def decide(self, symbol: str, as_of: datetime, bars: PreparedBars,
               news: PreparedNarratives, prior_triggers: Sequence[PriorTrigger] = ()
               ) -> Decided:
        direction = self.script.get(round((as_of - T0) / HOUR))
        if direction is None:
            return Decided(SignalOutcome(symbol=symbol, as_of=as_of,
                                         status=OutcomeStatus.NO_TRIGGER, rank_score=0.0,
                                         p_up=0.5, reason_codes=("DIV_BELOW_THRESHOLD",)),
                           (), None)
        p_up = 0.7 if direction is Direction.UP else 0.3
        forecast = Forecast(symbol=symbol, as_of=as_of, horizon_hours=3, p_up=p_up,
                            direction=direction, strength=0.4, bot="divergence",
                            bot_version="test")
        return Decided(SignalOutcome(symbol=symbol, as_of=as_of, status=OutcomeStatus.TRIGGERED,
                                     direction=direction, p_up=p_up, rank_score=1.0),
                       (), forecast)


def _job(engine: SignalEngine) -> SymbolJob:
    settings = load_pipeline_settings()
    return SymbolJob(symbol="BTC-USD", signal=settings.signal, engine=engine,
                     history_hours=settings.tracer.history_hours,
                     max_bar_age_hours=settings.tracer.max_bar_age_hours)


def _sources(feed: BarsFeed | None = None) -> Sources:
    return Sources("bars", feed or BarsFeed(), NoNews(), OfflineScorer(), None)


SCRIPT = {26: Direction.UP, 35: Direction.DOWN, 36: Direction.UP, 38: Direction.UP,
          47: Direction.UP}


def test_fills_are_at_the_next_bars_open_with_fees_and_slippage_hand_computed() -> None:
    config = BacktestConfig(start=START, end=END, fee_bps=10.0, slippage_bps=20.0)
    result = run_backtest(_job(ScriptedEngine(SCRIPT)), _sources(), config)
    units = 0.5 * 100_000.0 / 125.5  # half the cash at the close of the bar ending at 26 h
    assert result.units == units
    fills = result.ledger.fills
    # up 26 -> long at bar 26's open; deadline 29 -> flat at 129; down 35 -> short at 135;
    # up 36 -> cover and long at 136 (two fills); up 38 renews to 41 -> flat at 141;
    # up 47 -> long at 147, closed after the end at its deadline, 50 -> 150.
    assert fills.bar.tolist() == [26, 29, 35, 36, 36, 41, 47, 50]
    assert fills.units.tolist() == [units, -units, -units, units, units, -units, units, -units]
    opens = np.array([126, 129, 135, 136, 136, 141, 147, 150], dtype=float)
    slip = np.where(fills.units > 0, 1.002, 0.998)
    assert fills.price.tolist() == (opens * slip).tolist()
    assert np.allclose(fills.commission, 0.001 * opens * slip * units, rtol=0, atol=1e-12)
    trades = result.ledger.trades
    entry, leave = opens[[0, 2, 4, 6]] * [1.002, 0.998, 1.002, 1.002], \
        opens[[1, 3, 5, 7]] * [0.998, 1.002, 0.998, 0.998]
    side = np.array([1.0, -1.0, 1.0, 1.0])
    expected = (leave - entry) * side * units - 0.001 * (entry + leave) * units
    assert np.allclose(trades.pnl, expected, rtol=0, atol=1e-9)
    assert result.ledger.final_position == 0.0
    assert result.ledger.final_equity == pytest.approx(100_000.0 + expected.sum(), abs=1e-8)
    reasons = [o.reason for o in result.orders]
    assert reasons == ["entry_up", "exit_horizon", "entry_down", "exit_opposite", "entry_up",
                       "exit_horizon", "entry_up", "exit_horizon"]


def test_long_only_turns_a_down_trigger_into_flat() -> None:
    config = BacktestConfig(start=START, end=END, mode=TradeMode.LONG_ONLY, fee_bps=0.0,
                            slippage_bps=0.0)
    result = run_backtest(_job(ScriptedEngine(SCRIPT)), _sources(), config)
    assert result.ledger.fills.bar.tolist() == [26, 29, 36, 41, 47, 50]
    assert (result.ledger.fills.position_after >= 0).all()
    script = {26: Direction.UP, 27: Direction.DOWN}
    result = run_backtest(_job(ScriptedEngine(script)), _sources(), config)
    assert [o.reason for o in result.orders] == ["entry_up", "exit_down_signal"]
    assert result.ledger.trades.pnl.tolist() == [(127.0 - 126.0) * result.units]


def test_report_numbers_come_from_the_fills() -> None:
    config = BacktestConfig(start=START, end=END, fee_bps=10.0, slippage_bps=20.0)
    result = run_backtest(_job(ScriptedEngine(SCRIPT)), _sources(), config)
    meta = ReportMeta(feed="bars", seed=0, synthetic_edge=None, poll_hours=1,
                      code_version="test")
    report = build_report(result, meta, {})
    fills = result.ledger.fills
    assert report.costs.commission == pytest.approx(float(fills.commission.sum()))
    opens = np.array([126, 129, 135, 136, 136, 141, 147, 150], dtype=float)
    assert report.costs.slippage == pytest.approx(float((opens * 0.002 * result.units).sum()))
    # held at the close of bars 26-28, 35, 36-40 and 47-49; rows run from the bar ending at
    # the start (23) to the last fetched (59: end + the configured 12 h horizon)
    assert report.exposure.bars == 36
    assert report.exposure.bars_in_market == 12
    assert report.trades.exit_reasons == {"exit_horizon": 3, "exit_opposite": 1}
    # every trigger resolves 3 h later on a rising series: the up calls hit, the down misses
    assert (report.hit_rate.hits, report.hit_rate.resolved) == (4, 5)
    assert report.hit_rate.base_rate == 1.0
    assert report.hit_rate.ci is not None and report.hit_rate.ci[0] < 0.8 < report.hit_rate.ci[1]
    assert report.decisions.triggered == 5 and report.zero_triggers is None
    assert report.forecasts.n == 25 and report.trigger_forecasts.n == 5
    rows = trades_csv(result).splitlines()
    assert rows[1].startswith("long,") and ",2026-01-02T02:00:00Z,2026-01-02T02:00:00Z," in rows[1]
    assert rows[2].split(",")[0] == "short" and rows[2].split(",")[8] == "exit_opposite"


def test_zero_triggers_are_reported_with_their_reasons() -> None:
    config = BacktestConfig(start=START, end=END)
    result = run_backtest(_job(ScriptedEngine({})), _sources(), config)
    report = build_report(result, ReportMeta("bars", 0, None, 1, "test"), {})
    assert report.decisions.triggered == 0 and report.trades.round_trips == 0
    assert report.zero_triggers == "no trigger in 25 decisions: 25 no_trigger " \
                                   "(DIV_BELOW_THRESHOLD 25)"
    assert report.hit_rate.resolved == 0 and report.hit_rate.rate is None
    assert report.hit_rate.ci is None
    assert report.equity.final == 100_000.0 and report.exposure.share == 0.0


def test_data_that_does_not_cover_the_period_is_a_clear_error() -> None:
    job = _job(ScriptedEngine({}))
    with pytest.raises(ConfigError, match="its last bar by --end .* closes at"):
        run_backtest(job, _sources(BarsFeed(count=40)),
                     BacktestConfig(start=START, end=END))
    with pytest.raises(ConfigError, match="the data does not cover the period"):
        run_backtest(job, _sources(), BacktestConfig(start=T0 + 200 * HOUR,
                                                     end=T0 + 220 * HOUR))
    with pytest.raises(ConfigError, match="first bar closes at 2026-01-01T01:00Z, after"):
        run_backtest(job, _sources(), BacktestConfig(start=T0, end=END))


def test_bad_settings_are_config_errors() -> None:
    for kwargs in ({"fee_bps": -1.0}, {"position_fraction": 0.0}, {"initial_cash": 0.0}):
        with pytest.raises(ConfigError):
            BacktestConfig(start=START, end=END, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="end is before"):
        BacktestConfig(start=END, end=START)


def test_the_planted_relation_gives_triggers_traded_at_the_next_open() -> None:
    settings = load_pipeline_settings()
    engine = SignalEngine(settings.signal, settings.bots, default_registry())
    feed = SyntheticFeed(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    config = BacktestConfig(start=start, end=start + timedelta(days=30))
    result = run_backtest(_job(engine), Sources("synthetic", feed, feed, OfflineScorer(), None),
                          config)
    assert len(result.triggers) >= 3
    fills, prices = result.ledger.fills, result.prices
    assert len(fills) >= 2 * len(result.ledger.trades) - 1
    # each fill is at the open of the bar that starts at its order's decision time
    for order in result.orders:
        start_ns = prices.start_ns[order.bar + 1]
        assert start_ns == int(pd.Timestamp(order.as_of).value)
    slip = np.where(fills.units > 0, 1.0005, 0.9995)
    assert np.array_equal(fills.price, prices.open[fills.bar] * slip)
    report = build_report(result, ReportMeta("synthetic", 7, 1.0, 1, "test"), {})
    assert report.hit_rate.resolved == len(result.triggers)
    assert report.forecasts.n > 600 and report.forecasts.brier is not None


def test_drawdown_duration_runs_from_the_peak_to_the_recovery() -> None:
    end_ns = np.arange(6, dtype=np.int64) * 3_600_000_000_000
    assert metrics._longest_underwater_hours(end_ns, np.array([1.0, 2, 1, 1, 2, 3])) == 3.0
    assert metrics._longest_underwater_hours(end_ns, np.array([1.0, 2, 3, 4, 5, 6])) == 0.0
    assert metrics._longest_underwater_hours(end_ns, np.array([3.0, 2, 2, 4, 1, 1])) == 3.0


def test_ledger_short_round_trip_and_flip_hand_computed() -> None:
    open_ = np.array([10.0, 10.0, 8.0, 9.0, 12.0, 11.0])
    close = np.array([10.0, 9.5, 8.5, 9.5, 11.5, 11.0])
    # short 2 at open[1] = 10; cover at open[2] = 8, then long 2 at the same open (a flip is
    # two orders on one bar); sell at open[4] = 12
    result = execute_targets(open_, close, np.array([0, 1, 1, 3]),
                             np.array([-2.0, 0.0, 2.0, 0.0]),
                             costs=Costs.from_bps(fee_bps=10.0, slippage_bps=0.0),
                             allow_short=True)
    assert result.fills.bar.tolist() == [1, 2, 2, 4]
    assert result.fills.units.tolist() == [-2.0, 2.0, 2.0, -2.0]
    cash = 100_000.0 + 20 - 0.02  # short sale: proceeds less commission
    cash = cash - 16 - 0.016  # cover
    assert result.fills.cash_after[1] == pytest.approx(cash)
    assert result.trades.units.tolist() == [-2.0, 2.0]
    assert result.trades.pnl.tolist() == pytest.approx([(10 - 8) * 2 - 0.001 * 18 * 2,
                                                        (12 - 8) * 2 - 0.001 * 20 * 2])
    assert result.equity_curve()[1] == pytest.approx(100_000.0 - 0.02 + 2 * (10 - 9.5))
    assert result.final_equity == pytest.approx(100_000.0 + sum(result.trades.pnl))


def test_costs_from_bps() -> None:
    assert Costs.from_bps(fee_bps=10.0, slippage_bps=5.0) == Costs(0.001, 0.0005)
    with pytest.raises(ValueError, match="long-only"):
        execute_targets(np.ones(3), np.ones(3), np.array([0]), np.array([-1.0]))


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.integers(min_value=24, max_value=48),
                       st.sampled_from([Direction.UP, Direction.DOWN]), max_size=12),
       st.sampled_from(list(TradeMode)))
def test_any_trigger_sequence_keeps_one_fixed_position_at_most(
        script: dict[int, Direction], mode: TradeMode) -> None:
    config = BacktestConfig(start=START, end=END, mode=mode)
    result = run_backtest(_job(ScriptedEngine(script)), _sources(), config)
    positions = result.ledger.fills.position_after
    assert set(np.abs(positions).tolist()) <= {0.0, result.units}
    if mode is TradeMode.LONG_ONLY:
        assert (positions >= 0).all()
    trades = result.ledger.trades
    assert trades.closed == len(trades)  # every deadline falls inside the bars (end + 12 h)
    held_hours = trades.exit_bar - trades.entry_bar
    assert ((held_hours >= 1) & (held_hours <= 3 * 25)).all()
    assert result.ledger.final_equity == pytest.approx(100_000.0 + float(trades.pnl.sum()))
    ups = sum(1 for d in script.values() if d is Direction.UP)
    assert (result.ledger.trades.units > 0).sum() <= ups
