"""Run the signal over every hourly bar in a period and measure its triggers.

At each hour ``t`` the engine sees exactly what a live run at ``t`` would have: bars closed
by ``t`` and headlines published and fetched by ``t`` (novelty, too, is computed in fetch
order). Effective triggers feed the cooldown of later hours, as committed artifacts would.
A trigger *hits* when the close at ``t + horizon`` is on its side of the close at ``t``.

``base_rate`` is the share of hours in the period whose close ``horizon`` later is higher;
``baseline_hit_rate`` is the hit rate a coin with that base rate would score on the same
directions (``base_rate`` for up calls, ``1 - base_rate`` for down calls): the number a
trigger hit rate has to beat.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from shared.contracts import Direction, OutcomeStatus, Timeframe, format_utc
from shared.contracts.signal import PriorTrigger
from shared.features.signal import PreparedBars, prepare_narratives
from shared.providers.base import MarketFeed, NewsFeed
from shared.sentiment.base import SentimentScorer
from shared.signal.engine import SignalEngine

__all__ = ["StudyResult", "run_study"]

_NS_PER_HOUR = 3_600_000_000_000


@dataclass
class StudyResult:
    symbol: str
    start: datetime
    end: datetime
    horizon_hours: int
    decisions: int = 0
    triggers: list[tuple[datetime, Direction]] = field(default_factory=list)
    suppressed: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    hits: int = 0
    resolved: int = 0
    base_rate: float | None = None
    baseline_hit_rate: float | None = None

    def to_json(self) -> dict[str, Any]:
        ups = sum(1 for _, d in self.triggers if d is Direction.UP)
        return {
            "symbol": self.symbol,
            "start": format_utc(self.start),
            "end": format_utc(self.end),
            "horizon_hours": self.horizon_hours,
            "decisions": self.decisions,
            "triggers": len(self.triggers),
            "up_triggers": ups,
            "down_triggers": len(self.triggers) - ups,
            "resolved": self.resolved,
            "hits": self.hits,
            "hit_rate": self.hits / self.resolved if self.resolved else None,
            "base_rate": self.base_rate,
            "baseline_hit_rate": self.baseline_hit_rate,
            "suppressed": dict(sorted(self.suppressed.items())),
            "failed": dict(sorted(self.failed.items())),
        }


def run_study(
    *,
    symbol: str,
    start: datetime,
    end: datetime,
    market: MarketFeed,
    news: NewsFeed,
    scorer: SentimentScorer,
    engine: SignalEngine,
) -> StudyResult:
    """Evaluate every hour in ``[start, end]`` and resolve the triggers."""
    signal = engine.signal
    horizon = engine.horizon_hours
    features = signal.features
    warmup = timedelta(hours=max(features.vol_window_hours, features.trend_lookback_hours)
                       + 2 * features.min_bars)
    frames = market.bars([symbol], start=start - warmup, end=end + timedelta(hours=horizon),
                         timeframe=Timeframe.HOUR)
    bars = PreparedBars.from_frame(frames[symbol])
    lookback = timedelta(hours=signal.features.narrative_window_hours
                         + signal.narratives.novelty_lookback_hours)
    items = news.narratives([symbol], start=start - lookback, end=end)
    scores = scorer.score([n.headline for n in items]) if items else []
    prepared = prepare_narratives(items, scores, signal.narratives)

    result = StudyResult(symbol, start, end, horizon)
    prior: list[PriorTrigger] = []
    t = start
    step = timedelta(hours=signal.poll_hours)
    while t <= end:
        decided = engine.decide(symbol, t, bars, prepared, prior)
        outcome = decided.outcome
        result.decisions += 1
        if outcome.status is OutcomeStatus.TRIGGERED and outcome.direction is not None:
            result.triggers.append((t, outcome.direction))
            prior.append(PriorTrigger(symbol=symbol, direction=outcome.direction, as_of=t))
            prior = [p for p in prior if t - p.as_of < timedelta(days=14)]
        elif outcome.status is OutcomeStatus.SUPPRESSED:
            result.suppressed.update(outcome.reason_codes)
        elif outcome.status is OutcomeStatus.FAILED:
            result.failed.update(outcome.reason_codes)
        t += step
    _resolve(result, bars, horizon, step)
    return result


def _close_at(bars: PreparedBars, when_ns: np.ndarray) -> np.ndarray:
    """Close of the bar ending exactly at each time (NaN where there is none)."""
    idx = np.searchsorted(bars.end_ns, when_ns)
    idx_clip = np.minimum(idx, len(bars.end_ns) - 1)
    found = (idx < len(bars.end_ns)) & (bars.end_ns[idx_clip] == when_ns)
    return np.where(found, np.exp(bars.log_close[idx_clip]), np.nan)


def _resolve(result: StudyResult, bars: PreparedBars, horizon: int, step: timedelta) -> None:
    h_ns = horizon * _NS_PER_HOUR
    if result.triggers:
        times = np.array([_ns(t) for t, _ in result.triggers], dtype="int64")
        c0, c1 = _close_at(bars, times), _close_at(bars, times + h_ns)
        ok = np.isfinite(c0) & np.isfinite(c1)
        up = np.array([d is Direction.UP for _, d in result.triggers])
        hit = np.where(up, c1 > c0, c1 < c0) & ok
        result.resolved, result.hits = int(ok.sum()), int(hit.sum())
    grid = np.arange(_ns(result.start), _ns(result.end) + 1, int(step.total_seconds() * 1e9),
                     dtype="int64")
    g0, g1 = _close_at(bars, grid), _close_at(bars, grid + h_ns)
    valid = np.isfinite(g0) & np.isfinite(g1)
    if valid.any():
        base = float((g1[valid] > g0[valid]).mean())
        result.base_rate = base
        if result.triggers:
            ups = sum(1 for _, d in result.triggers if d is Direction.UP)
            downs = len(result.triggers) - ups
            result.baseline_hit_rate = (ups * base + downs * (1 - base)) / len(result.triggers)


def _ns(value: datetime) -> int:
    return int(value.timestamp()) * 1_000_000_000
