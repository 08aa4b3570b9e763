"""Resolve claims into observations: price forecasts from bars, market claims from Gamma.

Price rule: ``y = 1`` when the close at ``as_of + horizon`` is above the close at ``as_of``.
"The close at t" is the close of the last bar that had *closed* by t (``end <= t``), and it
must be recent: ``t - end <= max_bar_age``, or the claim is unresolved with a reason.

Climatology (the reference forecast) is the share of up-moves over the same horizon among
bar pairs that had both closed by ``as_of``, over a trailing ``lookback`` (falling back to
all earlier history when the window holds fewer than ``min_pairs``): point-in-time, never
the in-sample outcome mean.

Each forecast is resolved on its *own* feed (:class:`ResolverRegistry`): a forecast made on the
seeded synthetic feed on that feed with the run's seed, one made on the recorded dataset on
the dataset, a live one on the live bars (Alpaca). A forecast whose feed has no resolver here
(an unknown feed name, a dataset that is not installed, a live feed without its client) stays
unresolved with a registered reason (``feed_unavailable`` / ``unknown_feed``); it is never
resolved on another feed, so a dataset forecast for ETH in 2022 can never meet a synthetic
close.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

import numpy as np
import pandas as pd

from shared.contracts import AssetClass, Timeframe
from shared.errors import PipelineError
from shared.evaluation.records import (
    MarketClaim,
    MarketResolution,
    Observation,
    ObservationStatus,
    PriceClaim,
    Unresolved,
    UnresolvedReason,
    asset_class_for,
)

__all__ = [
    "RECORDED_FEEDS",
    "BarIndex",
    "BarSource",
    "FeedKind",
    "FeedUnavailable",
    "ResolutionPolicy",
    "ResolverRegistry",
    "climatology",
    "feed_kind",
    "resolve_market",
    "resolve_price",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ns(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(microseconds=1) * 1000


def _td_ns(value: timedelta) -> int:
    return value // timedelta(microseconds=1) * 1000


def _from_ns(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value // 1000)


class FeedKind(StrEnum):
    """The three kinds of bar feed a forecast can be made on, hence resolved on."""

    SYNTHETIC = "synthetic"  # the seeded synthetic feed: resolved with the run's seed
    DATASET = "dataset"  # the recorded public data sets (recorded in runs as "replay")
    LIVE = "live"  # the real market data (Alpaca bars)


RECORDED_FEEDS: Mapping[str, FeedKind] = {
    "synthetic": FeedKind.SYNTHETIC,
    "dataset": FeedKind.DATASET,
    "replay": FeedKind.DATASET,  # the dataset feed's recorded name (shared.providers.feeds)
    "live": FeedKind.LIVE,
    "alpaca": FeedKind.LIVE,
}
"""Feed names as runs record them (``manifest.feed``) → the kind of feed that resolves them."""


def feed_kind(recorded: str) -> FeedKind | None:
    """The kind of a recorded feed name, or None for a name no resolver knows."""
    return RECORDED_FEEDS.get(recorded)


class BarSource(Protocol):
    """What a resolver needs of a feed (structurally :class:`shared.providers.base.MarketFeed`,
    named here so evaluation does not import the providers on its own floor)."""

    name: str

    def bars(
        self, symbols: Sequence[str], *, start: datetime, end: datetime, timeframe: Timeframe
    ) -> dict[str, pd.DataFrame]: ...


@dataclass(frozen=True)
class FeedUnavailable:
    """Why a feed cannot resolve here: its claims stay unresolved with this reason."""

    reason: UnresolvedReason
    detail: str


BarSourceFactory = Callable[[int], BarSource]
"""Builds a feed for a run's seed (only the synthetic feed uses it)."""


@dataclass(frozen=True)
class ResolverRegistry:
    """Recorded feed name → the feed that resolves its forecasts; the one place that decides.

    ``factories`` are keyed by recorded feed name (``synthetic``, ``replay``, ``live`` …) and
    built lazily, once per (feed, seed), so a feed nobody asks for is never built (the
    dataset is not read, Alpaca is not called). ``unavailable`` names feeds that are known but
    cannot resolve here, with why. Anything else is ``unknown_feed``.
    """

    factories: Mapping[str, BarSourceFactory] = field(default_factory=dict)
    unavailable: Mapping[str, str] = field(default_factory=dict)
    seeded: frozenset[str] = frozenset({"synthetic"})
    _built: dict[tuple[str, int], BarSource | FeedUnavailable] = field(
        default_factory=dict, compare=False, repr=False)

    @classmethod
    def only(cls, recorded: str, source: BarSource) -> ResolverRegistry:
        """A registry with one feed (tests and tools that hold a feed already)."""
        return cls(factories={recorded: lambda _seed: source}, seeded=frozenset())

    def key(self, recorded: str, seed: int) -> tuple[str, int]:
        """Claims with equal keys share one feed (and one fetch)."""
        return (recorded, seed if recorded in self.seeded else 0)

    def resolver(self, recorded: str, seed: int = 0) -> BarSource | FeedUnavailable:
        """The feed for forecasts recorded on ``recorded`` (with ``seed``), or why not."""
        key = self.key(recorded, seed)
        if key not in self._built:
            self._built[key] = self._build(recorded, key[1])
        return self._built[key]

    def _build(self, recorded: str, seed: int) -> BarSource | FeedUnavailable:
        if recorded in self.unavailable:
            return FeedUnavailable(UnresolvedReason.FEED_UNAVAILABLE, self.unavailable[recorded])
        factory = self.factories.get(recorded)
        if factory is None:
            known = ", ".join(sorted(self.factories)) or "none"
            return FeedUnavailable(
                UnresolvedReason.UNKNOWN_FEED,
                f"no resolver for feed {recorded!r} (resolvers: {known}); never resolved "
                "on another feed")
        try:
            return factory(seed)
        except PipelineError as e:  # a dataset that is not installed, a bad config
            return FeedUnavailable(UnresolvedReason.FEED_UNAVAILABLE, str(e)[:500])


