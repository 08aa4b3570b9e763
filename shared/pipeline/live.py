"""Sources for ``tb run --live``: the real client for every provider whose keys are set, the
offline stand-in for every other one.

Per provider (keys from :class:`shared.settings.Settings`, i.e. the environment):

========================  ===================================  ============================
keys set                  live                                 otherwise (state ``offline``)
========================  ===================================  ============================
APCA key id + secret      Alpaca bars (stocks and crypto)      the seeded synthetic bars
PPLX_API_KEY              Perplexity news                      the seeded synthetic headlines
HF_TOKEN                  FinBERT, offline scorer as fallback  the offline scorer
HF_TOKEN                  the LLM polarity check per headline  no check
========================  ===================================  ============================

Keys decide, nothing else: Alpaca's crypto bars need no key, but without keys they stay
synthetic, so ``--live`` with no key set makes the same artifacts as the offline run and
touches no network.
When market or news is a synthetic stand-in the run's feed is ``synthetic`` (its results
say nothing about live markets, and the digest says so); it is ``live`` only when both are
real.

Every client records its model/news calls into the run's :class:`CallLog` (secrets
redacted), and its ``status()`` is read into the manifest when the run builds it
(:class:`LiveStatusBoard`). Every client shares one :class:`RunDeadline`
(``TB_RUN_DEADLINE_SECS`` from now), and FinBERT and the LLM check one
:class:`ModelCallCap` (``TB_MODEL_MAX_CALLS_PER_RUN``); see docs/bounds.md.
FinBERT and the LLM check share the SQLite sentiment cache at
``$TB_CACHE_DIR/sentiment.sqlite`` (default ``.tb-cache/``); a broken cache never fails a run.

Point in time: Perplexity stamps ``fetched_at`` with the time of its answer. A narrative
fetched (or published) after the run's ``as_of`` was not available at ``as_of``: it stays in
the raw Perplexity response in the inputs record's ``model_calls``, is excluded from the
decision, and Perplexity's status carries the info code ``NEWS_FETCHED_AFTER_AS_OF`` (which
does not mark the run degraded).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from shared.contracts import Narrative, ProviderState, ProviderStatus, SentimentScore
from shared.errors import ArtifactError, ConfigError
from shared.pipeline.settings import PipelineSettings
from shared.pipeline.sources import CallLog, ProviderHealth, Sources
from shared.providers._bounds import ModelCallCap, RunDeadline
from shared.providers.alpaca import AlpacaMarketData
from shared.providers.base import MarketFeed, NewsFeed
from shared.providers.hf_inference import FinbertScorer, LlmPolarityChecker
from shared.providers.perplexity import REJECT_INVALID, PerplexityNews
from shared.providers.synthetic import SyntheticFeed
from shared.sentiment.base import SentimentScorer
from shared.sentiment.cache import SentimentCache
from shared.sentiment.offline import OfflineScorer
from shared.settings import Settings, install_redaction, redact

__all__ = [
    "LIVE_FEED",
    "LiveNews",
    "LiveStatusBoard",
    "RedactingCallLog",
    "ScoreCache",
    "build_live_sources",
    "load_settings",
    "merge_status",
    "sentiment_cache_path",
]

logger = logging.getLogger(__name__)

LIVE_FEED = "live"
NEWS_FETCHED_AFTER_AS_OF = "NEWS_FETCHED_AFTER_AS_OF"
_RANK = {
    ProviderState.FAILED: 3,
    ProviderState.DEGRADED: 2,
    ProviderState.OK: 1,
    ProviderState.OFFLINE: 0,
    ProviderState.SKIPPED: 0,
}


def merge_status(existing: ProviderStatus | None, probed: ProviderStatus) -> ProviderStatus:
    """One status from what the run saw (``existing``) and what the client reports: the
    worse state, every reason code, the larger request count. Idempotent."""
    if existing is None:
        return probed
    worse, other = (existing, probed) if _RANK[existing.state] > _RANK[probed.state] else (
        probed, existing)
    return ProviderStatus(
        provider=probed.provider,
        state=worse.state,
        reason_codes=tuple(sorted({*existing.reason_codes, *probed.reason_codes})),
        detail=worse.detail or other.detail,
        requests=max(existing.requests, probed.requests),
    )


@dataclass
class LiveStatusBoard(ProviderHealth):
    """A board that reads each live client's ``status()`` whenever it is read, so the
    manifest (built at the end of the run) holds every client's final state."""

    probes: dict[str, Callable[[], ProviderStatus]] = field(default_factory=dict)

    def watch(self, provider: str, probe: Callable[[], ProviderStatus]) -> None:
        self.probes[provider] = probe

    def sync(self) -> None:
        for name, probe in self.probes.items():
            self.statuses[name] = merge_status(self.statuses.get(name), probe())

    def reasons(self) -> tuple[str, ...]:
        self.sync()
        return super().reasons()

    def ordered(self) -> tuple[ProviderStatus, ...]:
        self.sync()
        return super().ordered()


