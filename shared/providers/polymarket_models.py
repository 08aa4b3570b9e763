"""Typed results of the Polymarket Gamma and CLOB read endpoints.

Parsing rules (types as the services send them): decimal strings and numbers both become
``float``; ``""`` in an optional number means absent; ``outcomes``, ``outcomePrices`` and
``clobTokenIds`` arrive as JSON-encoded strings and become lists, which must be index-aligned.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "BookLevel",
    "GammaEvent",
    "GammaMarket",
    "Midpoint",
    "OrderBook",
    "PriceHistory",
    "PricePoint",
    "SearchResult",
]


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _json_list(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    if isinstance(value, str):
        return json.loads(value)  # a ValueError here becomes a validation error
    return value


def _epoch_ms(value: Any) -> Any:
    if isinstance(value, str) and value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    return value


def _epoch_secs(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    return value


Decimalish = Annotated[float | None, BeforeValidator(_blank_to_none)]
JsonList = BeforeValidator(_json_list)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class GammaMarket(_Wire):
    """One binary market (``GET /markets`` item, or nested in an event)."""

    id: str
    question: str | None = None
    condition_id: str | None = Field(default=None, alias="conditionId")
    slug: str | None = None
    description: str | None = None
    start_date: datetime | None = Field(default=None, alias="startDate")
    end_date: datetime | None = Field(default=None, alias="endDate")
    closed_time: Annotated[datetime | None, BeforeValidator(_blank_to_none)] = Field(
        default=None, alias="closedTime"
    )
    active: bool | None = None
    closed: bool | None = None
    archived: bool | None = None
    accepting_orders: bool | None = Field(default=None, alias="acceptingOrders")
    enable_order_book: bool | None = Field(default=None, alias="enableOrderBook")
    neg_risk: bool | None = Field(default=None, alias="negRisk")
    volume: Decimalish = None
    liquidity: Decimalish = None
    volume_24hr: Decimalish = Field(default=None, alias="volume24hr")
    best_bid: Decimalish = Field(default=None, alias="bestBid")
    best_ask: Decimalish = Field(default=None, alias="bestAsk")
    last_trade_price: Decimalish = Field(default=None, alias="lastTradePrice")
    spread: Decimalish = None
    uma_resolution_status: str | None = Field(default=None, alias="umaResolutionStatus")
    outcomes: Annotated[list[str], JsonList] = Field(default_factory=list)
    outcome_prices: Annotated[list[float], JsonList] = Field(
        default_factory=list, alias="outcomePrices"
    )
    clob_token_ids: Annotated[list[str], JsonList] = Field(
        default_factory=list, alias="clobTokenIds"
    )

    @model_validator(mode="after")
    def _aligned(self) -> Self:
        for name in ("outcome_prices", "clob_token_ids"):
            values = getattr(self, name)
            if values and len(values) != len(self.outcomes):
                raise ValueError(
                    f"{name} has {len(values)} entries for {len(self.outcomes)} outcomes"
                )
        return self

    def price_of(self, outcome: str) -> float | None:
        """The implied probability of ``outcome`` (e.g. ``"Yes"``), if priced."""
        if outcome in self.outcomes and self.outcome_prices:
            return self.outcome_prices[self.outcomes.index(outcome)]
        return None


class GammaEvent(_Wire):
    """An event and its markets (``GET /events`` item, ``/public-search`` events)."""

    id: str
    slug: str | None = None
    title: str | None = None
    description: str | None = None
    start_date: datetime | None = Field(default=None, alias="startDate")
    end_date: datetime | None = Field(default=None, alias="endDate")
    active: bool | None = None
    closed: bool | None = None
    volume: Decimalish = None
    liquidity: Decimalish = None
    markets: list[GammaMarket] = Field(default_factory=list)


class SearchResult(_Wire):
    """``GET /public-search``: matching events (with their markets)."""

    events: list[GammaEvent] = Field(default_factory=list)
    has_more: bool | None = None
    total_results: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten_pagination(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("pagination"), dict):
            pagination = data["pagination"]
            data = {
                **data,
                "has_more": pagination.get("hasMore"),
                "total_results": pagination.get("totalResults"),
            }
        if isinstance(data, dict) and data.get("events") is None:
            data = {**data, "events": []}
        return data


class BookLevel(_Wire):
    price: float
    size: float


class OrderBook(_Wire):
    """``GET /book``. Bids come ascending and asks descending (best last); use the properties."""

    market: str
    asset_id: str
    timestamp: Annotated[datetime, BeforeValidator(_epoch_ms)]
    hash: str | None = None
    bids: list[BookLevel]
    asks: list[BookLevel]
    min_order_size: Decimalish = None
    tick_size: Decimalish = None
    neg_risk: bool | None = None
    last_trade_price: Decimalish = None

    @property
    def best_bid(self) -> float | None:
        return max((level.price for level in self.bids), default=None)

    @property
    def best_ask(self) -> float | None:
        return min((level.price for level in self.asks), default=None)


class PricePoint(_Wire):
    """One point of ``GET /prices-history``: ``t`` (unix seconds on the wire) and price."""

    t: Annotated[datetime, BeforeValidator(_epoch_secs)]
    p: float = Field(ge=0.0, le=1.0)


class PriceHistory(_Wire):
    """``GET /prices-history``."""

    history: list[PricePoint]


class Midpoint(_Wire):
    """``GET /midpoint``."""

    mid: float = Field(ge=0.0, le=1.0)
