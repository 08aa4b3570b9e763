"""Build a run's sources from the command line's choices (feed, live keys)."""

from __future__ import annotations

from typing import assert_never

from shared.contracts import ProviderState
from shared.datadir import resolve_data_paths
from shared.errors import ConfigError
from shared.pipeline.settings import PipelineSettings
from shared.pipeline.sources import ProviderHealth, Sources
from shared.providers.feeds import OfflineFeed, offline_feed
from shared.providers.synthetic import SyntheticFeed
from shared.sentiment.offline import OfflineScorer

__all__ = ["build_offline_sources"]


def build_offline_sources(
    feed: str, *, seed: int, config: PipelineSettings, synthetic_edge: float | None = None
) -> Sources:
    """Sources that need no key and no network: the synthetic or the dataset feed (``replay``
    is its alias), scored by the offline sentiment model."""
    kind = offline_feed(feed)  # an unknown name is a ConfigError
    board = ProviderHealth()
    scorer = OfflineScorer()
    board.set("sentiment", ProviderState.OFFLINE, f"offline scorer {scorer.model_id}")
    if kind is OfflineFeed.SYNTHETIC:
        synthetic = SyntheticFeed(seed, edge=synthetic_edge)
        board.set("synthetic", ProviderState.OFFLINE, "embedded seeded feed")
        return Sources("synthetic", synthetic, synthetic, scorer, None, board,
                       market_provider="synthetic", news_provider="synthetic")
    if kind is OfflineFeed.DATASET:
        from shared.providers.dataset import DatasetFeed  # reads pandas files: import on use

        files = config.tracer.dataset
        if not files.bars:
            raise ConfigError("config/tracer.yaml: dataset.bars lists no files")
        symbols = list(files.bars)
        try:
            paths = resolve_data_paths([*files.bars.values(), *files.news])
        except ConfigError as e:
            raise ConfigError(f"config/tracer.yaml: dataset: {e}") from e
        feed_obj = DatasetFeed.from_paths(
            bars_files=dict(zip(symbols, paths, strict=False)),
            news_files=paths[len(symbols):],
            fetch_delay_mins=files.fetch_delay_mins,
        )
        name = DatasetFeed.name  # "replay", as runs have always recorded it
        board.set(name, ProviderState.OFFLINE, "recorded files")
        return Sources(name, feed_obj, feed_obj, scorer, None, board,
                       market_provider=name, news_provider=name)
    assert_never(kind)
