"""The divergence signal as a trading rule, replayed event by event through the one decision
path (``tb backtest run``; the walk-forward and the tuner score with :func:`run_backtest`).

The decisions are the pipeline's walk (:func:`shared.pipeline.fetch_period` +
:func:`shared.pipeline.walk`): at every poll ``t`` in ``[start, end]`` the very decision a
scheduled run at ``t`` makes, on bars closed by ``t`` and headlines published and fetched by
``t``. The orders follow from the triggers, in time order:

* an **up** trigger opens a long position; a **down** trigger opens a short one
  (``long-short``, the default: a down call is as much a call as an up one) or only closes a
  long (``long-only``: down means flat);
* a position is held for the trigger's forecast horizon (``horizon_hours`` of its forecast)
  or until an opposite trigger, which closes it (and, long-short, opens the other side at
  the same open). A same-side trigger while holding renews the deadline, never adds units;
* an order decided at ``t`` is filled at the **open of the first bar that starts at or after
  ``t``** (the next bar's open; never a price from before the decision) by the ledger every
  backtest uses (:func:`shared.backtest.ledger.execute_targets`: fees, slippage, cash);
* the size is fixed: ``position_fraction × initial_cash`` of notional at the close at ``t``
  (a buy that cash cannot cover is rejected and counted, never resized);
* no decision is made after ``end``; a position still open then is closed at its deadline
  when the data reaches it (bars are read to ``end + horizon``), else it stays open, marked
  at the last close.

Nothing here plots or writes: :mod:`shared.backtest.divergence_report` turns a
:class:`BacktestResult` into the report, and the stage writes it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
import pandas as pd

from shared.backtest.ledger import Costs, LedgerResult, execute_targets
from shared.contracts import Direction, OutcomeStatus, Timeframe, validate_bars_frame
from shared.errors import ConfigError
from shared.pipeline import Period, Sources, SymbolDecision, SymbolJob, fetch_period, walk
from shared.providers.base import MarketFeed

__all__ = [
    "BacktestConfig",
    "BacktestInputs",
    "BacktestResult",
    "DecisionRecord",
    "OrderRecord",
    "PriceSeries",
    "TradeMode",
    "prepare_inputs",
    "run_backtest",
    "run_prepared",
]

_NS_PER_HOUR = 3_600_000_000_000


class TradeMode(StrEnum):
    """What a down trigger does: open a short, or only close a long."""

    LONG_SHORT = "long-short"
    LONG_ONLY = "long-only"


@dataclass(frozen=True)
class BacktestConfig:
    """The rule's settings (the signal's own parameters are the job's)."""

    start: datetime
    end: datetime
    mode: TradeMode = TradeMode.LONG_SHORT
    fee_bps: float = 10.0
    slippage_bps: float = 5.0
    initial_cash: float = 100_000.0
    position_fraction: float = 0.5

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ConfigError("the backtest's end is before its start")
        if not (0.0 <= self.fee_bps < 10_000.0 and 0.0 <= self.slippage_bps < 10_000.0):
            raise ConfigError("fee_bps and slippage_bps must be in [0, 10000)")
        if not self.initial_cash > 0.0:
            raise ConfigError("initial_cash must be positive")
        if not 0.0 < self.position_fraction <= 1.0:
            raise ConfigError("position_fraction must be in (0, 1]")

    @property
    def costs(self) -> Costs:
        return Costs.from_bps(fee_bps=self.fee_bps, slippage_bps=self.slippage_bps)


@dataclass(frozen=True)
class PriceSeries:
    """The bars the decisions saw (the same frame ``fetch_period`` prepared), as arrays."""

    start_ns: np.ndarray
    end_ns: np.ndarray
    open: np.ndarray
    close: np.ndarray

    def __len__(self) -> int:
        return len(self.end_ns)

    def digest(self) -> str:
        hasher = hashlib.sha256()
        for array in (self.start_ns, self.end_ns, self.open, self.close):
            hasher.update(np.ascontiguousarray(array).tobytes())
        return hasher.hexdigest()


@dataclass(frozen=True)
class BacktestInputs:
    """What one backtest reads, fetched once (the tuner may decide on it many times, as long
    as the signal parameters that shape the fetch stay the same)."""

    period: Period
    prices: PriceSeries
    inputs_digest: str


@dataclass(frozen=True)
class DecisionRecord:
    """One poll: what the pipeline decided (``status`` is an outcome status, or ``stale``)."""

    as_of: datetime
    status: str
    reason_codes: tuple[str, ...]
    direction: Direction | None
    p_up: float | None
    horizon_hours: int | None


@dataclass(frozen=True)
class OrderRecord:
    """A target-position order: decided at ``as_of`` (signal bar ``bar``), and why."""

    as_of: datetime
    bar: int
    target: float
    reason: str  # entry_up, entry_down, exit_horizon, exit_opposite, exit_down_signal


