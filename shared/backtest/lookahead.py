"""The lookahead falsifier: prove that no decision at or before ``t`` reads anything after ``t``.

After freqtrade's lookahead-analysis: decide once on the real data, once on data whose future
(everything after ``t``) has been changed, and compare. A decision that reads only what was
available at its time cannot tell the two apart; one that peeks can.

At each sampled time ``t`` (seeded, reproducible; on and between bar closes) and for each
scenario, the feeds are wrapped (:class:`FutureBarsFeed`, :class:`FutureNewsFeed`, around any
:class:`~shared.providers.base.MarketFeed` / :class:`~shared.providers.base.NewsFeed`). The
wrappers also *over-deliver*: they return what the inner feed has up to ``end + overreach``,
as a careless feed would, so the pipeline's own point-in-time cut is what is tested, not the
inner feed's manners.

* ``future``: bars whose ``end`` is after ``t`` get permuted and rescaled prices (open, high,
  low and close together) and permuted, rescaled volumes; narratives fetched after ``t`` are
  altered (headlines replaced by strongly bullish or bearish ones, publication times shifted
  back to before ``t``) and new ones are invented (published before and after ``t``, all
  fetched after it).
* ``late``: nothing is changed except that narratives *published* before ``t`` but *fetched*
  after it are added: a decision must not count what it could not yet have seen.

Two paths are checked, both THE per-symbol decision: :func:`~shared.pipeline.decide_symbol`
at ``t`` (with the prior triggers the real walk made before ``t``), and the walk
(:func:`~shared.pipeline.fetch_period` + :func:`~shared.pipeline.walk`) over ``[start, t]``,
whose every step must equal the real walk's step at that time. Equal means: the decision's
state and reason code, every bot's envelope (divergence, each guard, sizing, cooldown), the
outcome and the forecast, field by field.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from shared.contracts import Narrative, OutcomeStatus, PriorTrigger, Timeframe
from shared.errors import ConfigError
from shared.pipeline import (
    Sources,
    SymbolDecision,
    SymbolJob,
    decide_symbol,
    fetch_period,
    prior_window,
    walk,
)
from shared.providers.base import MarketFeed, NewsFeed

__all__ = [
    "OVERREACH",
    "FutureBarsFeed",
    "FutureNewsFeed",
    "Leak",
    "MAX_LISTED",
    "LookaheadReport",
    "DecisionPath",
    "Scenario",
    "check_lookahead",
    "decision_differences",
    "sample_times",
]

OVERREACH = timedelta(days=3)
"""How far past the asked ``end`` the wrappers deliver (the future a leak could read)."""

MAX_LISTED = 500
"""At most this many leaks are listed in the report (``leak_count`` counts them all)."""

_PRICE_COLUMNS = ("open", "high", "low", "close")
_BULLISH = ("{s} soars to a record high as buyers pile in and analysts upgrade {w}",
            "{s} surges after blowout earnings beat and raised {w} guidance",
            "{s} rallies strongly on huge inflows, strong demand lifts {w}")
_BEARISH = ("{s} plunges as panic selling crushes prices and analysts downgrade {w}",
            "{s} crashes after fraud probe, massive losses hit {w} investors",
            "{s} collapses on bankruptcy fears, heavy selloff wipes out {w}")
_WORDS = ("outlook", "targets", "forecasts", "markets", "traders", "funds", "desks", "banks",
          "holders", "miners", "exchanges", "sentiment")


class Scenario(StrEnum):
    FUTURE = "future"  # bars ending after t and narratives fetched after t, changed
    LATE = "late"  # only: narratives published by t but fetched after t, added


class DecisionPath(StrEnum):
    DECIDE = "decide_symbol"
    WALK = "walk"


def _rng(seed: int, *parts: object) -> np.random.Generator:
    return np.random.default_rng([seed & 0xFFFFFFFF,
                                  *(zlib.crc32(str(p).encode()) for p in parts)])


class FutureBarsFeed:
    """A :class:`MarketFeed` around ``inner`` that delivers bars up to ``end + overreach``
    and, with ``perturb``, rescales and permutes every bar whose ``end`` is after ``cut``."""

    def __init__(self, inner: MarketFeed, cut: datetime, *, seed: int, perturb: bool = True,
                 overreach: timedelta = OVERREACH) -> None:
        self.inner, self.cut, self.seed = inner, cut, seed
        self.perturb, self.overreach = perturb, overreach
        self.name = inner.name

    def bars(self, symbols: Sequence[str], *, start: datetime, end: datetime,
             timeframe: Timeframe) -> dict[str, pd.DataFrame]:
        frames = self.inner.bars(symbols, start=start, end=end + self.overreach,
                                 timeframe=timeframe)
        if not self.perturb:
            return frames
        return {symbol: self._perturbed(symbol, frame) for symbol, frame in frames.items()}

    def _perturbed(self, symbol: str, frame: pd.DataFrame) -> pd.DataFrame:
        future = np.flatnonzero((frame["end"] > pd.Timestamp(self.cut)).to_numpy())
        if not len(future):
            return frame
        rng = _rng(self.seed, "bars", symbol, self.cut.isoformat())
        out = frame.copy()
        order = rng.permutation(len(future))
        scale = rng.uniform(0.5, 2.0, len(future))
        for column in _PRICE_COLUMNS:  # one factor per row keeps low <= open, close <= high
            values = out[column].to_numpy(dtype="float64", copy=True)
            values[future] = values[future][order] * scale
            out[column] = values
        volume = out["volume"].to_numpy(dtype="float64", copy=True)
        volume[future] = volume[future][rng.permutation(len(future))] * rng.uniform(
            0.0, 5.0, len(future))
        out["volume"] = volume
        return out


class FutureNewsFeed:
    """A :class:`NewsFeed` around ``inner``: see the module doc for what each scenario adds
    or changes; ``scenario=None`` passes the inner feed's answer through unchanged."""

    def __init__(self, inner: NewsFeed, cut: datetime, *, seed: int,
                 scenario: Scenario | None, overreach: timedelta = OVERREACH,
                 invented: int = 8) -> None:
        self.inner, self.cut, self.seed, self.scenario = inner, cut, seed, scenario
        self.overreach, self.invented = overreach, invented
        self.name = inner.name

    def narratives(self, symbols: Sequence[str], *, start: datetime, end: datetime
                   ) -> list[Narrative]:
        if self.scenario is None:
            return self.inner.narratives(symbols, start=start, end=end)
        rng = _rng(self.seed, "news", self.scenario.value, *symbols, self.cut.isoformat())
        if self.scenario is Scenario.LATE:
            items = list(self.inner.narratives(symbols, start=start, end=end))
            items += self._invent(rng, symbols, published=(self.cut - timedelta(hours=36),
                                                           self.cut))
        else:
            items = []
            for item in self.inner.narratives(symbols, start=start, end=end + self.overreach):
                items.append(item if item.fetched_at <= self.cut else self._alter(rng, item))
            items += self._invent(rng, symbols, published=(self.cut - timedelta(hours=36),
                                                           self.cut + self.overreach))
        items = [n for n in items if n.published_at >= start]
        return sorted(items, key=lambda n: (n.fetched_at, n.narrative_id))

    def _headline(self, rng: np.random.Generator, symbol: str) -> str:
        templates = _BULLISH if rng.random() < 0.5 else _BEARISH
        words = rng.choice(len(_WORDS), 2, replace=False)
        text = templates[int(rng.integers(len(templates)))].format(s=symbol,
                                                                   w=_WORDS[int(words[0])])
        return f"{text} and {_WORDS[int(words[1])]}"

    def _alter(self, rng: np.random.Generator, item: Narrative) -> Narrative:
        """A narrative fetched after the cut: a new, strongly toned headline, and often a
        publication time moved back to before the cut (fetched after it all the same)."""
        published = item.published_at
        if rng.random() < 0.5:
            published = self.cut - timedelta(minutes=int(rng.integers(1, 36 * 60)))
        return item.model_copy(update={
            "headline": self._headline(rng, item.symbols[0]),
            "summary": None,
            "published_at": min(published, item.fetched_at),
        })

    def _invent(self, rng: np.random.Generator, symbols: Sequence[str], *,
                published: tuple[datetime, datetime]) -> list[Narrative]:
        first, last = published
        span = max(int((last - first).total_seconds()), 1)
        out: list[Narrative] = []
        for i in range(self.invented):
            at = first + timedelta(seconds=int(rng.integers(span)))
            fetched = max(at, self.cut) + timedelta(minutes=int(rng.integers(1, 180)))
            symbol = symbols[i % len(symbols)] if symbols else "UNKNOWN"
            out.append(Narrative(
                narrative_id=f"lookahead-{self.scenario}-{self.cut:%Y%m%dT%H%M}-{i}",
                headline=self._headline(rng, symbol), source="lookahead.invented",
                symbols=(symbol,), published_at=at, fetched_at=fetched))
        return out


