"""The records evaluation moves around: claims to resolve, observations, unresolved claims.

A *claim* is a forecast waiting for its outcome: a :class:`PriceClaim` (our ``p_up`` for a
symbol over a horizon) or a :class:`MarketClaim` (our probability for a Polymarket market,
next to the market's own price at decision time). Resolving a claim gives an
:class:`Observation` (``resolved``, or ``voided`` for a market settled 50/50) or an
:class:`Unresolved` with a reason; nothing is dropped silently.

Observations are rows of ``eval_runs/observations.csv``; :data:`OBSERVATION_COLUMNS` is the
column order and :func:`observation_row` / :func:`observation_from_row` convert.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum

from shared.contracts import AssetClass, Forecast, format_utc

__all__ = [
    "OBSERVATION_COLUMNS",
    "UNRESOLVED_COLUMNS",
    "MarketClaim",
    "MarketResolution",
    "Observation",
    "ObservationStatus",
    "PriceClaim",
    "Unresolved",
    "UnresolvedReason",
    "asset_class_for",
    "observation_from_row",
    "observation_row",
    "parse_utc",
    "price_forecast_id",
    "unresolved_row",
]

_CRYPTO_BASES = frozenset({"BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "LTC", "DOT", "AVAX", "BNB"})
_ETFS = frozenset({"SPY", "QQQ", "IWM", "DIA", "GLD", "SLV", "TLT", "VTI", "VOO", "EEM", "XLF"})


class ObservationStatus(StrEnum):
    RESOLVED = "resolved"
    VOIDED = "voided"  # a market settled 50/50: excluded from scores, counted


class UnresolvedReason(StrEnum):
    NO_BARS = "no_bars"  # the feed has no bars for the symbol around the forecast
    MISSING_BAR_AT_AS_OF = "missing_bar_at_as_of"  # no recent-enough bar closed by as_of
    MISSING_BAR_AT_TARGET = "missing_bar_at_target"  # a gap in bars at as_of + horizon
    STALE_DATA = "stale_data"  # the feed's newest bar closed before as_of + horizon
    FEED_ERROR = "feed_error"  # the feed failed transiently; retried on the next ingest
    NO_RESOLUTION_RECORD = "no_resolution_record"  # no market record was fetched
    MARKET_OPEN = "market_open"  # the market has not closed yet
    AMBIGUOUS_OUTCOME = "ambiguous_outcome_prices"  # closed, but prices are not 1/0 or 0.5/0.5
    BAD_RESOLUTION_RECORD = "bad_resolution_record"  # outcomes/outcomePrices do not parse
    PRICE_AFTER_CLOSE = "market_price_after_close"  # the "decision-time" price leaks the label
    FEED_UNAVAILABLE = "feed_unavailable"  # the forecast's own feed cannot be read here
    UNKNOWN_FEED = "unknown_feed"  # no resolver for the recorded feed; never resolved elsewhere


def parse_utc(text: str) -> datetime:
    """Parse an ISO-8601 time with an offset or ``Z`` (as :func:`format_utc` writes)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"time without a timezone: {text!r}")
    return value


def asset_class_for(symbol: str, overrides: dict[str, AssetClass] | None = None) -> AssetClass:
    """Classify a symbol: an override wins, then crypto pairs (``BTC-USD``, ``ETH/USD``,
    ``BTCUSD``), then well-known ETFs; anything else is a US equity."""
    if overrides and symbol in overrides:
        return overrides[symbol]
    upper = symbol.upper()
    base = upper.replace("/", "-").split("-")[0]
    if "/" in upper or upper.endswith(("-USD", "-USDT", "USDT")) or base in _CRYPTO_BASES:
        return AssetClass.CRYPTO
    if upper.endswith("USD") and upper[:-3] in _CRYPTO_BASES:
        return AssetClass.CRYPTO
    return AssetClass.ETF if upper in _ETFS else AssetClass.US_EQUITY


def price_forecast_id(run_id: str, forecast: Forecast) -> str:
    """The key of one price forecast: run id, symbol, as-of time and horizon."""
    return f"{run_id}:{forecast.symbol}:{format_utc(forecast.as_of)}:{forecast.horizon_hours}h"


@dataclass(frozen=True)
class PriceClaim:
    """A price forecast from a run artifact, waiting for its horizon to pass."""

    source: str
    run_id: str
    feed: str
    forecast: Forecast
    seed: int = 0  # the run's seed: the synthetic feed is resolved with it
    outcome_status: str = ""  # the run's outcome: triggered, suppressed, no_trigger, failed

    @property
    def forecast_id(self) -> str:
        return price_forecast_id(self.run_id, self.forecast)

    @property
    def target_at(self) -> datetime:
        return self.forecast.as_of + timedelta(hours=self.forecast.horizon_hours)