@dataclass(frozen=True)
class BacktestResult:
    """Everything the report needs; no file, no plot."""

    symbol: str
    config: BacktestConfig
    horizon_hours: int
    prices: PriceSeries
    first_bar: int  # the bar closed at the first decision (the equity curve starts here)
    decisions: tuple[DecisionRecord, ...]
    orders: tuple[OrderRecord, ...]
    ledger: LedgerResult
    units: float  # the fixed size, in units of the symbol, per trade (0 when none)
    inputs_digest: str
    config_digest: str
    headlines: int  # headlines the period's decisions could read
    status_counts: Counter[str] = field(default_factory=Counter)

    @property
    def triggers(self) -> tuple[DecisionRecord, ...]:
        return tuple(d for d in self.decisions if d.status == OutcomeStatus.TRIGGERED.value)


class _RecordingMarket:
    # A market feed that hands the decision path the inner feed's answer and keeps it, so the
    # fills price exactly the bars the decisions saw (one fetch, no second copy of the data).
    def __init__(self, inner: MarketFeed) -> None:
        self.inner = inner
        self.name = inner.name
        self.frames: list[pd.DataFrame] = []

    def bars(self, symbols: Sequence[str], *, start: datetime, end: datetime,
             timeframe: Timeframe) -> dict[str, pd.DataFrame]:
        frames = self.inner.bars(symbols, start=start, end=end, timeframe=timeframe)
        self.frames.extend(frames.values())
        return frames


def prepare_inputs(job: SymbolJob, sources: Sources, config: BacktestConfig) -> BacktestInputs:
    """Fetch the period once (bars to ``end + horizon``, to close the last trade and resolve
    the last forecasts) and check that the data covers it."""
    horizon = timedelta(hours=job.engine.horizon_hours)
    recorder = _RecordingMarket(sources.market)
    recording = dataclasses.replace(sources, market=recorder)
    period = fetch_period(job, config.start, config.end, recording,
                          bars_until=config.end + horizon)
    frame = validate_bars_frame(recorder.frames[-1], symbol=job.symbol)
    prices = _price_series(frame)
    if not np.array_equal(prices.end_ns, period.bars.end_ns):
        raise ConfigError(f"{job.symbol}: the bars priced differ from the bars decided on")
    _check_coverage(job, config, prices)
    news = hashlib.sha256()
    for item in period.narratives:
        news.update(f"{item.narrative_id}|{item.published_at.isoformat()}|"
                    f"{item.fetched_at.isoformat()}\n".encode())
    digest = hashlib.sha256(f"{prices.digest()}:{news.hexdigest()}".encode()).hexdigest()
    return BacktestInputs(period, prices, digest)


def run_backtest(job: SymbolJob, sources: Sources, config: BacktestConfig) -> BacktestResult:
    """Fetch, walk, trade: the backtest of ``job`` over ``[config.start, config.end]``.

    Raises :class:`~shared.errors.ConfigError` when the data does not cover the period."""
    return run_prepared(job, prepare_inputs(job, sources, config), config)


def run_prepared(job: SymbolJob, inputs: BacktestInputs, config: BacktestConfig
                 ) -> BacktestResult:
    """Walk the prepared period, turn triggers into orders, fill them through the ledger."""
    prices = inputs.prices
    step = timedelta(hours=job.signal.poll_hours)
    times = list(itertools.takewhile(lambda t: t <= config.end,
                                     (config.start + i * step for i in itertools.count())))
    decisions = [_record(w.as_of, w.decision) for w in walk(job, times, inputs.period)]
    if not any(d.status != "stale" for d in decisions):
        raise ConfigError(f"{job.symbol}: no decision could be made between "
                          f"{config.start:%Y-%m-%dT%H:%MZ} and {config.end:%Y-%m-%dT%H:%MZ}: "
                          "every poll found the data stale (a gap covers the period)")
    first_bar = max(0, _signal_bar(prices, config.start))
    units = _units(prices, decisions, config)
    orders = _orders(decisions, prices, config, units, job.engine.horizon_hours)
    ledger = execute_targets(
        prices.open, prices.close,
        np.array([o.bar for o in orders], dtype=np.int64),
        np.array([o.target for o in orders], dtype=np.float64),
        initial_cash=config.initial_cash, costs=config.costs,
        allow_short=config.mode is TradeMode.LONG_SHORT,
    )
    counts = Counter(d.status for d in decisions)
    return BacktestResult(
        symbol=job.symbol, config=config, horizon_hours=job.engine.horizon_hours,
        prices=prices, first_bar=first_bar, decisions=tuple(decisions), orders=tuple(orders),
        ledger=ledger, units=units, inputs_digest=inputs.inputs_digest,
        config_digest=job.engine.config_digest, headlines=len(inputs.period.narratives),
        status_counts=counts,
    )


