"""What a run reads from (:class:`Sources`), and the record of each provider's health
(:class:`ProviderHealth`) with the one rule for "degraded".

The decision path never writes to the health record itself: :func:`~shared.pipeline.decide_symbol`
returns what each provider did as :class:`HealthEvent` values, and the stage decides where they
go (the tracer applies them to its run's health; the universe keeps them on each symbol so that
shards merge to the unsharded run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from shared.contracts import ProviderState, ProviderStatus, Timeframe
from shared.providers._http import MemoryRecorder
from shared.providers.base import MarketFeed, NewsFeed
from shared.reason_codes import ReasonCodeRegistry, default_registry
from shared.sentiment.base import SentimentScorer

__all__ = ["CallLog", "EventKind", "HealthEvent", "ProviderHealth", "Sources"]


@dataclass
class CallLog(MemoryRecorder):
    """Collects raw model and news API calls for the run's inputs record (replay); every
    live client records into it as its ``CallRecorder``."""


class EventKind(StrEnum):
    """What a provider event means for that provider's status."""

    FAILED = "failed"  # the provider failed: its status becomes failed with this code
    DEGRADED = "degraded"  # the run went on in a lesser way (a fallback, a dropped check)


@dataclass(frozen=True)
class HealthEvent:
    """One thing a provider did on a symbol's decision path."""

    provider: str
    reason_code: str
    detail: str
    kind: EventKind


@dataclass
class ProviderHealth:
    """Provider name → status, plus run-level codes; :meth:`reasons` is the run's degraded
    reasons: every code of a failed or degraded provider, and every run-level code, whose
    severity in ``config/reason_codes.yaml`` is not ``info``."""

    statuses: dict[str, ProviderStatus] = field(default_factory=dict)
    extra_reasons: list[str] = field(default_factory=list)
    registry: ReasonCodeRegistry = field(default_factory=default_registry, repr=False)

    def set(self, provider: str, state: ProviderState, detail: str = "") -> None:
        self.statuses[provider] = ProviderStatus(provider=provider, state=state, detail=detail)

    def fail(self, provider: str, reason_code: str, detail: str) -> None:
        self.statuses[provider] = ProviderStatus(
            provider=provider,
            state=ProviderState.FAILED,
            reason_codes=(reason_code,),
            detail=detail[:500],
        )

    def degrade(self, reason_code: str) -> None:
        if reason_code not in self.extra_reasons:
            self.extra_reasons.append(reason_code)

    def apply(self, events: tuple[HealthEvent, ...]) -> None:
        """Record a decision's provider events on the run."""
        for event in events:
            if event.kind is EventKind.FAILED:
                self.fail(event.provider, event.reason_code, event.detail)
            else:
                self.degrade(event.reason_code)

    def reasons(self) -> tuple[str, ...]:
        codes: set[str] = set()
        for status in self.statuses.values():
            if status.state in (ProviderState.FAILED, ProviderState.DEGRADED):
                codes.update(status.reason_codes)
        codes.update(self.extra_reasons)
        return self.registry.degrading(codes)

    def ordered(self) -> tuple[ProviderStatus, ...]:
        return tuple(self.statuses[name] for name in sorted(self.statuses))


@dataclass
class Sources:
    """The feeds and models of one run. ``primary_scorer`` may fail; ``fallback_scorer``
    (the offline scorer) may not; ``checker`` is the LLM polarity check (a second opinion)."""

    feed_name: str
    market: MarketFeed
    news: NewsFeed
    primary_scorer: SentimentScorer
    fallback_scorer: SentimentScorer | None
    board: ProviderHealth = field(default_factory=ProviderHealth)
    call_log: CallLog = field(default_factory=CallLog)
    market_provider: str = "market"
    news_provider: str = "news"
    sentiment_provider: str = "sentiment"
    checker: SentimentScorer | None = None
    checker_provider: str = "checker"
    timeframe: Timeframe = Timeframe.HOUR  # the market feed's bars (a dataset's may be 1m/1d)