def perturbed_sources(sources: Sources, cut: datetime, scenario: Scenario, *,
                      seed: int) -> Sources:
    """``sources`` with both feeds wrapped for ``scenario`` at ``cut``."""
    return dataclasses.replace(
        sources,
        market=FutureBarsFeed(sources.market, cut, seed=seed,
                              perturb=scenario is Scenario.FUTURE),
        news=FutureNewsFeed(sources.news, cut, seed=seed, scenario=scenario),
    )


@dataclass(frozen=True)
class Leak:
    """One field of one decision that changed when only the future did."""

    time: datetime  # the sampled t
    decision_time: datetime  # the decision that changed (at or before t)
    path: DecisionPath
    scenario: Scenario
    bot: str  # a bot's name, "outcome", "forecast" or "decision"
    field: str

    def to_json(self) -> dict[str, str]:
        return {"time": _iso(self.time), "decision_time": _iso(self.decision_time),
                "path": self.path.value, "scenario": self.scenario.value, "bot": self.bot,
                "field": self.field}


@dataclass(frozen=True)
class SampleResult:
    time: datetime
    checked_decisions: int
    leaks: tuple[Leak, ...]

    def to_json(self) -> dict[str, Any]:
        differing: dict[str, set[str]] = {}
        for leak in self.leaks:
            differing.setdefault(leak.bot, set()).add(leak.field)
        return {"time": _iso(self.time), "checked_decisions": self.checked_decisions,
                "leaks": len(self.leaks),
                "differing": {bot: sorted(fields) for bot, fields in sorted(differing.items())}}