@dataclass(frozen=True)
class ResolutionPolicy:
    """How old the bar behind "the close at t" may be, per asset class, and the climatology
    window. Equities get four days so a weekend or a holiday is not a gap."""

    max_bar_age: dict[AssetClass, timedelta] = field(
        default_factory=lambda: {
            AssetClass.CRYPTO: timedelta(hours=1),
            AssetClass.US_EQUITY: timedelta(days=4),
            AssetClass.ETF: timedelta(days=4),
        }
    )
    climatology_lookback: timedelta = timedelta(days=30)
    climatology_min_pairs: int = 24
    asset_classes: dict[str, AssetClass] = field(default_factory=dict)


@dataclass(frozen=True)
class BarIndex:
    """A symbol's bar end times (int ns, ascending) and closes, for fast point lookups."""

    end_ns: np.ndarray
    close: np.ndarray

    @classmethod
    def empty(cls) -> BarIndex:
        """An index with no bars."""
        return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> BarIndex:
        """Index a bar frame (see :mod:`shared.contracts.frames`)."""
        if frame.empty:
            return cls.empty()
        ends = frame["end"].dt.tz_convert("UTC").dt.as_unit("ns").astype("int64")
        order = np.argsort(ends.to_numpy(), kind="stable")
        return cls(ends.to_numpy()[order], frame["close"].to_numpy(dtype=np.float64)[order])

    def last_closed(self, at: datetime) -> int | None:
        """Position of the last bar with ``end <= at``, or None."""
        pos = int(np.searchsorted(self.end_ns, _ns(at), side="right")) - 1
        return pos if pos >= 0 else None


def climatology(
    bars: BarIndex, as_of: datetime, horizon: timedelta, policy: ResolutionPolicy
) -> tuple[float | None, int]:
    """Share of up-moves over ``horizon`` known at ``as_of``, and how many pairs it used."""
    h_ns, as_of_ns = _td_ns(horizon), _ns(as_of)
    stop = int(np.searchsorted(bars.end_ns, as_of_ns - h_ns, side="right"))
    for window_start_ns in (as_of_ns - _td_ns(policy.climatology_lookback), None):
        start = (
            0
            if window_start_ns is None
            else int(np.searchsorted(bars.end_ns, window_start_ns, side="left"))
        )
        if stop <= start:
            continue
        ends = bars.end_ns[start:stop]
        later = np.searchsorted(bars.end_ns, ends + h_ns, side="left")
        later = np.minimum(later, bars.end_ns.size - 1)
        paired = bars.end_ns[later] == ends + h_ns
        n_pairs = int(np.count_nonzero(paired))
        if n_pairs >= policy.climatology_min_pairs or window_start_ns is None:
            if n_pairs == 0:
                return None, 0
            ups = int(np.count_nonzero(bars.close[later[paired]] > bars.close[start:stop][paired]))
            return ups / n_pairs, n_pairs
    return None, 0