@dataclass
class RedactingCallLog(CallLog):
    """A :class:`CallLog` that is also every client's ``CallRecorder``, scrubbing secrets
    from what it records (a server may echo a credential into its answer)."""

    secrets: tuple[str, ...] = ()

    def record(
        self,
        provider: str,
        endpoint: str,
        request_json: str,
        response_text: str | None,
        error: str | None = None,
    ) -> None:
        super().record(
            provider,
            endpoint,
            redact(request_json, self.secrets),
            redact(response_text, self.secrets) if response_text is not None else None,
            redact(error, self.secrets) if error is not None else None,
        )


class ScoreCache(MutableMapping[str, SentimentScore]):
    """A model client's ``cache`` argument, backed by the SQLite :class:`SentimentCache`
    for one model id. A cache that cannot be read or written is a miss, never a failure."""

    def __init__(self, cache: SentimentCache | None, model_id: str) -> None:
        self.cache = cache
        self.model_id = model_id
        self._memory: dict[str, SentimentScore] = {}
        self.hits = 0

    def __getitem__(self, key: str) -> SentimentScore:
        if key in self._memory:
            return self._memory[key]
        if self.cache is not None:
            try:
                found = self.cache.get_many(self.model_id, [key])
            except ArtifactError as e:
                logger.warning("sentiment cache unreadable, scoring without it: %s", e)
                found = {}
            if key in found:
                self.hits += 1
                self._memory[key] = found[key]
                return found[key]
        raise KeyError(key)

    def __setitem__(self, key: str, score: SentimentScore) -> None:
        self._memory[key] = score
        if self.cache is not None:
            try:
                self.cache.put_many([score])
            except ArtifactError as e:
                logger.warning("sentiment cache not written: %s", e)

    def __delitem__(self, key: str) -> None:
        del self._memory[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._memory)

    def __len__(self) -> int:
        return len(self._memory)


class LiveNews:
    """Perplexity as a point-in-time :class:`NewsFeed`: only narratives fetched and
    published by ``end`` are returned; the others are counted and reported in the status."""

    name = "perplexity"

    def __init__(self, client: PerplexityNews, secrets: tuple[str, ...] = ()) -> None:
        self.client = client
        self.secrets = secrets
        self.fetched_after_end = 0

    def narratives(
        self, symbols: Sequence[str], *, start: datetime, end: datetime
    ) -> list[Narrative]:
        items = self.client.narratives(symbols, start=start, end=end)
        available = [n for n in items if n.fetched_at <= end and n.published_at <= end]
        late = len(items) - len(available)
        if late:
            self.fetched_after_end += late
            logger.warning(
                "perplexity: %d narratives fetched after as-of %s are not used (a live run "
                "sees news when it runs; give --as-of the current time to use it)",
                late, end.isoformat(),
            )
        scrubbed = [self._scrubbed(n) for n in available]
        return [n for n in scrubbed if n is not None]

    def status(self) -> ProviderStatus:
        status = self.client.status()
        if not self.fetched_after_end:
            return status
        note = (f"{self.fetched_after_end} narratives fetched after as-of: recorded in "
                "model_calls, not used")
        return ProviderStatus(
            provider=status.provider,
            state=status.state,
            reason_codes=tuple(sorted({*status.reason_codes, NEWS_FETCHED_AFTER_AS_OF})),
            detail=(status.detail or note)[:500],
            requests=status.requests,
        )

    # A careless server could echo the key into a headline; what we keep never holds it.
    def _scrubbed(self, narrative: Narrative) -> Narrative | None:
        if not self.secrets:
            return narrative
        dumped = narrative.model_dump_json()
        cleaned = redact(dumped, self.secrets)
        if cleaned == dumped:
            return narrative
        try:
            return Narrative.model_validate_json(cleaned)
        except ValidationError:  # the redaction broke the item (a field now too long)
            self.client.guard.note(REJECT_INVALID, "perplexity: rejected item: holds a secret")
            return None


