"""The feeds that resolve forecasts, by the feed each forecast was made on.

:func:`default_resolvers` fills :class:`shared.evaluation.resolve.ResolverRegistry` (the one
place that maps a recorded feed to its resolver) with the real feeds:

* ``synthetic``: the seeded synthetic feed, built with the seed the run recorded;
* ``replay`` / ``dataset``: the recorded public data sets (bars only), read from the data
  directory; when it is not installed the forecasts stay unresolved (``feed_unavailable``);
* ``live`` / ``alpaca``: Alpaca bars through the same client and HTTP policy the runs use
  (timeouts, retries, breaker); without Alpaca keys the live forecasts stay unresolved
  (``feed_unavailable``): offline by default, never resolved on another feed.

Feeds are built lazily, so an ingest with only synthetic forecasts never reads the dataset
or calls Alpaca.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from shared.errors import ProviderError
from shared.evaluation.records import MarketResolution
from shared.evaluation.resolve import RECORDED_FEEDS, BarSource, FeedKind, ResolverRegistry
from shared.providers.alpaca import AlpacaMarketData
from shared.providers.polymarket import PolymarketClient
from shared.providers.synthetic import SyntheticFeed
from shared.settings import Settings

__all__ = [
    "GAMMA_BATCH",
    "NO_ALPACA_KEYS",
    "GammaLookup",
    "default_resolvers",
    "gamma_lookup",
    "recorded_names",
]

logger = logging.getLogger(__name__)

GAMMA_BATCH = 50  # market ids per ``GET /markets`` (repeated ``id`` keys)
GammaLookup = Callable[[Sequence[str]], Mapping[str, MarketResolution]]
"""Market ids → their resolution records as Gamma reports them (missing ids: no record)."""

NO_ALPACA_KEYS = ("no Alpaca keys (APCA_API_KEY_ID, APCA_API_SECRET_KEY): live forecasts wait "
                  "for the live feed")


def recorded_names(kind: FeedKind) -> tuple[str, ...]:
    """The recorded feed names of one kind (``dataset`` → ``dataset``, ``replay``)."""
    return tuple(sorted(name for name, k in RECORDED_FEEDS.items() if k is kind))


def _dataset(_seed: int) -> BarSource:
    # the dataset of config/tracer.yaml, the one `tb run --feed dataset` decided on (its
    # files, timeframe and column mappings); a missing file is a ConfigError that leaves
    # those forecasts unresolved (feed_unavailable), with the reason
    from shared.pipeline.build import dataset_feed
    from shared.pipeline.settings import load_pipeline_settings

    feed: BarSource = dataset_feed(load_pipeline_settings())
    return feed


def default_resolvers(
    settings: Settings, *, session: requests.Session | None = None, **alpaca: Any
) -> ResolverRegistry:
    """The registry of real resolvers; ``session`` and ``alpaca`` reach the Alpaca client
    (tests inject a ``responses``-mocked session, a no-op sleep)."""
    factories: dict[str, Any] = {
        name: (lambda seed: SyntheticFeed(seed)) for name in recorded_names(FeedKind.SYNTHETIC)}
    dataset: list[BarSource] = []

    def shared_dataset(seed: int) -> BarSource:
        if not dataset:  # one read of the files for both names
            dataset.append(_dataset(seed))
        return dataset[0]

    factories.update({name: shared_dataset for name in recorded_names(FeedKind.DATASET)})
    unavailable: dict[str, str] = {}
    if settings.has_keys_for("alpaca"):
        client: list[BarSource] = []

        def live(_seed: int) -> BarSource:
            if not client:
                client.append(AlpacaMarketData.from_settings(settings, session=session,
                                                             **alpaca))
            return client[0]

        factories.update({name: live for name in recorded_names(FeedKind.LIVE)})
    else:
        unavailable.update({name: NO_ALPACA_KEYS for name in recorded_names(FeedKind.LIVE)})
    return ResolverRegistry(factories=factories, unavailable=unavailable,
                            seeded=frozenset(recorded_names(FeedKind.SYNTHETIC)))


def gamma_lookup(client: PolymarketClient) -> GammaLookup:
    """Resolution records from Gamma ``GET /markets?id=…`` through the Polymarket client (its
    HTTP policy: timeouts, retries, breaker). A failed batch is logged and left out, so its
    markets stay unresolved (``no_resolution_record``) and are asked again next time."""

    def lookup(market_ids: Sequence[str]) -> Mapping[str, MarketResolution]:
        ids = sorted(set(market_ids))
        out: dict[str, MarketResolution] = {}
        for start in range(0, len(ids), GAMMA_BATCH):
            batch = ids[start:start + GAMMA_BATCH]
            try:
                markets = client.markets(ids=batch, limit=len(batch))
            except ProviderError as e:
                logger.warning("gamma: %d markets not fetched: %s", len(batch), e)
                continue
            for market in markets:
                if market.id in batch:
                    out[market.id] = MarketResolution(
                        market_id=market.id,
                        closed=bool(market.closed),
                        outcomes=json.dumps(market.outcomes),
                        outcome_prices=json.dumps([repr(float(p)) for p in
                                                   market.outcome_prices]),
                        closed_time=market.closed_time,
                    )
        return out

    return lookup
