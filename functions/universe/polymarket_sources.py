"""Where Polymarket markets and prices come from: a recorded fixture, or the live read API.

Both turn Gamma answers (parsed by :mod:`shared.providers.polymarket_models`, so the fixture
goes through the same parsing as the live client) into :class:`MarketRecord` and
:class:`PriceObservation` for the pure rules in :mod:`shared.universe.polymarket`.

Fixture layout (``tests/fixtures/polymarket_universe/``)::

    search.json          {"recorded_at": ISO, "queries": {"<query lower-case>": <public-search>}}
    prices_history.json  {"<clob token id>": <prices-history answer>}

Live: ``GET /public-search`` per query; with a Perplexity key, Polymarket event links found in
Perplexity's news answer for the symbol add their events (``GET /events?slug=``); the price is
the CLOB price history up to ``as_of`` (``GET /prices-history?startTs&endTs``). Market fields
read live carry the time they were read, which is after ``as_of``: their outcome prices are
therefore never used as the decision-time price.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import ValidationError

from shared.clock import utc_now
from shared.contracts import Narrative
from shared.errors import ConfigError
from shared.providers.polymarket_models import GammaMarket, PriceHistory, SearchResult
from shared.universe.polymarket import MarketRecord, PriceObservation

if TYPE_CHECKING:
    from shared.providers.polymarket import PolymarketClient

__all__ = [
    "FixturePolymarket",
    "LivePolymarket",
    "PolymarketSource",
    "market_record",
    "polymarket_slugs",
]

_EVENT_LINK = re.compile(r"polymarket\.com/(?:[a-z]{2}/)?event/([a-z0-9][a-z0-9\-]*)", re.I)


class PolymarketSource(Protocol):
    label: Literal["fixture", "live"]
    detail: str

    def discover(self, symbol: str, queries: Sequence[str], as_of: datetime
                 ) -> list[MarketRecord]: ...

    def history(self, token_id: str, as_of: datetime) -> list[PriceObservation]: ...


def market_record(market: GammaMarket, observed_at: datetime) -> MarketRecord:
    """The rule-relevant fields of a parsed Gamma market."""
    return MarketRecord(
        market_id=market.id, question=market.question or "", observed_at=observed_at,
        slug=market.slug, end_date=market.end_date.astimezone(UTC) if market.end_date else None,
        active=market.active, closed=market.closed, archived=market.archived,
        accepting_orders=market.accepting_orders, liquidity_usd=market.liquidity,
        volume_usd=market.volume, outcomes=tuple(market.outcomes),
        outcome_prices=tuple(market.outcome_prices), clob_token_ids=tuple(market.clob_token_ids),
    )


def polymarket_slugs(urls: Iterable[str]) -> list[str]:
    """Event slugs of the Polymarket event links among ``urls``, first seen first."""
    found: dict[str, None] = {}
    for url in urls:
        for match in _EVENT_LINK.finditer(url or ""):
            found.setdefault(match.group(1).lower(), None)
    return list(found)


def _search_markets(result: SearchResult) -> list[GammaMarket]:
    return [market for event in result.events for market in event.markets]


class FixturePolymarket:
    """Recorded Gamma search answers and CLOB price histories (offline demos and tests)."""

    label: Literal["fixture", "live"] = "fixture"

    def __init__(self, directory: Path) -> None:
        try:
            search = json.loads((directory / "search.json").read_text(encoding="utf-8"))
            history = json.loads((directory / "prices_history.json").read_text(encoding="utf-8"))
            self.recorded_at = datetime.fromisoformat(search["recorded_at"].replace("Z", "+00:00"))
            self._answers = {q.lower(): SearchResult.model_validate(a)
                             for q, a in search["queries"].items()}
            self._history = {token: PriceHistory.model_validate(a).history
                             for token, a in history.items()}
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as e:
            raise ConfigError(f"{directory}: not a Polymarket fixture ({e})") from e
        self.detail = f"recorded fixture {directory.name}"

    def discover(self, symbol: str, queries: Sequence[str], as_of: datetime
                 ) -> list[MarketRecord]:
        found = []
        for query in queries:
            answer = self._answers.get(query.lower())
            if answer is not None:
                found += [market_record(m, self.recorded_at) for m in _search_markets(answer)]
        return found

    def history(self, token_id: str, as_of: datetime) -> list[PriceObservation]:
        return [PriceObservation(p.t.astimezone(UTC), p.p, "prices_history")
                for p in self._history.get(token_id, [])]


class _News(Protocol):
    def narratives(self, symbols: Sequence[str], *, start: datetime, end: datetime
                   ) -> list[Narrative]: ...


class LivePolymarket:
    """The live read API (``PolymarketClient``), optionally helped by Perplexity's links."""

    label: Literal["fixture", "live"] = "live"

    def __init__(self, client: PolymarketClient, *, limit: int, history_hours: float,
                 now: Callable[[], datetime] = utc_now,
                 perplexity: _News | None = None) -> None:
        self.client = client
        self.limit = limit
        self.history_hours = history_hours
        self.now = now
        self.perplexity = perplexity
        self.detail = "gamma search" + (" + perplexity links" if perplexity else "")

    def discover(self, symbol: str, queries: Sequence[str], as_of: datetime
                 ) -> list[MarketRecord]:
        found: list[MarketRecord] = []
        for query in queries:
            answer = self.client.search(query, limit_per_type=self.limit, events_status="active")
            read_at = self.now()
            found += [market_record(m, read_at) for m in _search_markets(answer)]
        if self.perplexity is not None:
            items = self.perplexity.narratives([symbol], start=as_of - timedelta(days=7),
                                               end=as_of)
            urls = [u for n in items for u in (n.url or "", *n.citations)]
            for slug in polymarket_slugs(urls)[: self.limit]:
                read_at = self.now()
                for event in self.client.events(slug=slug):
                    found += [market_record(m, read_at) for m in event.markets]
        return found

    def history(self, token_id: str, as_of: datetime) -> list[PriceObservation]:
        points = self.client.price_history(
            token_id, start=as_of - timedelta(hours=self.history_hours), end=as_of,
            fidelity_mins=5)
        return [PriceObservation(p.t.astimezone(UTC), p.p, "prices_history") for p in points]
