"""``tb eval ingest`` resolves each forecast on the feed it was made on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from functions.eval.ingest import ingest
from shared.errors import ConfigError
from shared.evaluation.records import Observation, PriceClaim, Unresolved, UnresolvedReason
from shared.evaluation.resolve import ResolverRegistry
from shared.providers.base import MarketFeed
from shared.providers.dataset import DatasetFeed
from shared.providers.synthetic import SyntheticFeed
from tests.helpers.eval_fixtures import make_forecast

FIXTURES = Path(__file__).parents[2] / "fixtures" / "datasets"
T = datetime(2023, 1, 2, 1, 0, tzinfo=UTC)  # generic_any_order.dat: hourly 00:00..05:00


def _claim(feed: str, symbol: str, as_of: datetime, horizon_hours: int = 2) -> PriceClaim:
    return PriceClaim("tracer_run", f"{feed:0<16}"[:16], feed,
                      make_forecast(symbol, as_of, 0.7, horizon_hours=horizon_hours))


def _dataset() -> MarketFeed:
    return DatasetFeed({"BTC-USD": FIXTURES / "generic_any_order.dat"})


def _one(result: object, cls: type) -> object:
    items = [*result.observations, *result.unresolved]  # type: ignore[attr-defined]
    assert len(items) == 1 and isinstance(items[0], cls), items
    return items[0]


def test_dataset_forecast_resolves_on_the_dataset_close() -> None:
    resolvers = ResolverRegistry(factories={"replay": lambda _seed: _dataset()})
    result = ingest([_claim("replay", "BTC-USD", T)], resolvers=resolvers,
                    as_of=T + timedelta(hours=4))
    obs = _one(result, Observation)
    assert isinstance(obs, Observation)
    bars = pd.read_csv(FIXTURES / "generic_any_order.dat")
    closes = dict(zip(bars["Timestamp"], bars["close"], strict=True))
    assert obs.as_of_close == closes["2023-01-02T00:00:00Z"]  # the bar closed at 01:00
    assert obs.target_close == closes["2023-01-02T02:00:00Z"]  # the bar closed at 03:00


def test_each_feed_resolves_its_own_and_live_stays_unresolved_with_a_reason() -> None:
    calls: list[str] = []

    def counting(name: str, make: Callable[[], MarketFeed]) -> Callable[[int], MarketFeed]:
        def factory(_seed: int) -> MarketFeed:
            calls.append(name)
            return make()
        return factory

    resolvers = ResolverRegistry(factories={
        "replay": counting("replay", _dataset),
        "synthetic": counting("synthetic", lambda: SyntheticFeed(7))})
    syn_t = datetime(2026, 1, 5, 12, tzinfo=UTC)
    claims = [_claim("replay", "BTC-USD", T), _claim("synthetic", "BTC-USD", syn_t),
              _claim("live", "BTC-USD", T)]
    result = ingest(claims, resolvers=resolvers, as_of=syn_t + timedelta(days=1))
    assert sorted(calls) == ["replay", "synthetic"]
    assert len(result.observations) == 2
    (live,) = result.unresolved
    assert isinstance(live, Unresolved)
    assert live.reason is UnresolvedReason.UNKNOWN_FEED and "never resolved" in live.detail


def test_feed_that_cannot_open_leaves_its_forecasts_unresolved() -> None:
    def missing() -> MarketFeed:
        raise ConfigError("dataset feed: files not found: ['x.csv']")

    result = ingest([_claim("replay", "BTC-USD", T)],
                    resolvers=ResolverRegistry(factories={"replay": lambda _seed: missing()}),
                    as_of=T + timedelta(hours=4))
    item = _one(result, Unresolved)
    assert isinstance(item, Unresolved)
    assert item.reason is UnresolvedReason.FEED_UNAVAILABLE and "x.csv" in item.detail


def test_daily_dataset_resolves_across_a_weekend() -> None:
    feed = DatasetFeed({"AAPL": FIXTURES / "yahoo_nulls.csv"}, timeframe=_day())
    friday = datetime(2012, 7, 6, 21, 0, tzinfo=UTC)  # after Friday's close (20:00Z)
    result = ingest([_claim("replay", "AAPL", friday, horizon_hours=72)],
                    resolvers=ResolverRegistry(factories={"replay": lambda _seed: feed}),
                    as_of=friday + timedelta(days=5))
    obs = _one(result, Observation)
    assert isinstance(obs, Observation) and obs.target_bar_end is not None
    assert obs.target_bar_end == datetime(2012, 7, 9, 20, 0, tzinfo=UTC)  # Monday's close


def _day():  # type: ignore[no-untyped-def]
    from shared.contracts import Timeframe

    return Timeframe.DAY
