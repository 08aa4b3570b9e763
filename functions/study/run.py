"""Run the signal over every hourly bar in a period and measure its triggers.

The decisions are the pipeline's walk (:mod:`shared.pipeline.walk`): at each hour ``t`` the
same per-symbol decision as a live run at ``t``, on bars closed by ``t`` and headlines
published and fetched by ``t``, with the same freshness rule (a gap in the data is a
``DATA_STALE`` failure, not a decision on old prices). Triggers feed the cooldown of later
hours over the window a run reads from committed artifacts.
A trigger *hits* when the close at ``t + horizon`` is on its side of the close at ``t``.

``base_rate`` is the share of hours in the period whose close ``horizon`` later is higher;
``baseline_hit_rate`` is the hit rate a coin with that base rate would score on the same
directions (``base_rate`` for up calls, ``1 - base_rate`` for down calls): the number a
trigger hit rate has to beat.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from shared.contracts import Direction, OutcomeStatus, Timeframe, format_utc
from shared.features.signal import PreparedBars
from shared.pipeline import Sources, SymbolJob, fetch_period, walk
from shared.pipeline.decide import max_bar_age

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


def run_study(job: SymbolJob, *, start: datetime, end: datetime,
              sources: Sources) -> StudyResult:
    """Decide at every poll in ``[start, end]`` (the pipeline's walk) and resolve the
    triggers against the closes ``horizon`` later."""
    engine = job.engine
    horizon = engine.horizon_hours
    step = timedelta(hours=job.signal.poll_hours)
    period = fetch_period(job, start, end, sources,
                          bars_until=end + timedelta(hours=horizon))
    result = StudyResult(job.symbol, start, end, horizon)
    times = itertools.takewhile(lambda t: t <= end,
                                (start + i * step for i in itertools.count()))
    for walked in walk(job, times, period):
        decision = walked.decision
        result.decisions += 1
        if decision.decided is None:  # stale: not decided, counted with the failures
            result.failed.update((decision.reason_code,))
            continue
        decided = decision.decided  # the outcome's status, direction and codes (not built)
        if decided.status is OutcomeStatus.TRIGGERED and decided.direction is not None:
            result.triggers.append((walked.as_of, decided.direction))
        elif decided.status is OutcomeStatus.SUPPRESSED:
            result.suppressed.update(decided.reason_codes)
        elif decided.status is OutcomeStatus.FAILED:
            result.failed.update(decided.reason_codes)
    # Intraday bars end on the poll grid: a close counts only at its bar's exact end. Daily
    # bars end at a session's close, off the grid: the close known at t is the newest one
    # closed by t, within the freshness limit (the same age a decision accepts).
    within_ns = (int(max_bar_age(job).total_seconds()) * 1_000_000_000
                 if job.timeframe is Timeframe.DAY else 0)
    _resolve(result, period.bars, horizon, step, within_ns=within_ns)
    return result


def _close_at(bars: PreparedBars, when_ns: np.ndarray, within_ns: int = 0) -> np.ndarray:
    """Close of the newest bar ending at or before each time and at most ``within_ns``
    before it (0: ending exactly then); NaN where there is none."""
    idx = np.searchsorted(bars.end_ns, when_ns, side="right") - 1
    idx_clip = np.maximum(idx, 0)
    ends = bars.end_ns[idx_clip]
    found = (idx >= 0) & (ends <= when_ns) & (ends >= when_ns - within_ns)
    return np.where(found, np.exp(bars.log_close[idx_clip]), np.nan)


def _resolve(result: StudyResult, bars: PreparedBars, horizon: int, step: timedelta, *,
             within_ns: int = 0) -> None:
    h_ns = horizon * _NS_PER_HOUR
    if result.triggers:
        times = np.array([_ns(t) for t, _ in result.triggers], dtype="int64")
        c0 = _close_at(bars, times, within_ns)
        c1 = _close_at(bars, times + h_ns, within_ns)
        ok = np.isfinite(c0) & np.isfinite(c1)
        up = np.array([d is Direction.UP for _, d in result.triggers])
        hit = np.where(up, c1 > c0, c1 < c0) & ok
        result.resolved, result.hits = int(ok.sum()), int(hit.sum())
    grid = np.arange(_ns(result.start), _ns(result.end) + 1, int(step.total_seconds() * 1e9),
                     dtype="int64")
    g0, g1 = _close_at(bars, grid, within_ns), _close_at(bars, grid + h_ns, within_ns)
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