def _price_series(frame: pd.DataFrame) -> PriceSeries:
    ordered = frame.sort_values("end", kind="stable")
    return PriceSeries(
        start_ns=ordered["start"].to_numpy(dtype="datetime64[ns]").astype("int64"),
        end_ns=ordered["end"].to_numpy(dtype="datetime64[ns]").astype("int64"),
        open=ordered["open"].to_numpy(dtype="float64"),
        close=ordered["close"].to_numpy(dtype="float64"),
    )


def _check_coverage(job: SymbolJob, config: BacktestConfig, prices: PriceSeries) -> None:
    # The data must reach both ends of the period: a bar closed by the first decision and one
    # fresh enough at the last (a hole inside shows up as stale polls, counted).
    first, last = _ns(config.start), _ns(config.end)
    if not len(prices) or prices.end_ns[0] > first:
        begins = _label(int(prices.end_ns[0])) if len(prices) else "nowhere"
        raise ConfigError(f"{job.symbol}: the data does not cover the period: its first bar "
                          f"closes at {begins}, after --start {_label(first)}")
    newest = int(prices.end_ns[np.searchsorted(prices.end_ns, last, side="right") - 1])
    if newest < last - job.max_bar_age_hours * _NS_PER_HOUR:
        raise ConfigError(f"{job.symbol}: the data does not cover the period: its last bar "
                          f"by --end {_label(last)} closes at {_label(newest)}, more than "
                          f"{job.max_bar_age_hours} h before")


def _record(as_of: datetime, decision: SymbolDecision) -> DecisionRecord:
    decided = decision.decided
    if decided is None:  # stale: the session was closed or the data too old
        return DecisionRecord(as_of, "stale", (decision.reason_code,), None, None, None)
    outcome, forecast = decided.outcome, decided.forecast
    return DecisionRecord(
        as_of, outcome.status.value, tuple(outcome.reason_codes), outcome.direction,
        outcome.p_up, forecast.horizon_hours if forecast is not None else None,
    )


def _signal_bar(prices: PriceSeries, when: datetime) -> int:
    # The bar an order decided at ``when`` is booked on: the one before the first bar that
    # starts at or after ``when``, so the ledger fills it at that bar's open.
    return int(np.searchsorted(prices.start_ns, _ns(when), side="left")) - 1


def _units(prices: PriceSeries, decisions: Sequence[DecisionRecord],
           config: BacktestConfig) -> float:
    # The fixed trade size: position_fraction × initial cash at the close of the first trigger
    # (one size for the whole run, so every trade weighs the same).
    for record in decisions:
        if record.status == OutcomeStatus.TRIGGERED.value:
            index = int(np.searchsorted(prices.end_ns, _ns(record.as_of), side="right")) - 1
            return config.position_fraction * config.initial_cash / float(prices.close[index])
    return 0.0


def _orders(decisions: Sequence[DecisionRecord], prices: PriceSeries, config: BacktestConfig,
            units: float, default_horizon: int) -> list[OrderRecord]:
    orders: list[OrderRecord] = []
    side, deadline = 0, None

    def order(as_of: datetime, target: float, reason: str) -> None:
        orders.append(OrderRecord(as_of, _signal_bar(prices, as_of), target, reason))

    for record in decisions:
        t = record.as_of
        triggered = (record.status == OutcomeStatus.TRIGGERED.value
                     and record.direction is not None)
        want = 0
        if triggered:
            want = 1 if record.direction is Direction.UP else (
                -1 if config.mode is TradeMode.LONG_SHORT else 0)
        hold = timedelta(hours=record.horizon_hours or default_horizon)
        if want and want == side:
            deadline = t + hold  # renewed at (or before) its deadline, never pyramided
            continue
        if side and deadline is not None and t >= deadline:
            order(t, 0.0, "exit_horizon")
            side, deadline = 0, None
        if not triggered:
            continue
        if side:
            order(t, 0.0, "exit_opposite" if want else "exit_down_signal")
            side, deadline = 0, None
        if want:
            order(t, want * units, "entry_up" if want > 0 else "entry_down")
            side, deadline = want, t + hold
    if side and deadline is not None:  # wind down: no decision after end, the deadline holds
        order(deadline, 0.0, "exit_horizon")
    return [o for o in orders if o.bar >= 0]


def _ns(value: datetime) -> int:
    return int(pd.Timestamp(value).value)


def _label(ns: int) -> str:
    return str(pd.Timestamp(ns, tz="UTC").strftime("%Y-%m-%dT%H:%MZ"))
