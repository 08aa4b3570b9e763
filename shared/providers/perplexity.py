"""Perplexity (Sonar): structured news through chat completions, parsed into narratives.

One ``POST {base}/chat/completions`` per batch of symbols, with a ``json_schema`` response
format listing items ``{headline, source, url, published_at, symbols, summary}`` and a
``search_recency_filter`` covering the lookback. The answer is a JSON *string* in
``choices[0].message.content``; the one repair made is stripping a leading
``<think>...</think>`` block. Anything else that does not parse is rejected, never guessed:

* content that is not ``{"items": [...]}`` -> :class:`ModelOutputInvalid` (the call fails);
* an item that breaks the schema, has an unparseable or naive ``published_at``, or was
  "published" after we fetched it -> dropped, counted in :attr:`PerplexityNews.rejected`, and
  the provider status turns ``degraded`` with the item's reason code.

Retries: ``POST /chat/completions`` is not idempotent in HTTP terms, but it is a read with
no side effect except its per-request fee, so it is retried like a GET (429/5xx/timeouts);
the worst case of a retried timeout is one extra billed search.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.clock import utc_now
from shared.contracts import Narrative, sha256_hex
from shared.providers._bounds import RunDeadline
from shared.providers._http import (
    BaseClient,
    CallRecorder,
    HttpPolicy,
    ModelOutputInvalid,
    RateLimit,
    TokenBucket,
)
from shared.settings import Settings

__all__ = [
    "NEWS_ITEMS_CAPPED",
    "PPLX_RATE_LIMIT",
    "REJECT_INVALID",
    "REJECT_PUBLISHED_IN_FUTURE",
    "REJECT_PUBLISHED_UNPARSEABLE",
    "ModelOutputInvalid",
    "PerplexityNews",
    "news_response_format",
    "parse_published_at",
    "strip_think",
    "recency_filter",
]

logger = logging.getLogger(__name__)

# Usage tier 0: 50 requests/min for sonar and sonar-pro.
PPLX_RATE_LIMIT = RateLimit(requests=50, per_secs=60.0, burst=5)

REJECT_INVALID = "NEWS_ITEM_INVALID"
REJECT_PUBLISHED_UNPARSEABLE = "NEWS_PUBLISHED_UNPARSEABLE"
REJECT_PUBLISHED_IN_FUTURE = "NEWS_PUBLISHED_IN_FUTURE"
NEWS_ITEMS_CAPPED = "NEWS_ITEMS_CAPPED"

_THINK = re.compile(r"^\s*<think>.*?</think>\s*", re.DOTALL)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Message(_Wire):
    content: str


class _Choice(_Wire):
    message: _Message
    finish_reason: str | None = None


class _Completion(_Wire):
    choices: list[_Choice] = Field(min_length=1)
    citations: list[str] | None = None


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    headline: str = Field(min_length=1, max_length=1000)
    source: str = Field(min_length=1, max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    published_at: str
    symbols: list[str] = Field(min_length=1)
    summary: str | None = Field(default=None, max_length=4000)


class _Items(_Wire):
    items: list[dict[str, Any]]


def strip_think(content: str) -> str:
    """Drop one leading ``<think>...</think>`` block (reasoning models prefix their JSON)."""
    return _THINK.sub("", content, count=1)


def parse_published_at(value: str) -> datetime | None:
    """ISO-8601 with an offset or ``YYYY-MM-DD`` (-> midnight UTC); None if anything else."""
    text = value.strip()
    if _DATE_ONLY.match(text):
        try:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None  # a naive time is ambiguous: rejected, not assumed to be UTC
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None  # "0001-01-01T00:00:00+01:00" is in the year 0 in UTC


def recency_filter(lookback: timedelta) -> str:
    """The narrowest ``search_recency_filter`` that covers ``lookback``."""
    for name, span in (
        ("hour", timedelta(hours=1)),
        ("day", timedelta(days=1)),
        ("week", timedelta(days=7)),
        ("month", timedelta(days=31)),
    ):
        if lookback <= span:
            return name
    return "year"


def news_response_format(symbols: Sequence[str]) -> dict[str, Any]:
    """The ``response_format`` asking for ``{"items": [...]}`` about ``symbols``."""
    item = {
        "type": "object",
        "properties": {
            "headline": {"type": "string"},
            "source": {"type": "string", "description": "publisher name"},
            "url": {"type": "string"},
            "published_at": {
                "type": "string",
                "description": "ISO-8601 with UTC offset, or YYYY-MM-DD",
            },
            "symbols": {
                "type": "array",
                "items": {"type": "string", "enum": list(symbols)},
                "minItems": 1,
            },
            "summary": {"type": "string"},
        },
        "required": ["headline", "source", "url", "published_at", "symbols"],
    }
    schema = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": item}},
        "required": ["items"],
    }
    return {"type": "json_schema", "json_schema": {"name": "news_items", "schema": schema}}


class PerplexityNews(BaseClient):
    """Narratives about symbols from Perplexity search (implements NewsFeed).

    Raises ProviderAuthError, TransientProviderError, ProviderResponseError (including
    :class:`ModelOutputInvalid`); rejected items are counted in :attr:`rejected`.
    """

    name = "perplexity"

    def __init__(
        self,
        *,
        api_key: str,
        extra_keys: Sequence[str] = (),
        base_url: str = "https://api.perplexity.ai",
        model: str = "sonar",
        symbols_per_request: int = 10,
        session: requests.Session | None = None,
        policy: HttpPolicy | None = None,
        now: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        random_fn: Callable[[], float] = random.random,
        recorder: CallRecorder | None = None,
        deadline: RunDeadline | None = None,
        max_items_per_answer: int = 100,
    ) -> None:
        if not api_key:
            raise ValueError("PerplexityNews needs an API key (PPLX_API_KEY)")
        super().__init__(
            provider="perplexity",
            base_url=base_url,
            session=session,
            policy=policy,
            limiter=TokenBucket(PPLX_RATE_LIMIT, clock=clock, sleep=sleep),
            sleep=sleep,
            random_fn=random_fn,
            recorder=recorder,
            deadline=deadline,
        )
        self.model = model
        self.max_items_per_answer = max_items_per_answer
        self.items_over_cap = 0
        self.symbols_per_request = symbols_per_request
        self._use_keys((api_key, *extra_keys))
        self._now = now
        self.rejected: Counter[str] = Counter()

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> PerplexityNews:
        """A client configured from ``settings`` with every key it holds (``PPLX_API_KEY``, then
        ``PPLX_API_KEY_2``, ``PPLX_API_KEY_3``); raises ValueError without PPLX_API_KEY."""
        key, *extra = settings.keys_for("perplexity")
        policy = kwargs.pop("policy", None) or HttpPolicy.from_settings(
            settings, read_timeout_secs=settings.tb_pplx_read_timeout_secs
        )
        return cls(
            api_key=key,
            extra_keys=extra,
            base_url=settings.pplx_base_url,
            model=settings.tb_pplx_model,
            policy=policy,
            max_items_per_answer=settings.tb_pplx_max_items_per_answer,
            **kwargs,
        )

    def _headers(self) -> dict[str, str]:
        return {**super()._headers(), "Authorization": f"Bearer {self._api_key}"}

    def narratives(
        self, symbols: Sequence[str], *, start: datetime, end: datetime
    ) -> list[Narrative]:
        """Narratives about ``symbols`` published since ``start``, sorted by (fetched_at, id).

        ``fetched_at`` is the injected clock's time of the answer; it is the caller's
        point-in-time filter that compares it with decision times.
        """
        unique = list(dict.fromkeys(symbols))
        found: dict[str, Narrative] = {}
        for offset in range(0, len(unique), self.symbols_per_request):
            batch = unique[offset : offset + self.symbols_per_request]
            for narrative in self._fetch_batch(batch, start=start, end=end):
                found.setdefault(narrative.narrative_id, narrative)
        return sorted(found.values(), key=lambda n: (n.fetched_at, n.narrative_id))

    def _fetch_batch(
        self, symbols: list[str], *, start: datetime, end: datetime
    ) -> list[Narrative]:
        now = self._now()
        body = {
            "model": self.model,
            "messages": [
                {
                    "role": "system",
                    "content": (
                        "You are a financial news wire. Answer only with JSON matching the "
                        "schema. List distinct news articles; never invent articles, URLs "
                        "or dates. Use the symbols exactly as given."
                    ),
                },
                {
                    "role": "user",
                    "content": (
                        f"Market-moving news published between {start.isoformat()} and "
                        f"{end.isoformat()} about: {', '.join(symbols)}."
                    ),
                },
            ],
            "response_format": news_response_format(symbols),
            "search_recency_filter": recency_filter(now - start),
            "temperature": 0,
        }
        items, citations = self._call(
            "POST",
            "/chat/completions",
            self._parse,
            json_body=body,
            record_as="chat/completions",
        )
        fetched_at = self._now()
        wanted = set(symbols)
        narratives = []
        for raw in self._capped(items):
            narrative = self._narrative(raw, wanted, start, fetched_at, citations)
            if narrative is not None:
                narratives.append(narrative)
        return narratives

    def _capped(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # At most max_items_per_answer items of one answer are used (each costs model
        # calls); the rest are counted, and the count is in the provider's status detail.
        over = len(items) - self.max_items_per_answer
        if over <= 0:
            return items
        self.items_over_cap += over
        detail = (f"perplexity: {self.items_over_cap} news items not used: over the cap of "
                  f"{self.max_items_per_answer} per answer (TB_PPLX_MAX_ITEMS_PER_ANSWER)")
        self.guard.note(NEWS_ITEMS_CAPPED, detail, counted=True)
        logger.warning("%s", detail)
        return items[: self.max_items_per_answer]

    def _parse(self, data: Any) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
        # Inside the guarded call, so a bad answer counts as this provider's failure.
        completion = self._validate(_Completion, data, what="chat completion")
        citations = tuple(dict.fromkeys(completion.citations or ()))
        return self._items(completion), citations

    def _items(self, completion: _Completion) -> list[dict[str, Any]]:
        choice = completion.choices[0]
        content = strip_think(choice.message.content)
        try:
            data = json.loads(content)
            return _Items.model_validate(data).items
        except (ValueError, ValidationError) as e:
            truncated = " (finish_reason=length: output was cut off)" * (
                choice.finish_reason == "length"
            )
            raise ModelOutputInvalid(
                f"perplexity: content is not the requested {{'items': [...]}} JSON{truncated}: "
                f"{type(e).__name__}",
                provider=self.provider,
            ) from None

    def _narrative(
        self,
        raw: dict[str, Any],
        wanted: set[str],
        start: datetime,
        fetched_at: datetime,
        citations: tuple[str, ...],
    ) -> Narrative | None:
        try:
            item = _Item.model_validate(raw)
        except ValidationError:
            self._reject(REJECT_INVALID, "item does not match the schema")
            return None
        published_at = parse_published_at(item.published_at)
        if published_at is None:
            self._reject(REJECT_PUBLISHED_UNPARSEABLE, f"published_at {item.published_at[:40]!r}")
            return None
        if published_at > fetched_at:
            self._reject(REJECT_PUBLISHED_IN_FUTURE, f"published_at {item.published_at[:40]!r}")
            return None
        symbols = tuple(dict.fromkeys(s.upper() for s in item.symbols if s.upper() in wanted))
        if not symbols:
            self._reject(REJECT_INVALID, "no requested symbol in item")
            return None
        if published_at < start:
            return None  # outside the window asked for: not an error, just not wanted
        key = f"{item.url or ''}\n{item.headline}\n{item.source}"
        return Narrative(
            narrative_id=f"pplx-{sha256_hex(key)[:24]}",
            headline=item.headline,
            summary=item.summary or None,
            source=item.source,
            url=item.url or None,
            symbols=symbols,
            published_at=published_at,
            fetched_at=fetched_at,
            citations=citations,
        )

    def _reject(self, code: str, detail: str) -> None:
        self.rejected[code] += 1
        self.guard.note(code, f"perplexity: rejected item: {detail}")
        logger.warning("perplexity: rejected item (%s): %s", code, detail)
