"""The per-symbol decision: session → fetch bars → point-in-time cut → freshness → fetch news
→ score (with fallback) → LLM check → decide.

:func:`decide_symbol` is the one place this happens. It fetches for one decision time;
:func:`~shared.pipeline.walk` fetches a period once and asks :func:`decide_at` for every time
in it, which applies the very same cut, freshness rule and engine call. Nothing here writes
files or reads a clock.

Failures are values, never exceptions: a provider error, bars that break the contract or a
feed with nothing for the symbol end in a ``FAILED`` decision whose reason codes say why,
with the provider's :class:`HealthEvent` beside it. A provider failure's codes are always
``PROVIDER_ERROR`` first, then the provider's own code (``PROVIDER_TRANSIENT``, ...).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import pandas as pd

from shared.contracts import (
    Narrative,
    PriorTrigger,
    SentimentScore,
    Timeframe,
    validate_bars_frame,
)
from shared.errors import ConfigError, ContractViolation, PipelineError, ProviderError
from shared.features.signal import (
    PreparedBars,
    PreparedNarratives,
    epoch_ns,
    prepare_narratives,
)
from shared.pipeline.sources import EventKind, HealthEvent, Sources
from shared.sentiment.base import SentimentScorer
from shared.signal.config import BotSettings, SignalConfig
from shared.signal.engine import Decided, SignalEngine
from shared.universe.calendars import SessionState, trading_hours
from shared.universe.polymarket import mentions

__all__ = [
    "DecisionState",
    "SymbolDecision",
    "SymbolJob",
    "decide_at",
    "decide_symbol",
    "max_bar_age",
    "news_window",
    "prior_window",
]

logger = logging.getLogger(__name__)

_SESSION_CODES = {SessionState.CLOSED: ("DATA_MARKET_CLOSED", "the exchange is closed"),
                  SessionState.OPENING: ("DATA_SESSION_OPENING",
                                         "no bar of this session has closed yet")}
STALE_DETAIL = "the newest closed bar is older than the freshness limit"


def news_window(signal: SignalConfig) -> timedelta:
    """How far back a decision reads headlines: the narrative window plus the novelty
    lookback (novelty compares a headline with the ones before it)."""
    return timedelta(hours=signal.features.narrative_window_hours
                     + signal.narratives.novelty_lookback_hours)


def prior_window(bots: BotSettings) -> timedelta:
    """How far back a decision sees earlier triggers (the cooldown's window): the same for a
    run reading committed artifacts and for a walk carrying its own triggers forward."""
    return timedelta(hours=bots.cooldown.cooldown_hours)


@dataclass(frozen=True)
class SymbolJob:
    """One symbol with its effective config.

    ``match_terms``: when set, a headline counts for the symbol only if the feed tagged it
    with the symbol or it mentions one of the terms (the universe's shared news); ``None``
    trusts the feed's own selection (the tracer asks a per-symbol feed)."""

    symbol: str
    signal: SignalConfig
    engine: SignalEngine
    history_hours: int
    max_bar_age_hours: int
    calendar: str | None = None
    prior_triggers: tuple[PriorTrigger, ...] = ()
    match_terms: tuple[str, ...] | None = None
    timeframe: Timeframe = Timeframe.HOUR  # the bars asked for; freshness scales with it


class DecisionState(StrEnum):
    DECIDED = "decided"  # the engine decided (its outcome may still be a failure of its own)
    STALE = "stale"  # not decided: the session is closed or the data is too old
    FAILED = "failed"  # not decided: a provider or the data failed


@dataclass(frozen=True)
class SymbolDecision:
    """What one symbol's decision saw and decided.

    ``decided`` is the engine's decision; for ``FAILED`` its failure outcome (first code =
    ``reason_code``), so a failure has an envelope; ``None`` for ``STALE``, which is not a
    decision at all (the stage says how it shows one)."""

    symbol: str
    as_of: datetime
    state: DecisionState
    decided: Decided | None
    reason_code: str = ""
    detail: str = ""
    bars: pd.DataFrame | None = None  # validated, closed by as_of
    narratives: tuple[Narrative, ...] | None = None  # published and fetched by as_of
    scores: tuple[SentimentScore, ...] = ()
    checks: tuple[SentimentScore | None, ...] | None = None
    prepared_bars: PreparedBars | None = None
    prepared_news: PreparedNarratives | None = None
    events: tuple[HealthEvent, ...] = ()


class _Halt(Exception):
    # Internal: a step could not go on. ``detail`` may quote the error; the envelope's
    # ``rationale`` is fixed text when the error's own words vary (a replay of the run must
    # give the same envelope as the run).
    def __init__(self, state: DecisionState, code: str, detail: str,
                 rationale: str | None = None) -> None:
        super().__init__(detail)
        self.state, self.code, self.detail = state, code, detail
        self.rationale = rationale or detail


def decide_symbol(job: SymbolJob, as_of: datetime, sources: Sources) -> SymbolDecision:
    """Decide ``job.symbol`` at ``as_of`` from what ``sources`` answer. Never raises for a
    provider or data problem (see the module doc)."""
    events: list[HealthEvent] = []
    bars: pd.DataFrame | None = None
    narratives: list[Narrative] | None = None
    scores: list[SentimentScore] = []
    try:
        _check_session(job, as_of)
        bars = _fetch_bars(job, as_of, sources, events)
        _check_fresh(job, as_of, _newest_end(bars))
        narratives = _fetch_narratives(job, as_of, sources, events)
        narratives, scores = _score(sources, narratives, events)
    except _Halt as halt:
        return _halted(job, as_of, halt, events, bars=bars, narratives=narratives)
    checks = _check(sources, narratives, events)
    prepared_bars = PreparedBars.from_frame(bars)
    prepared_news = prepare_narratives(narratives, scores, job.signal.narratives,
                                       list(checks) if checks is not None else None)
    decided = _engine_decision(job, as_of, prepared_bars, prepared_news, job.prior_triggers)
    return dataclasses.replace(decided, bars=bars, narratives=tuple(narratives),
                               scores=tuple(scores), checks=checks, events=tuple(events))


def decide_at(job: SymbolJob, as_of: datetime, bars: PreparedBars, news: PreparedNarratives,
              prior_triggers: Sequence[PriorTrigger]) -> SymbolDecision:
    """Decide at ``as_of`` on inputs fetched for a whole period (the walk): the bars
    :func:`decide_symbol` would have fetched (the job's history, closed by ``as_of``), the
    same session check, freshness rule and engine call; headlines are cut by the prepared
    arrays themselves (published and fetched by ``as_of``)."""
    bars = bars.between(as_of - timedelta(hours=job.history_hours), as_of)
    available = bars.available(as_of)
    newest = int(bars.end_ns[available - 1]) if available else None
    try:
        _check_session(job, as_of)
        _check_fresh(job, as_of, newest)
    except _Halt as halt:
        return _halted(job, as_of, halt, [])
    return _engine_decision(job, as_of, bars, news, prior_triggers)


def _engine_decision(job: SymbolJob, as_of: datetime, bars: PreparedBars,
                     news: PreparedNarratives, prior_triggers: Sequence[PriorTrigger]
                     ) -> SymbolDecision:
    # The one engine call, for every stage: decide_symbol and decide_at (the walk) reach it
    # after the same session check and freshness rule, each made once.
    decided = job.engine.decide(job.symbol, as_of, bars, news, prior_triggers)
    return SymbolDecision(symbol=job.symbol, as_of=as_of, state=DecisionState.DECIDED,
                          decided=decided, prepared_bars=bars, prepared_news=news)


def _check_session(job: SymbolJob, as_of: datetime) -> None:
    if job.calendar is None:
        return
    state = trading_hours(job.calendar, as_of).state(as_of)
    if state in _SESSION_CODES:
        code, why = _SESSION_CODES[state]
        raise _Halt(DecisionState.STALE, code, why)


def max_bar_age(job: SymbolJob) -> timedelta:
    """The freshness limit: ``max_bar_age_hours`` counts hourly bars, so it scales with the
    timeframe (3 → 3 hours of 1h bars, 3 days of 1d bars, 3 minutes of 1m bars)."""
    return job.max_bar_age_hours * job.timeframe.duration


def _check_fresh(job: SymbolJob, as_of: datetime, newest_ns: int | None) -> None:
    """``newest_ns``: the end of the newest closed bar, in nanoseconds since the epoch."""
    age = max_bar_age(job)
    limit = epoch_ns(as_of) - ((age.days * 86_400 + age.seconds) * 1_000_000_000
                               + age.microseconds * 1_000)
    if newest_ns is not None and newest_ns < limit:
        raise _Halt(DecisionState.STALE, "DATA_STALE", STALE_DETAIL)


def _newest_end(bars: pd.DataFrame) -> int | None:
    return int(pd.Timestamp(bars["end"].iloc[-1]).as_unit("ns").value) if len(bars) else None


def _fetch_bars(job: SymbolJob, as_of: datetime, sources: Sources,
                events: list[HealthEvent]) -> pd.DataFrame:
    provider = sources.market_provider
    try:
        frames = sources.market.bars([job.symbol], start=as_of - timedelta(
            hours=job.history_hours), end=as_of, timeframe=job.timeframe)
        if job.symbol not in frames:
            raise ContractViolation(f"the market feed returned no frame for {job.symbol}")
        frame = validate_bars_frame(frames[job.symbol], symbol=job.symbol)
    except ProviderError as e:
        logger.warning("bars for %s failed: %s", job.symbol, e)
        events.append(HealthEvent(provider, e.reason_code, str(e), EventKind.FAILED))
        raise _Halt(DecisionState.FAILED, "PROVIDER_ERROR", f"no bars: {e}",
                    "no bars: the market data provider failed") from e
    except ContractViolation as e:
        events.append(HealthEvent(provider, "DATA_INVALID_BARS", str(e), EventKind.FAILED))
        raise _Halt(DecisionState.FAILED, "DATA_INVALID_BARS", str(e)) from e
    except ConfigError as e:  # an offline feed with nothing recorded for this symbol
        raise _Halt(DecisionState.FAILED, "DATA_NO_SOURCE", str(e)) from e
    # Point-in-time, whatever the feed did: only bars closed by as_of.
    return frame.loc[frame["end"] <= pd.Timestamp(as_of)].reset_index(drop=True)


def _fetch_narratives(job: SymbolJob, as_of: datetime, sources: Sources,
                      events: list[HealthEvent]) -> list[Narrative]:
    try:
        items = sources.news.narratives([job.symbol], start=as_of - news_window(job.signal),
                                        end=as_of)
    except ProviderError as e:
        logger.warning("narratives for %s failed: %s", job.symbol, e)
        events.append(HealthEvent(sources.news_provider, e.reason_code, str(e),
                                  EventKind.FAILED))
        raise _Halt(DecisionState.FAILED, "PROVIDER_ERROR", f"no narratives: {e}",
                    "no narratives: the news provider failed, which is not the same as "
                    "no news") from e
    terms = job.match_terms
    return [n for n in items if n.published_at <= as_of and n.fetched_at <= as_of
            and (terms is None or job.symbol in n.symbols or mentions(n.headline, terms))]


def _score(sources: Sources, narratives: Sequence[Narrative], events: list[HealthEvent]
           ) -> tuple[list[Narrative], list[SentimentScore]]:
    """Score with the primary model, falling back to the offline one (and saying so) when
    the primary fails as a provider. Returns the narratives that were scored and their
    scores, in order: a text the model raises on is rejected alone (see :func:`_score_with`)."""
    if not narratives:
        return [], []
    provider = sources.sentiment_provider
    try:
        return _score_with(sources.primary_scorer, narratives, provider, events)
    except ProviderError as e:
        logger.warning("sentiment failed: %s", e)
        events.append(HealthEvent(provider, e.reason_code, str(e), EventKind.FAILED))
        if sources.fallback_scorer is None:
            raise _Halt(DecisionState.FAILED, "PROVIDER_ERROR",
                        "the sentiment model failed with no fallback") from e
        events.append(HealthEvent(provider, "SENTIMENT_FALLBACK_OFFLINE",
                                  "scored by the offline fallback", EventKind.DEGRADED))
        return _score_with(sources.fallback_scorer, narratives, provider, events)


def _score_with(scorer: SentimentScorer, narratives: Sequence[Narrative], provider: str,
                events: list[HealthEvent]) -> tuple[list[Narrative], list[SentimentScore]]:
    # One batch; when the model raises something outside the error tree (a bug on some
    # text), score one headline at a time and reject only the ones it raises on, so one odd
    # headline never stops a decision. The tree's errors are deliberate (a ProviderError is
    # the provider's; a replay's ArtifactError says the record cannot answer): they propagate.
    texts = [n.headline for n in narratives]
    try:
        return list(narratives), scorer.score(texts)
    except PipelineError:
        raise
    except Exception:  # the per-headline boundary: isolate the text, below
        logger.warning("%s raised on a batch of %d headlines; scoring one at a time",
                       scorer.model_id, len(texts), exc_info=True)
    kept: list[Narrative] = []
    scores: list[SentimentScore] = []
    rejected = 0
    for narrative in narratives:
        try:
            score = scorer.score([narrative.headline])[0]
        except PipelineError:
            raise
        except Exception as e:  # rejected with a reason code, and logged
            logger.warning("headline %s rejected by %s: %s: %s", narrative.narrative_id,
                           scorer.model_id, type(e).__name__, e)
            rejected += 1
            continue
        kept.append(narrative)
        scores.append(score)
    events.append(HealthEvent(provider, "SENTIMENT_INPUT_REJECTED",
                              f"{rejected} of {len(narratives)} headlines rejected by "
                              f"{scorer.model_id}", EventKind.DEGRADED))
    return kept, scores


def _check(sources: Sources, narratives: Sequence[Narrative], events: list[HealthEvent]
           ) -> tuple[SentimentScore | None, ...] | None:
    """The checker's verdict per headline, ``None`` where it failed (that check is dropped,
    with ``SENTIMENT_CHECK_DROPPED``); ``None`` when there is no checker or no headline."""
    if sources.checker is None or not narratives:
        return None
    checks: list[SentimentScore | None] = []
    failures: list[ProviderError] = []
    for narrative in narratives:
        try:
            checks.append(sources.checker.score([narrative.headline])[0])
        except ProviderError as e:
            failures.append(e)
            checks.append(None)
    if failures:
        events.append(HealthEvent(sources.checker_provider, "SENTIMENT_CHECK_DROPPED",
                                  f"{len(failures)} of {len(checks)} checks failed",
                                  EventKind.DEGRADED))
        if len(failures) == len(checks):
            last = failures[-1]
            events.append(HealthEvent(sources.checker_provider, last.reason_code, str(last),
                                      EventKind.FAILED))
    return tuple(checks)


def _halted(job: SymbolJob, as_of: datetime, halt: _Halt, events: list[HealthEvent], *,
            bars: pd.DataFrame | None = None, narratives: list[Narrative] | None = None
            ) -> SymbolDecision:
    decided = None
    if halt.state is DecisionState.FAILED:
        codes = tuple(e.reason_code for e in events if e.reason_code != halt.code)
        decided = job.engine.fail(job.symbol, as_of, halt.code,
                                  halt.rationale[:480] or halt.code, codes)
    return SymbolDecision(
        symbol=job.symbol, as_of=as_of, state=halt.state, decided=decided,
        reason_code=halt.code, detail=halt.detail, bars=bars,
        narratives=tuple(narratives) if narratives is not None else None,
        events=tuple(events),
    )