def sentiment_cache_path() -> Path:
    """``$TB_CACHE_DIR/sentiment.sqlite``; ``TB_CACHE_DIR`` defaults to ``.tb-cache``."""
    return Path(os.environ.get("TB_CACHE_DIR") or ".tb-cache") / "sentiment.sqlite"


def load_settings() -> Settings:
    """Settings from the environment; a malformed value is a ConfigError (never echoed)."""
    try:
        return Settings()
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in e.errors(include_input=False, include_url=False)
        )
        raise ConfigError(f"environment: {problems}") from None


def build_live_sources(
    seed: int,
    config: PipelineSettings,
    *,
    settings: Settings | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Sources:
    """Sources for a live run (see the module docstring). ``clock`` is Perplexity's
    ``fetched_at`` clock (default: the wall clock). Installs log redaction of every secret."""
    del config  # the tracer config needs nothing provider-specific yet
    settings = settings or load_settings()
    install_redaction(settings)
    secrets = settings.secret_values()
    board = LiveStatusBoard()
    call_log = RedactingCallLog(secrets=secrets)
    deadline = RunDeadline.start(settings.tb_run_deadline_secs)
    model_calls = ModelCallCap(settings.tb_model_max_calls_per_run)
    synthetic: SyntheticFeed | None = None

    def stand_in() -> SyntheticFeed:
        nonlocal synthetic
        if synthetic is None:
            synthetic = SyntheticFeed(seed)
            board.set("synthetic", ProviderState.OFFLINE, "embedded seeded feed")
        return synthetic

    market: MarketFeed
    if settings.has_keys_for("alpaca"):
        alpaca = AlpacaMarketData.from_settings(settings, recorder=call_log, deadline=deadline)
        board.watch(alpaca.provider, alpaca.status)
        market, market_name = alpaca, alpaca.provider
    else:
        market, market_name = stand_in(), "synthetic"

    news: NewsFeed
    if settings.has_keys_for("perplexity"):
        extra = {"now": clock} if clock is not None else {}
        live_news = LiveNews(
            PerplexityNews.from_settings(settings, recorder=call_log, deadline=deadline,
                                         **extra), secrets)
        board.watch(live_news.name, live_news.status)
        news, news_name = live_news, live_news.name
    else:
        news, news_name = stand_in(), "synthetic"

    primary: SentimentScorer
    fallback: SentimentScorer | None = None
    checker: SentimentScorer | None = None
    offline = OfflineScorer()
    if settings.has_keys_for("hf_finbert"):
        cache = _open_cache()
        finbert = FinbertScorer.from_settings(
            settings, recorder=call_log, cache=ScoreCache(cache, settings.tb_finbert_model),
            deadline=deadline, model_calls=model_calls)
        board.watch(finbert.provider, finbert.status)
        primary, fallback, sentiment_name = finbert, offline, finbert.provider
        if settings.has_keys_for("hf_llm"):
            llm = LlmPolarityChecker.from_settings(
                settings, recorder=call_log, cache=ScoreCache(cache, settings.tb_llm_model),
                deadline=deadline, model_calls=model_calls)
            board.watch(llm.provider, llm.status)
            checker = llm
    else:
        primary, sentiment_name = offline, "sentiment"
        board.set(sentiment_name, ProviderState.OFFLINE, f"offline scorer {offline.model_id}")

    feed_name = "synthetic" if synthetic is not None else LIVE_FEED
    logger.info("live sources: market=%s news=%s sentiment=%s check=%s feed=%s", market_name,
                news_name, sentiment_name, "hf_llm" if checker else "none", feed_name)
    return Sources(
        feed_name, market, news, primary, fallback, board, call_log,
        market_provider=market_name, news_provider=news_name,
        sentiment_provider=sentiment_name, checker=checker, checker_provider="hf_llm",
    )


# The shared sentiment cache, or None (memory only) when it cannot be opened.
def _open_cache() -> SentimentCache | None:
    path = sentiment_cache_path()
    try:
        return SentimentCache(path)
    except (ArtifactError, OSError) as e:
        logger.warning("sentiment cache %s unavailable, scoring without it: %s", path, e)
        return None