def resolve_price(
    claim: PriceClaim,
    bars: BarIndex,
    *,
    resolved_at: datetime,
    policy: ResolutionPolicy,
) -> Observation | Unresolved:
    """Resolve one price claim from bars that closed by ``resolved_at`` (the ingest time)."""
    forecast = claim.forecast
    asset_class = asset_class_for(forecast.symbol, policy.asset_classes)
    max_age = policy.max_bar_age.get(asset_class, timedelta(hours=1))

    def unresolved(reason: UnresolvedReason, detail: str) -> Unresolved:
        return Unresolved(
            claim.forecast_id,
            claim.source,
            forecast.symbol,
            forecast.as_of,
            claim.target_at,
            reason,
            detail,
            claim.feed,
        )

    if bars.end_ns.size == 0:
        return unresolved(UnresolvedReason.NO_BARS, "the feed returned no bars")
    start = bars.last_closed(forecast.as_of)
    if start is None or _ns(forecast.as_of) - int(bars.end_ns[start]) > _td_ns(max_age):
        return unresolved(
            UnresolvedReason.MISSING_BAR_AT_AS_OF,
            f"no bar closed within {max_age} before {forecast.as_of.isoformat()}",
        )
    if int(bars.end_ns[-1]) < _ns(claim.target_at):
        newest = _from_ns(int(bars.end_ns[-1])).isoformat()
        return unresolved(UnresolvedReason.STALE_DATA, f"newest bar closed at {newest}")
    stop = bars.last_closed(claim.target_at)
    assert stop is not None  # the newest bar closed after the target, start before it
    if _ns(claim.target_at) - int(bars.end_ns[stop]) > _td_ns(max_age):
        return unresolved(
            UnresolvedReason.MISSING_BAR_AT_TARGET,
            f"no bar closed within {max_age} before {claim.target_at.isoformat()}",
        )
    base, n_pairs = climatology(bars, forecast.as_of, claim.target_at - forecast.as_of, policy)
    close_start, close_stop = float(bars.close[start]), float(bars.close[stop])
    return Observation(
        forecast_id=claim.forecast_id,
        source=claim.source,
        feed=claim.feed,
        run_id=claim.run_id,
        symbol=forecast.symbol,
        asset_class=asset_class.value,
        bot=forecast.bot,
        bot_version=forecast.bot_version,
        direction=forecast.direction.value,
        strength=forecast.strength,
        as_of=forecast.as_of,
        horizon_hours=forecast.horizon_hours,
        target_at=claim.target_at,
        p=forecast.p_up,
        y=int(close_stop > close_start),
        status=ObservationStatus.RESOLVED,
        baseline_kind="climatology",
        baseline_p=base,
        baseline_n=n_pairs,
        as_of_bar_end=_from_ns(int(bars.end_ns[start])),
        as_of_close=close_start,
        target_bar_end=_from_ns(int(bars.end_ns[stop])),
        target_close=close_stop,
        resolved_at=resolved_at,
        outcome_status=claim.outcome_status,
    )


def _parse_list(text: str) -> list[str] | None:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    return value


def resolve_market(
    claim: MarketClaim, resolution: MarketResolution | None, *, resolved_at: datetime
) -> Observation | Unresolved:
    """Resolve a market claim: ``y = 1`` when the first outcome settled at "1".

    A market settled ``["0.5", "0.5"]`` is voided (an observation with status ``voided``
    and no ``y``). Prices other than exact 1/0 pairs are never rounded into an outcome.
    """
    close_at = None if resolution is None else resolution.closed_time

    def unresolved(reason: UnresolvedReason, detail: str) -> Unresolved:
        return Unresolved(
            claim.forecast_id,
            "polymarket",
            claim.market_id,
            claim.decided_at,
            close_at,
            reason,
            detail,
            claim.feed,
        )

    if resolution is None:
        return unresolved(UnresolvedReason.NO_RESOLUTION_RECORD, "no Gamma record fetched")
    if not resolution.closed:
        return unresolved(UnresolvedReason.MARKET_OPEN, "closed is false")
    if close_at is not None and max(claim.market_price_at, claim.decided_at) >= close_at:
        return unresolved(
            UnresolvedReason.PRICE_AFTER_CLOSE,
            f"decision or market price at/after the close {close_at.isoformat()}",
        )
    outcomes, prices = _parse_list(resolution.outcomes), _parse_list(resolution.outcome_prices)
    if outcomes is None or prices is None or len(outcomes) != 2 or len(prices) != 2:
        return unresolved(
            UnresolvedReason.BAD_RESOLUTION_RECORD,
            f"outcomes={resolution.outcomes!r} outcomePrices={resolution.outcome_prices!r}",
        )
    values = _parse_prices(prices)
    voided = values == (0.5, 0.5)
    if values is None or (not voided and values not in ((1.0, 0.0), (0.0, 1.0))):
        return unresolved(UnresolvedReason.AMBIGUOUS_OUTCOME, f"outcomePrices={prices}")
    return Observation(
        forecast_id=claim.forecast_id,
        source="polymarket",
        feed=claim.feed,
        run_id=claim.run_id,
        symbol=claim.market_id,
        asset_class="prediction_market",
        bot=claim.bot,
        bot_version=claim.bot_version,
        direction="up" if claim.p > 0.5 else ("down" if claim.p < 0.5 else "flat"),
        strength=abs(claim.p - 0.5) * 2.0,
        as_of=claim.decided_at,
        horizon_hours=None,
        target_at=close_at,
        p=claim.p,
        y=None if voided else int(values[0] == 1.0),
        status=ObservationStatus.VOIDED if voided else ObservationStatus.RESOLVED,
        baseline_kind="market_price",
        baseline_p=claim.market_p,
        baseline_n=None,
        as_of_bar_end=None,
        as_of_close=None,
        target_bar_end=None,
        target_close=None,
        resolved_at=resolved_at,
    )


# Each price as a float ("1", "1.0" and "1e0" are all 1); None for anything unparseable.
def _parse_prices(prices: list[str]) -> tuple[float, ...] | None:
    try:
        return tuple(float(item) for item in prices)
    except ValueError:
        return None