@dataclass(frozen=True)
class MarketClaim:
    """Our probability for a market's first outcome (YES) next to the market's own price.

    ``market_p`` must be read at decision time (``market_price_at`` <= ``decided_at``), before
    the market closed; a later price (such as Gamma's ``lastTradePrice``) leaks the outcome.
    """

    market_id: str
    run_id: str
    decided_at: datetime
    p: float
    market_p: float
    market_price_at: datetime
    bot: str
    bot_version: str
    feed: str = "polymarket"
    end_date: datetime | None = None  # when the market is due to resolve (None: ask now)

    @property
    def forecast_id(self) -> str:
        return f"{self.run_id}:polymarket-{self.market_id}:{format_utc(self.decided_at)}"


@dataclass(frozen=True)
class MarketResolution:
    """A market's resolution as the Gamma API reports it: ``closed``, and ``outcomes`` and
    ``outcomePrices`` as JSON-encoded string lists (``'["Yes", "No"]'``, ``'["1", "0"]'``)."""

    market_id: str
    closed: bool
    outcomes: str
    outcome_prices: str
    closed_time: datetime | None = None


@dataclass(frozen=True)
class Observation:
    """One forecast with its outcome; a row of ``observations.csv``.

    ``baseline_p`` is the reference forecast known at decision time: the point-in-time
    climatology (share of up-moves over the same horizon before ``as_of``) for price
    forecasts, the market price for market claims. ``y`` is None only when voided.
    """

    forecast_id: str
    source: str
    feed: str
    run_id: str
    symbol: str
    asset_class: str
    bot: str
    bot_version: str
    direction: str
    strength: float
    as_of: datetime
    horizon_hours: int | None
    target_at: datetime | None
    p: float
    y: int | None
    status: ObservationStatus
    baseline_kind: str
    baseline_p: float | None
    baseline_n: int | None
    as_of_bar_end: datetime | None
    as_of_close: float | None
    target_bar_end: datetime | None
    target_close: float | None
    resolved_at: datetime
    outcome_status: str = ""  # the run's outcome (a call or not); empty for market claims


OBSERVATION_COLUMNS: tuple[str, ...] = tuple(item.name for item in fields(Observation))


@dataclass(frozen=True)
class Unresolved:
    """A claim whose horizon has passed but which could not be resolved (yet)."""

    forecast_id: str
    source: str
    symbol: str
    as_of: datetime
    target_at: datetime | None
    reason: UnresolvedReason
    detail: str
    feed: str = ""  # the feed the claim was made on (and may only be resolved on)


UNRESOLVED_COLUMNS: tuple[str, ...] = tuple(item.name for item in fields(Unresolved))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, float):
        return repr(float(value))  # float() turns a numpy scalar into a plain repr
    return str(value)


def observation_row(observation: Observation) -> list[str]:
    """Render an observation as CSV cells (floats round-trip exactly via ``repr``)."""
    return [_cell(getattr(observation, name)) for name in OBSERVATION_COLUMNS]


def unresolved_row(item: Unresolved) -> list[str]:
    """Render an unresolved claim as CSV cells."""
    return [_cell(getattr(item, name)) for name in UNRESOLVED_COLUMNS]


def _opt(text: str) -> str | None:
    return text if text != "" else None


def observation_from_row(row: dict[str, str]) -> Observation:
    """Parse one CSV row (as from ``csv.DictReader``) back into an Observation."""

    def time_or_none(name: str) -> datetime | None:
        text = _opt(row[name])
        return None if text is None else parse_utc(text)

    def float_or_none(name: str) -> float | None:
        text = _opt(row[name])
        return None if text is None else float(text)

    def int_or_none(name: str) -> int | None:
        text = _opt(row[name])
        return None if text is None else int(text)

    return Observation(
        forecast_id=row["forecast_id"],
        source=row["source"],
        feed=row["feed"],
        run_id=row["run_id"],
        symbol=row["symbol"],
        asset_class=row["asset_class"],
        bot=row["bot"],
        bot_version=row["bot_version"],
        direction=row["direction"],
        strength=float(row["strength"]),
        as_of=parse_utc(row["as_of"]),
        horizon_hours=int_or_none("horizon_hours"),
        target_at=time_or_none("target_at"),
        p=float(row["p"]),
        y=int_or_none("y"),
        status=ObservationStatus(row["status"]),
        baseline_kind=row["baseline_kind"],
        baseline_p=float_or_none("baseline_p"),
        baseline_n=int_or_none("baseline_n"),
        as_of_bar_end=time_or_none("as_of_bar_end"),
        as_of_close=float_or_none("as_of_close"),
        target_bar_end=time_or_none("target_bar_end"),
        target_close=float_or_none("target_close"),
        resolved_at=parse_utc(row["resolved_at"]),
        outcome_status=row.get("outcome_status") or "",
    )
