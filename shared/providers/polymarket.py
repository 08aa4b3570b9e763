"""Polymarket read endpoints: Gamma search/markets/events and CLOB book/midpoint/history.

Both hosts are public (no keys). They share one breaker (one provider) and each has its own
rate-limit bucket, set from the documented per-endpoint limits (Cloudflare sliding windows).

Example::

    poly = PolymarketClient.from_settings(Settings())
    events = poly.search("bitcoin").events
    book = poly.book(events[0].markets[0].clob_token_ids[0])
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar

import requests

from shared.providers._bounds import RunDeadline
from shared.providers._http import BaseClient, HttpPolicy, RateLimit, TokenBucket
from shared.providers.polymarket_models import (
    GammaEvent,
    GammaMarket,
    Midpoint,
    OrderBook,
    PriceHistory,
    PricePoint,
    SearchResult,
)
from shared.settings import Settings

__all__ = ["CLOB_RATE_LIMIT", "GAMMA_RATE_LIMIT", "PolymarketClient"]

# Gamma: /markets 300/10 s is the tightest of the endpoints used (/events 500, search 350).
GAMMA_RATE_LIMIT = RateLimit(requests=300, per_secs=10.0, burst=10)
# CLOB: /prices-history 1,000/10 s is the tightest (/book and /midpoint 1,500).
CLOB_RATE_LIMIT = RateLimit(requests=1000, per_secs=10.0, burst=20)

T = TypeVar("T")

HistoryInterval = Literal["1m", "1w", "1d", "6h", "1h", "max"]
Params = list[tuple[str, str]]


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _params(**values: Any) -> Params:
    # Drop None, spell booleans as the API does, repeat keys for sequences.
    params: Params = []
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params.append((key, _flag(value)))
        elif isinstance(value, list | tuple):
            params.extend((key, str(item)) for item in value)
        else:
            params.append((key, str(value)))
    return params


class PolymarketClient(BaseClient):
    """Gamma and CLOB reads. Raises TransientProviderError, ProviderResponseError (404 for an
    unknown token, wrong shapes, misaligned outcome lists)."""

    name = "polymarket"

    def __init__(
        self,
        *,
        gamma_url: str = "https://gamma-api.polymarket.com",
        clob_url: str = "https://clob.polymarket.com",
        session: requests.Session | None = None,
        policy: HttpPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        random_fn: Callable[[], float] = random.random,
        deadline: RunDeadline | None = None,
    ) -> None:
        super().__init__(
            provider="polymarket",
            base_url=gamma_url,
            session=session,
            policy=policy,
            limiter=TokenBucket(GAMMA_RATE_LIMIT, clock=clock, sleep=sleep),
            sleep=sleep,
            random_fn=random_fn,
            deadline=deadline,
        )
        self.clob_url = clob_url.rstrip("/")
        self._clob_limiter = TokenBucket(CLOB_RATE_LIMIT, clock=clock, sleep=sleep)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> PolymarketClient:
        return cls(
            gamma_url=settings.polymarket_gamma_url,
            clob_url=settings.polymarket_clob_url,
            policy=kwargs.pop("policy", None) or HttpPolicy.from_settings(settings),
            **kwargs,
        )

    # ------------------------------------------------------------------ Gamma

    def search(
        self,
        query: str,
        *,
        limit_per_type: int | None = None,
        events_status: str | None = None,
        keep_closed_markets: bool | None = None,
    ) -> SearchResult:
        """``GET /public-search?q=``: events (with markets) matching ``query``."""
        params = _params(
            q=query,
            limit_per_type=limit_per_type,
            events_status=events_status,
            keep_closed_markets=keep_closed_markets,
        )
        return self._call(
            "GET",
            "/public-search",
            lambda data: self._validate(SearchResult, data, what="public-search"),
            params=params,
        )

    def markets(
        self,
        *,
        limit: int = 100,
        offset: int | None = None,
        active: bool | None = None,
        closed: bool | None = None,
        order: str | None = None,
        ascending: bool | None = None,
        ids: Sequence[str] = (),
        slugs: Sequence[str] = (),
        clob_token_ids: Sequence[str] = (),
        tag_id: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> list[GammaMarket]:
        """``GET /markets`` with the documented filters (``extra`` for the rest)."""
        params = _params(
            limit=limit,
            offset=offset,
            active=active,
            closed=closed,
            order=order,
            ascending=ascending,
            id=list(ids) or None,
            slug=list(slugs) or None,
            clob_token_ids=list(clob_token_ids) or None,
            tag_id=tag_id,
            **(extra or {}),
        )
        return self._call(
            "GET",
            "/markets",
            lambda data: self._validate(list[GammaMarket], data, what="markets"),
            params=params,
        )

    def events(
        self,
        *,
        limit: int = 100,
        offset: int | None = None,
        closed: bool | None = False,
        order: str | None = None,
        ascending: bool | None = None,
        tag_id: int | None = None,
        tag_slug: str | None = None,
        slug: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> list[GammaEvent]:
        """``GET /events`` (open events by default, as the official SDK does)."""
        params = _params(
            limit=limit,
            offset=offset,
            closed=closed,
            order=order,
            ascending=ascending,
            tag_id=tag_id,
            tag_slug=tag_slug,
            slug=slug,
            **(extra or {}),
        )
        return self._call(
            "GET",
            "/events",
            lambda data: self._validate(list[GammaEvent], data, what="events"),
            params=params,
        )

    # ------------------------------------------------------------------ CLOB

    def book(self, token_id: str) -> OrderBook:
        """``GET /book?token_id=``: the order book of one outcome token."""
        return self._clob(
            "/book", {"token_id": token_id}, lambda d: self._validate(OrderBook, d, what="book")
        )

    def midpoint(self, token_id: str) -> float:
        """``GET /midpoint?token_id=``: the mid price (``{"mid": "0.50"}``) as a float."""
        parsed = self._clob(
            "/midpoint",
            {"token_id": token_id},
            lambda d: self._validate(Midpoint, d, what="midpoint"),
        )
        return parsed.mid

    def price_history(
        self,
        token_id: str,
        *,
        interval: HistoryInterval | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        fidelity_mins: int | None = None,
    ) -> list[PricePoint]:
        """``GET /prices-history``: either ``interval`` or a ``start``/``end`` range."""
        if interval is not None and (start is not None or end is not None):
            raise ValueError("interval and start/end are mutually exclusive")
        params: dict[str, str] = {"market": token_id}
        if interval is not None:
            params["interval"] = interval
        if start is not None:
            params["startTs"] = str(int(start.timestamp()))
        if end is not None:
            params["endTs"] = str(int(end.timestamp()))
        if fidelity_mins is not None:
            params["fidelity"] = str(fidelity_mins)
        history = self._clob(
            "/prices-history",
            params,
            lambda d: self._validate(PriceHistory, d, what="prices-history"),
        )
        return history.history

    def _clob(self, path: str, params: dict[str, str], parse: Callable[[Any], T]) -> T:
        return self._call(
            "GET",
            path,
            parse,
            params=params,
            base_url=self.clob_url,
            limiter=self._clob_limiter,
        )