@dataclass(frozen=True)
class LookaheadReport:
    symbol: str
    start: datetime
    end: datetime
    seed: int
    results: tuple[SampleResult, ...]
    bots: tuple[str, ...] = ()  # every bot whose envelope was compared
    statuses: tuple[tuple[str, int], ...] = ()  # the real walk's outcomes, by status

    @property
    def leaks(self) -> tuple[Leak, ...]:
        return tuple(leak for result in self.results for leak in result.leaks)

    @property
    def checked_decisions(self) -> int:
        return sum(result.checked_decisions for result in self.results)

    @property
    def ok(self) -> bool:
        return not self.leaks

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol, "start": _iso(self.start), "end": _iso(self.end),
            "seed": self.seed, "samples": len(self.results),
            "sample_times": [_iso(r.time) for r in self.results],
            "scenarios": [s.value for s in Scenario], "paths": [p.value for p in DecisionPath],
            "checked_decisions": self.checked_decisions,
            "bots_checked": list(self.bots), "walk_outcomes": dict(self.statuses),
            "leak_count": len(self.leaks),
            # The first MAX_LISTED (a real leak repeats at every step after it).
            "leaks": [leak.to_json() for leak in self.leaks[:MAX_LISTED]],
            "per_sample": [r.to_json() for r in self.results],
            "ok": self.ok,
        }


