"""Per-stage health from its runs and its schedule: last run and age, missed runs, degraded
ratios and streak. Shared by ``tb check`` and ``tb status`` so both say the same thing.

Missed runs: GitHub Actions cron is best-effort (runs start late, sometimes by an hour, and
are dropped under load), so a fire time ``f`` counts as run when a run's ``as_of`` falls in
``[f - lead, f + grace]`` (``lead``, default 20 min, covers an offline as-of floored to the
hour before a ``:17`` cron; ``grace``, default 90 min, covers a late start), each run covering
one fire (earliest first), and fires newer than ``now - grace`` are not due yet. Both are
capped by the schedule's period (lead at a third, lead + grace under one period) so that one
run never stands for two fires: on an hourly schedule a run more than 39 minutes late counts
as a miss. Only fires after the stage's first run seen are counted (that run covers its own),
so a fresh fork is not "missing" its history. Thresholds come from the environment
(:class:`MonitorSettings`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.monitor.schedules import Schedule
from shared.monitor.series import RunPoint

__all__ = ["MonitorSettings", "StageHealth", "missed_fires", "stage_health"]

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None
    if value < 0:
        raise ValueError(f"{name}={text!r} must be >= 0")
    return value


@dataclass(frozen=True)
class MonitorSettings:
    """The thresholds, each tunable from the environment (names in :meth:`from_env`)."""

    degraded_budget: float = 0.01  # the roadmap's < 1% of runs degraded
    cron_grace: timedelta = timedelta(minutes=90)
    cron_lead: timedelta = timedelta(minutes=20)
    missed_max: int = 0
    heartbeat_periods: float = 2.0
    trend_window: int = 7
    trend_drop: float = 0.10
    trend_min_n: int = 30

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MonitorSettings:
        """``TB_DEGRADED_BUDGET``, ``TB_CHECK_CRON_GRACE_MINS``, ``TB_CHECK_CRON_LEAD_MINS``,
        ``TB_CHECK_MISSED_MAX``, ``TB_CHECK_HEARTBEAT_PERIODS``, ``TB_CHECK_TREND_WINDOW``,
        ``TB_CHECK_TREND_DROP``, ``TB_CHECK_TREND_MIN_N``; ValueError names a bad one."""
        env = os.environ if environ is None else environ
        base = cls()
        return cls(
            degraded_budget=_number(env, "TB_DEGRADED_BUDGET", base.degraded_budget),
            cron_grace=timedelta(minutes=_number(env, "TB_CHECK_CRON_GRACE_MINS", 90)),
            cron_lead=timedelta(minutes=_number(env, "TB_CHECK_CRON_LEAD_MINS", 20)),
            missed_max=int(_number(env, "TB_CHECK_MISSED_MAX", base.missed_max)),
            heartbeat_periods=_number(env, "TB_CHECK_HEARTBEAT_PERIODS",
                                      base.heartbeat_periods),
            trend_window=max(1, int(_number(env, "TB_CHECK_TREND_WINDOW", base.trend_window))),
            trend_drop=_number(env, "TB_CHECK_TREND_DROP", base.trend_drop),
            trend_min_n=int(_number(env, "TB_CHECK_TREND_MIN_N", base.trend_min_n)),
        )


def missed_fires(schedule: Schedule, runs: Sequence[RunPoint], *, now: datetime,
                 window: timedelta, settings: MonitorSettings) -> list[datetime]:
    """The fire times in the window (after the first run seen) that no run covers."""
    period = schedule.period
    if not schedule.crons or not runs or period is None:
        return []
    # A window must not reach the next fire, or one run could stand for two fires.
    lead = min(settings.cron_lead, period / 3)
    grace = min(settings.cron_grace, period - lead - timedelta(minutes=1))
    # The first run seen covers its own fire (whether its as-of is floored before the fire
    # or after it): fires are counted from ``lead`` after it, and matched with later runs.
    start = max(now - window, runs[0].as_of + lead)
    due_by = now - grace
    fires = sorted({t for cron in schedule.crons for t in cron.fires(start, due_by)})
    times = sorted(p.as_of for p in runs if p.as_of > start - lead)
    missed: list[datetime] = []
    k = 0
    for fire in fires:  # earliest run first: the most fires a set of runs can account for
        while k < len(times) and times[k] < fire - lead:
            k += 1  # a run too early for this fire (or one already used) covers nothing
        if k < len(times) and times[k] <= fire + grace:
            k += 1
        else:
            missed.append(fire)
    return missed


def _ratio(runs: Sequence[RunPoint], since: datetime) -> tuple[float | None, int, int]:
    window = [p for p in runs if p.as_of > since]
    bad = sum(1 for p in window if p.degraded)
    return (bad / len(window) if window else None), bad, len(window)


@dataclass(frozen=True)
class StageHealth:
    """One stage, as ``tb status`` shows it and ``tb check`` judges it."""

    stage: str
    last_run: datetime | None
    age_s: float | None
    runs_24h: int
    degraded_24h: int
    degraded_ratio_24h: float | None
    runs_7d: int
    degraded_7d: int
    degraded_ratio_7d: float | None
    degraded_streak: int
    missed_runs: int
    missed_times: tuple[datetime, ...]
    schedule: tuple[str, ...]
    period_s: float | None
    schedule_problem: str | None

    def as_json(self) -> dict[str, object]:
        """Plain JSON (times as ISO-8601 ``Z``)."""
        def stamp(t: datetime | None) -> str | None:
            return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "last_run": stamp(self.last_run), "age_s": self.age_s,
            "runs_24h": self.runs_24h, "degraded_24h": self.degraded_24h,
            "degraded_ratio_24h": self.degraded_ratio_24h, "runs_7d": self.runs_7d,
            "degraded_7d": self.degraded_7d, "degraded_ratio_7d": self.degraded_ratio_7d,
            "degraded_streak": self.degraded_streak, "missed_runs": self.missed_runs,
            "missed_times": [stamp(t) for t in self.missed_times],
            "schedule": list(self.schedule), "period_s": self.period_s,
            "schedule_problem": self.schedule_problem,
        }


def stage_health(stage: str, runs: Sequence[RunPoint], schedule: Schedule | None, *,
                 now: datetime, settings: MonitorSettings) -> StageHealth:
    """The health of one stage at ``now`` (missed runs over the last 7 days)."""
    last = runs[-1].as_of if runs else None
    ratio_24h, bad_24h, n_24h = _ratio(runs, now - DAY)
    ratio_7d, bad_7d, n_7d = _ratio(runs, now - WEEK)
    streak = 0
    for point in reversed(runs):
        if not point.degraded:
            break
        streak += 1
    missed = (missed_fires(schedule, runs, now=now, window=WEEK, settings=settings)
              if schedule is not None else [])
    period = schedule.period if schedule is not None else None
    return StageHealth(
        stage=stage, last_run=last,
        age_s=None if last is None else round((now - last).total_seconds(), 3),
        runs_24h=n_24h, degraded_24h=bad_24h, degraded_ratio_24h=ratio_24h,
        runs_7d=n_7d, degraded_7d=bad_7d, degraded_ratio_7d=ratio_7d,
        degraded_streak=streak, missed_runs=len(missed), missed_times=tuple(missed),
        schedule=tuple(c.text for c in schedule.crons) if schedule is not None else (),
        period_s=None if period is None else period.total_seconds(),
        schedule_problem=schedule.problem if schedule is not None else None,
    )
