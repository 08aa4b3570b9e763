"""The calls a walk makes, resolved at their horizon, and the per-poll timeline they are
scored (and block-bootstrapped) on.

Decisions come from the one decision path (:func:`shared.pipeline.walk`) with candidate
parameters applied to the job's config (:func:`job_with`): nothing here decides. A call
*hits* when the close ``horizon`` after it is on its side of the close at the call; the
base rate is the share of polls in the same span whose close ``horizon`` later is higher.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from shared.bots.registry import BOTS
from shared.contracts import Direction, OutcomeStatus
from shared.errors import ConfigError
from shared.features.signal import PreparedBars
from shared.pipeline import Period, SymbolJob, prior_window, walk
from shared.signal.config import BotSettings
from shared.signal.engine import SignalEngine

__all__ = ["Call", "Overrides", "Segment", "job_with", "poll_times", "resolve_segment",
           "Triggered", "walk_segments"]

Overrides = Mapping[str, Mapping[str, float]]
"""Candidate parameters: ``{bot name: {parameter: value}}`` over the job's config."""

_NS_PER_HOUR = 3_600_000_000_000


@dataclass(frozen=True)
class Call:
    """One triggered decision, resolved (``up`` is None when the horizon is past the data)."""

    symbol: str
    as_of: datetime
    direction: int  # +1 up, -1 down
    p_up: float
    divergence: float
    target_size: float | None
    up: bool | None
    log_return: float | None

    @property
    def hit(self) -> bool | None:
        if self.up is None or self.log_return is None:
            return None
        return self.log_return > 0 if self.direction > 0 else self.log_return < 0


class Triggered(NamedTuple):
    """A triggered decision before resolution."""

    as_of: datetime
    direction: int  # +1 up, -1 down
    p_up: float
    divergence: float
    target_size: float | None


@dataclass(frozen=True)
class Segment:
    """The polls of ``[start, end)`` for one symbol: its calls and, per poll, whether the
    close ``horizon`` later is known and higher (the base rate's sample)."""

    symbol: str
    start: datetime
    end: datetime
    horizon_hours: int
    times_ns: npt.NDArray[np.int64]
    base_valid: npt.NDArray[np.bool_]
    base_up: npt.NDArray[np.bool_]
    calls: tuple[Call, ...]


def job_with(job: SymbolJob, overrides: Overrides) -> SymbolJob:
    """The job with candidate parameters applied to its bots' config (validated by each
    bot's config model, so a candidate outside a bound is a ConfigError, never a run)."""
    if not overrides:
        return job
    current = job.engine.bots.bots
    merged = dict(current)
    for name, params in overrides.items():
        if name not in BOTS:
            raise ConfigError(f"unknown bot {name!r} in the candidate parameters")
        mode, config = current[name]
        try:
            merged[name] = (mode, type(config).model_validate(
                {**config.model_dump(), **dict(params)}))
        except ValidationError as e:
            raise ConfigError(f"bot {name}: candidate parameters rejected: "
                              f"{str(e).splitlines()[0]}") from e
    engine = SignalEngine(job.signal, BotSettings(bots=merged), job.engine.registry)
    return dataclasses.replace(job, engine=engine)


def poll_times(job: SymbolJob, start: datetime, end: datetime) -> Iterator[datetime]:
    """The decision times of ``[start, end)``: one per poll."""
    step = timedelta(hours=job.signal.poll_hours)
    return itertools.takewhile(lambda t: t < end, (start + i * step for i in itertools.count()))


def walk_segments(job: SymbolJob, period: Period, bounds: Sequence[datetime],
                  *, warmup: bool = True, resolve_by: datetime | None = None
                  ) -> Iterator[Segment]:
    """Walk ``[bounds[0], bounds[-1])`` once and yield one resolved segment per pair of
    consecutive bounds, as soon as it is walked (a tuner can stop early). With ``warmup``
    the walk starts one prior window (the cooldown) early, so the first segment sees the
    triggers a continuous run would have carried in; the warm-up decisions are not scored.
    With ``resolve_by``, an outcome whose horizon ends after it stays unresolved (an
    in-sample score must not read the out-of-sample bars)."""
    if len(bounds) < 2:
        return
    first = bounds[0] - (prior_window(job.engine.bots) if warmup else timedelta(0))
    horizon = job.engine.horizon_hours
    steps = walk(job, poll_times(job, first, bounds[-1]), period)
    pending = None
    for lo, hi in itertools.pairwise(bounds):
        calls: list[Triggered] = []
        while True:
            step = pending if pending is not None else next(steps, None)
            pending = None
            if step is None:
                break
            if step.as_of >= hi:
                pending = step
                break
            if step.as_of < lo:
                continue
            decided = step.decision.decided
            outcome = decided.outcome if decided is not None else None
            if (outcome is not None and outcome.status is OutcomeStatus.TRIGGERED
                    and outcome.direction is not None and outcome.p_up is not None):
                calls.append(Triggered(step.as_of, 1 if outcome.direction is Direction.UP
                                       else -1, float(outcome.p_up),
                                       float(outcome.divergence or 0.0), outcome.target_size))
        yield resolve_segment(job, period.bars, lo, hi, horizon, calls, resolve_by=resolve_by)


def resolve_segment(job: SymbolJob, bars: PreparedBars, start: datetime, end: datetime,
             horizon: int, triggered: Sequence[Triggered], *,
                    resolve_by: datetime | None = None) -> Segment:
    """Resolve calls against the closes ``horizon`` later, with the polls' base-rate sample."""
    times = np.array([_ns(t) for t in poll_times(job, start, end)], dtype=np.int64)
    h_ns = horizon * _NS_PER_HOUR
    c0, c1 = _close_at(bars, times), _close_at(bars, times + h_ns)
    valid = np.isfinite(c0) & np.isfinite(c1)
    if resolve_by is not None:
        valid &= times + h_ns <= _ns(resolve_by)
    calls = []
    for as_of, direction, p_up, divergence, size in triggered:
        a, b = _close_at(bars, np.array([_ns(as_of), _ns(as_of) + h_ns], dtype=np.int64))
        known = math.isfinite(a) and math.isfinite(b) and (
            resolve_by is None or as_of + timedelta(hours=horizon) <= resolve_by)
        calls.append(Call(
            symbol=job.symbol, as_of=as_of, direction=direction, p_up=p_up,
            divergence=divergence, target_size=size,
            up=bool(b > a) if known else None,
            log_return=float(math.log(b / a)) if known else None))
    return Segment(job.symbol, start, end, horizon, times, valid,
                   np.where(valid, c1 > c0, False), tuple(calls))


def _close_at(bars: PreparedBars, when_ns: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Close of the bar ending exactly at each time (NaN where there is none)."""
    if not len(bars.end_ns):
        return np.full(len(when_ns), np.nan)
    idx = np.searchsorted(bars.end_ns, when_ns)
    idx_clip = np.minimum(idx, len(bars.end_ns) - 1)
    found = (idx < len(bars.end_ns)) & (bars.end_ns[idx_clip] == when_ns)
    out: npt.NDArray[np.float64] = np.where(found, np.exp(bars.log_close[idx_clip]), np.nan)
    return out


def _ns(value: datetime) -> int:
    return int(value.timestamp()) * 1_000_000_000