def sample_times(start: datetime, end: datetime, samples: int, seed: int) -> list[datetime]:
    """``samples`` distinct decision times in ``[start, end]``, seeded: whole hours from
    ``start``, about half of them moved a few minutes past (between two bar closes)."""
    hours = int((end - start) // timedelta(hours=1))
    if samples < 1 or hours + 1 < samples:
        raise ConfigError(f"cannot sample {samples} decision times from {hours + 1} hours "
                          f"between {_iso(start)} and {_iso(end)}")
    rng = _rng(seed, "times")
    picked = sorted(int(h) for h in rng.choice(hours + 1, samples, replace=False))
    minutes = rng.integers(1, 60, samples)
    between = rng.random(samples) < 0.5
    return [start + timedelta(hours=h, minutes=int(m) if off and h < hours else 0)
            for h, m, off in zip(picked, minutes, between, strict=True)]


def decision_differences(base: SymbolDecision, other: SymbolDecision
                         ) -> list[tuple[str, str]]:
    """``(bot, field)`` for every field that differs between two decisions (empty: equal)."""
    out: list[tuple[str, str]] = []
    for name in ("state", "reason_code"):
        if getattr(base, name) != getattr(other, name):
            out.append(("decision", name))
    a, b = base.decided, other.decided
    if a is None or b is None:
        if (a is None) != (b is None):
            out.append(("decision", "decided"))
        return out
    out += [("outcome", f) for f in _fields(a.outcome, b.outcome)]
    if (a.forecast is None) != (b.forecast is None):
        out.append(("forecast", "present"))
    elif a.forecast is not None and b.forecast is not None:
        out += [("forecast", f) for f in _fields(a.forecast, b.forecast)]
    left = {e.bot: e for e in a.envelopes}
    right = {e.bot: e for e in b.envelopes}
    if [e.bot for e in a.envelopes] != [e.bot for e in b.envelopes]:
        out.append(("decision", "envelope_order"))
    for bot in sorted(left.keys() | right.keys()):
        if bot not in left or bot not in right:
            out.append((bot, "envelope"))
        else:
            out += [(bot, f) for f in _fields(left[bot], right[bot])]
    return out


def check_lookahead(job: SymbolJob, sources: Sources, *, start: datetime, end: datetime,
                    samples: int = 20, seed: int = 7) -> LookaheadReport:
    """Sample decision times in ``[start, end]`` and check both paths under every scenario
    (see the module doc). Raises :class:`~shared.errors.PipelineError` when the real data
    cannot cover the period."""
    times = sample_times(start, end, samples, seed)
    grid = list(_hours(start, end))
    base_period = fetch_period(job, start, end, sources)
    base_steps = {step.as_of: step.decision for step in walk(job, grid, base_period)}
    triggers = _triggers(job, base_steps)
    window = prior_window(job.engine.bots)
    results = []
    for t in times:
        leaks: list[Leak] = []
        checked = 0
        prior = tuple(p for p in triggers if t - window <= p.as_of < t)
        at_t = dataclasses.replace(job, prior_triggers=(*job.prior_triggers, *prior))
        base = decide_symbol(at_t, t, sources)
        steps = [s for s in grid if s <= t]
        for scenario in Scenario:
            changed = perturbed_sources(sources, t, scenario, seed=seed)
            other = decide_symbol(at_t, t, changed)
            checked += 1
            leaks += [Leak(t, t, DecisionPath.DECIDE, scenario, bot, f)
                      for bot, f in decision_differences(base, other)]
            period = fetch_period(job, start, t, changed)
            for step in walk(job, steps, period):
                checked += 1
                leaks += [Leak(t, step.as_of, DecisionPath.WALK, scenario, bot, f)
                          for bot, f in decision_differences(base_steps[step.as_of],
                                                             step.decision)]
        results.append(SampleResult(t, checked, tuple(leaks)))
    bots = sorted({e.bot for d in base_steps.values() if d.decided is not None
                   for e in d.decided.envelopes})
    statuses: dict[str, int] = {}
    for d in base_steps.values():
        key = d.decided.outcome.status.value if d.decided is not None else d.state.value
        statuses[key] = statuses.get(key, 0) + 1
    return LookaheadReport(job.symbol, start, end, seed, tuple(results), tuple(bots),
                           tuple(sorted(statuses.items())))


def _triggers(job: SymbolJob, steps: dict[datetime, SymbolDecision]) -> list[PriorTrigger]:
    out = []
    for t, decision in steps.items():
        outcome = decision.decided.outcome if decision.decided is not None else None
        if (outcome is not None and outcome.status is OutcomeStatus.TRIGGERED
                and outcome.direction is not None):
            out.append(PriorTrigger(symbol=job.symbol, direction=outcome.direction, as_of=t))
    return out


def _hours(start: datetime, end: datetime) -> Iterator[datetime]:
    t = start
    while t <= end:
        yield t
        t += timedelta(hours=1)


def _fields(a: Any, b: Any) -> list[str]:
    return [name for name in type(a).model_fields if getattr(a, name) != getattr(b, name)]


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
