"""The per-symbol decision walked over time: fetch a period once, then decide at every time
in it exactly as a scheduled run at that time would have.

At each ``t`` the decision (:func:`~shared.pipeline.decide.decide_at`) sees bars closed by
``t`` and headlines published and fetched by ``t`` (novelty, too, is computed in fetch order),
with the same session check and freshness rule as :func:`~shared.pipeline.decide_symbol`.
Triggers the walk makes are carried forward as the prior triggers of later times, over the
same window a run reads from committed artifacts (:func:`~shared.pipeline.prior_window`).
Used by ``tb study`` and the bots' recorded timelines (and, later, the backtest and the paper
trader).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.contracts import (
    Narrative,
    OutcomeStatus,
    PriorTrigger,
    SentimentScore,
    validate_bars_frame,
)
from shared.errors import ConfigError
from shared.features.signal import (
    PreparedBars,
    PreparedNarratives,
    epoch_ns,
    prepare_narratives,
)
from shared.pipeline.decide import (
    SymbolDecision,
    SymbolJob,
    _check,
    _Halt,
    _score,
    decide_at,
    news_window,
    prior_window,
)
from shared.pipeline.sources import HealthEvent, Sources
from shared.universe.polymarket import mentions

__all__ = ["Period", "WalkStep", "fetch_period", "walk"]


@dataclass(frozen=True)
class Period:
    """A symbol's inputs for a whole period, prepared once."""

    bars: PreparedBars
    news: PreparedNarratives
    narratives: tuple[Narrative, ...]
    scores: tuple[SentimentScore, ...]
    events: tuple[HealthEvent, ...]


@dataclass(frozen=True)
class WalkStep:
    as_of: datetime
    decision: SymbolDecision


def fetch_period(job: SymbolJob, start: datetime, end: datetime, sources: Sources, *,
                 bars_until: datetime | None = None) -> Period:
    """Fetch and prepare what decisions in ``[start, end]`` may read: bars from the job's
    history before ``start`` (to ``bars_until``, default ``end``: a study reads later bars
    to resolve its calls, never to decide), headlines from the news window before ``start``.

    Raises :class:`~shared.errors.PipelineError` when the period cannot be read at all."""
    symbol = job.symbol
    first = start - timedelta(hours=job.history_hours)
    frames = sources.market.bars([symbol], start=first, end=bars_until or end,
                                 timeframe=job.timeframe)
    frame = frames.get(symbol)
    if frame is None or not len(frame):
        raise ConfigError(f"no bars for {symbol} between {first:%Y-%m-%dT%H:%MZ} and "
                          f"{(bars_until or end):%Y-%m-%dT%H:%MZ}: the data does not cover "
                          "the period")
    bars = PreparedBars.from_frame(validate_bars_frame(frame, symbol=symbol))
    items = sources.news.narratives([symbol], start=start - news_window(job.signal), end=end)
    terms = job.match_terms
    matching = [n for n in items
                if terms is None or symbol in n.symbols or mentions(n.headline, terms)]
    events: list[HealthEvent] = []
    try:
        narratives, scores = _score(sources, matching, events)
    except _Halt as halt:
        raise halt.__cause__ or ConfigError(halt.detail) from halt
    checks = _check(sources, narratives, events)
    news = prepare_narratives(narratives, scores, job.signal.narratives,
                              list(checks) if checks is not None else None)
    return Period(bars, news, tuple(narratives), tuple(scores), tuple(events))


def walk(job: SymbolJob, times: Iterable[datetime], period: Period) -> Iterator[WalkStep]:
    """Decide at each time (ascending), carrying the walk's own triggers forward.

    The narrative features of all the times are computed first, in one pass over the
    period's headlines (each decision then reads its own; see
    :meth:`~shared.features.signal.PreparedNarratives.precompute`)."""
    times = list(times)
    period.news.precompute([epoch_ns(t) for t in times], job.signal.features)
    window = prior_window(job.engine.bots)
    prior: list[PriorTrigger] = list(job.prior_triggers)
    for t in times:
        visible = [p for p in prior if t - window <= p.as_of < t]
        decision = decide_at(job, t, period.bars, period.news, visible)
        yield WalkStep(t, decision)
        decided = decision.decided  # its status and direction: no records are built here
        if (decided is not None and decided.status is OutcomeStatus.TRIGGERED
                and decided.direction is not None):
            prior.append(PriorTrigger(symbol=job.symbol, direction=decided.direction, as_of=t))
            prior = [p for p in prior if t - p.as_of < window]
