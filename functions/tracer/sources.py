"""What a tracer run reads from, and how it records each provider's health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.contracts import (
    ProviderState,
    ProviderStatus,
    SentimentScore,
)
from shared.errors import ProviderError
from shared.providers._http import MemoryRecorder
from shared.providers.base import MarketFeed, NewsFeed
from shared.sentiment.base import SentimentScorer

__all__ = ["CallLog", "Sources", "StatusBoard"]


@dataclass
class CallLog(MemoryRecorder):
    """Collects raw model and news API calls for the run's inputs record (replay); every
    live client records into it as its ``CallRecorder``."""


@dataclass
class StatusBoard:
    """Provider name → status; failures add reason codes and mark the run degraded."""

    statuses: dict[str, ProviderStatus] = field(default_factory=dict)
    extra_reasons: list[str] = field(default_factory=list)

    def set(self, provider: str, state: ProviderState, detail: str = "") -> None:
        self.statuses[provider] = ProviderStatus(provider=provider, state=state, detail=detail)

    def fail(self, provider: str, error: ProviderError) -> None:
        self.statuses[provider] = ProviderStatus(
            provider=provider,
            state=ProviderState.FAILED,
            reason_codes=(error.reason_code,),
            detail=str(error)[:500],
        )

    def degrade(self, reason_code: str) -> None:
        if reason_code not in self.extra_reasons:
            self.extra_reasons.append(reason_code)

    def reasons(self) -> tuple[str, ...]:
        codes: list[str] = []
        for status in self.statuses.values():
            if status.state in (ProviderState.FAILED, ProviderState.DEGRADED):
                codes.extend(status.reason_codes)
        codes.extend(self.extra_reasons)
        return tuple(sorted(set(codes)))

    def ordered(self) -> tuple[ProviderStatus, ...]:
        return tuple(self.statuses[name] for name in sorted(self.statuses))


@dataclass
class Sources:
    """The feeds and models of one run. ``primary_scorer`` may fail; ``fallback_scorer``
    (the offline scorer) may not."""

    feed_name: str
    market: MarketFeed
    news: NewsFeed
    primary_scorer: SentimentScorer
    fallback_scorer: SentimentScorer | None
    board: StatusBoard = field(default_factory=StatusBoard)
    call_log: CallLog = field(default_factory=CallLog)
    market_provider: str = "market"
    news_provider: str = "news"
    sentiment_provider: str = "sentiment"
    checker: SentimentScorer | None = None  # the LLM polarity check (a second opinion)
    checker_provider: str = "checker"

    def score(self, texts: Sequence[str]) -> list[SentimentScore]:
        """Score with the primary model; on failure fall back (and say so) or re-raise."""
        try:
            return self.primary_scorer.score(texts)
        except ProviderError as e:
            self.board.fail(self.sentiment_provider, e)
            if self.fallback_scorer is None:
                raise
            self.board.degrade("SENTIMENT_FALLBACK_OFFLINE")
            return self.fallback_scorer.score(texts)

    def check(self, texts: Sequence[str]) -> list[SentimentScore | None] | None:
        """The checker's verdict per text, ``None`` where it failed (that check is dropped,
        with ``SENTIMENT_CHECK_DROPPED``); ``None`` when there is no checker."""
        if self.checker is None:
            return None
        checks: list[SentimentScore | None] = []
        failures: list[ProviderError] = []
        for text in texts:
            try:
                checks.append(self.checker.score([text])[0])
            except ProviderError as e:
                failures.append(e)
                checks.append(None)
        if failures:
            self.board.degrade("SENTIMENT_CHECK_DROPPED")
            if len(failures) == len(checks):
                self.board.fail(self.checker_provider, failures[-1])
        return checks
