"""The numbers of a divergence backtest, computed from its result (pure, vectorised).

* the equity curve, position and drawdown at every bar from the first decision on;
* drawdown: the largest fall from a running peak (a fraction of the peak) and the longest
  time spent below a previous peak (to the recovery, or to the last bar);
* exposure: the share of bars whose close finds a position held;
* the trigger hit rate at the horizon with its Wilson interval and sample size, against the
  base rate of up-moves over the same polls (as ``tb study`` measures it);
* proper scores (Brier, log-loss) of every ``p_up`` the walk produced, and of the triggers'.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from shared.backtest.divergence import BacktestResult, DecisionRecord
from shared.contracts import Direction
from shared.contracts.backtest import (
    BacktestCosts,
    BacktestEquity,
    BacktestExposure,
    BacktestHitRate,
    BacktestTrades,
    ForecastScoreSummary,
)
from shared.evaluation import score, wilson_interval

__all__ = [
    "CurveRows",
    "costs",
    "curve",
    "equity_summary",
    "exposure",
    "forecast_scores",
    "hit_rate",
    "resolve",
    "trade_summary",
]

LEVEL = 0.95
_NS_PER_HOUR = 3_600_000_000_000
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CurveRows:
    """Per bar from the first decision's bar on: end time, open, close, position, cash,
    equity and drawdown (fraction below the running peak)."""

    end_ns: npt.NDArray[np.int64]
    open: FloatArray
    close: FloatArray
    position: FloatArray
    cash: FloatArray
    equity: FloatArray
    drawdown: FloatArray


def curve(result: BacktestResult) -> CurveRows:
    ledger, prices, first = result.ledger, result.prices, result.first_bar
    fills = ledger.fills
    n = len(prices)
    last_fill = np.searchsorted(fills.bar, np.arange(n), side="right") - 1
    seen = last_fill >= 0
    safe = np.maximum(last_fill, 0)
    position = np.where(seen, fills.position_after[safe] if len(fills) else 0.0, 0.0)
    cash = np.where(seen, fills.cash_after[safe] if len(fills) else 0.0, ledger.initial_cash)
    equity = ledger.equity_curve()
    window = slice(first, n)
    eq = equity[window]
    peak = np.maximum.accumulate(eq) if len(eq) else eq
    drawdown = np.where(peak > 0, (peak - eq) / np.where(peak > 0, peak, 1.0), 0.0)
    return CurveRows(prices.end_ns[window], prices.open[window], prices.close[window],
                     position[window], cash[window], eq, drawdown)


def equity_summary(result: BacktestResult, rows: CurveRows) -> BacktestEquity:
    ledger = result.ledger
    eq = rows.equity
    peak_at = trough_at = None
    longest = 0.0
    if len(eq):
        trough = int(np.argmax(rows.drawdown))
        if rows.drawdown[trough] > 0:
            peak = int(np.argmax(eq[: trough + 1]))
            peak_at, trough_at = _time(rows.end_ns[peak]), _time(rows.end_ns[trough])
        longest = _longest_underwater_hours(rows.end_ns, eq)
    return BacktestEquity(
        initial=ledger.initial_cash, final=ledger.final_equity, final_cash=ledger.final_cash,
        total_return=ledger.final_equity / ledger.initial_cash - 1.0,
        max_drawdown=float(rows.drawdown.max()) if len(eq) else 0.0,
        max_drawdown_peak=peak_at, max_drawdown_trough=trough_at,
        max_drawdown_duration_hours=longest, final_position=ledger.final_position,
    )


def _longest_underwater_hours(end_ns: npt.NDArray[np.int64], eq: FloatArray) -> float:
    # From the bar that set a peak to the first bar back at (or above) it; an unrecovered
    # fall runs to the last bar.
    peak = np.maximum.accumulate(eq)
    at_peak = np.flatnonzero(eq >= peak)  # bars at a running high (always bar 0)
    below = np.diff(at_peak) > 1  # some bar between two highs was under water
    spans = (end_ns[at_peak[1:]] - end_ns[at_peak[:-1]])[below]
    if at_peak[-1] < len(eq) - 1:
        spans = np.append(spans, end_ns[-1] - end_ns[at_peak[-1]])
    return float(spans.max()) / _NS_PER_HOUR if len(spans) else 0.0


def exposure(rows: CurveRows) -> BacktestExposure:
    held = rows.position[1:]  # the first row is the bar the first decision is made on
    bars = len(held)
    long, short = int((held > 0).sum()), int((held < 0).sum())
    return BacktestExposure(
        bars=bars, bars_in_market=long + short,
        share=(long + short) / bars if bars else 0.0,
        long_share=long / bars if bars else 0.0, short_share=short / bars if bars else 0.0,
    )


def resolve(result: BacktestResult, records: list[DecisionRecord]) -> npt.NDArray[np.float64]:
    """Per record: 1.0 when the close ``horizon`` later is above the close at ``as_of``, 0.0
    when not, NaN when either close is missing (no bar ends exactly there)."""
    prices = result.prices
    if not records:
        return np.zeros(0)
    times = np.array([_ns(r.as_of) for r in records], dtype=np.int64)
    hours = np.array([r.horizon_hours or result.horizon_hours for r in records], dtype=np.int64)
    c0 = _close_at(prices.end_ns, prices.close, times)
    c1 = _close_at(prices.end_ns, prices.close, times + hours * _NS_PER_HOUR)
    out: FloatArray = np.where(np.isfinite(c0) & np.isfinite(c1), (c1 > c0).astype(float),
                               np.nan)
    return out


def hit_rate(result: BacktestResult) -> BacktestHitRate:
    triggers = list(result.triggers)
    outcome = resolve(result, triggers)
    ok = np.isfinite(outcome)
    up = np.array([t.direction is Direction.UP for t in triggers], dtype=bool)
    hits = int((ok & np.where(up, outcome == 1.0, outcome == 0.0)).sum())
    resolved = int(ok.sum())
    grid = resolve(result, [d for d in result.decisions])
    grid = grid[np.isfinite(grid)]
    base = float(grid.mean()) if len(grid) else None
    baseline = z = None
    if base is not None and resolved:
        ups = int((up & ok).sum())
        baseline = (ups * base + (resolved - ups) * (1.0 - base)) / resolved
        spread = math.sqrt(resolved * baseline * (1.0 - baseline))
        z = (hits - resolved * baseline) / spread if spread > 0 else None
    interval = wilson_interval(hits, resolved, level=LEVEL)
    return BacktestHitRate(
        resolved=resolved, unresolved=len(triggers) - resolved, hits=hits,
        rate=hits / resolved if resolved else None,
        ci=None if interval is None else (interval.lo, interval.hi), level=LEVEL,
        base_rate=base, baseline_hit_rate=baseline, z_vs_baseline=z,
    )


def forecast_scores(result: BacktestResult, records: list[DecisionRecord]
                    ) -> ForecastScoreSummary:
    with_p = [r for r in records if r.p_up is not None]
    outcome = resolve(result, with_p)
    ok = np.isfinite(outcome)
    if not ok.any():
        return ForecastScoreSummary(n=0, brier=None, log_loss=None, base_rate=None, mean_p=None,
                                    brier_climatology=None, brier_skill_vs_climatology=None)
    p = np.array([r.p_up for r in with_p], dtype=np.float64)[ok]
    scores = score(p, outcome[ok].astype(np.int8))
    return ForecastScoreSummary(
        n=scores.n, brier=scores.brier, log_loss=scores.log_loss, base_rate=scores.base_rate,
        mean_p=scores.mean_p, brier_climatology=scores.brier_climatology,
        brier_skill_vs_climatology=scores.brier_skill_vs_climatology,
    )


def trade_summary(result: BacktestResult, exit_reasons: Counter[str]) -> BacktestTrades:
    ledger = result.ledger
    trades = ledger.trades
    closed_mask = trades.exit_bar >= 0
    pnl = trades.pnl[closed_mask]
    wins = int((pnl > 0).sum())
    closed = int(closed_mask.sum())
    interval = wilson_interval(wins, closed, level=LEVEL)
    return BacktestTrades(
        round_trips=len(trades), closed=closed, open=len(trades) - closed,
        long=int((trades.units > 0).sum()), short=int((trades.units < 0).sum()),
        wins=wins, win_rate=wins / closed if closed else None,
        win_rate_ci=None if interval is None else (interval.lo, interval.hi),
        net_pnl=float(pnl.sum()), mean_pnl=float(pnl.mean()) if closed else None,
        fills=len(ledger.fills), rejected_orders=ledger.rejected_orders,
        orders_after_last_bar=ledger.orders_after_last_bar,
        exit_reasons=dict(sorted(exit_reasons.items())),
    )


def costs(result: BacktestResult) -> BacktestCosts:
    fills = result.ledger.fills
    commission = float(fills.commission.sum())
    at_open = result.prices.open[fills.bar] if len(fills) else np.zeros(0)
    slippage = float((np.abs(fills.price - at_open) * np.abs(fills.units)).sum())
    return BacktestCosts(commission=commission, slippage=slippage, total=commission + slippage)


def _close_at(end_ns: npt.NDArray[np.int64], close: FloatArray,
              when_ns: npt.NDArray[np.int64]) -> FloatArray:
    idx = np.searchsorted(end_ns, when_ns)
    clipped = np.minimum(idx, len(end_ns) - 1)
    found = (idx < len(end_ns)) & (end_ns[clipped] == when_ns)
    out: FloatArray = np.where(found, close[clipped], np.nan)
    return out


def _ns(value: datetime) -> int:
    return int(pd.Timestamp(value).value)


def _time(ns: int | np.integer) -> datetime:
    value: datetime = pd.Timestamp(int(ns), tz="UTC").to_pydatetime()
    return value
