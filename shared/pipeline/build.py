"""Build a run's sources from the command line's choices (feed, live keys)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, assert_never

from shared.contracts import ProviderState
from shared.datadir import resolve_data_paths
from shared.errors import ConfigError
from shared.pipeline.settings import PipelineSettings
from shared.pipeline.sources import ProviderHealth, Sources
from shared.providers.feeds import OfflineFeed, offline_feed
from shared.providers.synthetic import SyntheticFeed
from shared.sentiment.offline import OfflineScorer

if TYPE_CHECKING:
    from shared.providers.dataset import DatasetFeed

__all__ = ["build_offline_sources", "dataset_feed"]


def dataset_feed(config: PipelineSettings) -> DatasetFeed:
    """The dataset feed of ``config/tracer.yaml``'s ``dataset`` section (paths resolved
    against the data directory; a missing file is a ConfigError naming it)."""
    from shared.providers.dataset import DatasetFeed, NewsSource  # pandas files: on use
    from shared.providers.dataset_loaders import BarColumns
    from shared.providers.news_loaders import NewsColumns

    files = config.tracer.dataset
    if not files.bars:
        raise ConfigError("config/tracer.yaml: dataset.bars lists no files")
    bar_paths = files.bar_paths()
    symbols = list(bar_paths)
    try:
        paths = resolve_data_paths([*bar_paths.values(), *files.news_paths()])
    except ConfigError as e:
        raise ConfigError(f"config/tracer.yaml: dataset: {e}") from e
    news: list[NewsSource] = []
    for spec, path in zip(files.news, paths[len(symbols):], strict=True):
        if isinstance(spec, str):
            news.append(NewsSource(path))
            continue
        columns = NewsColumns(**spec.columns)
        delay = None if spec.fetch_delay_mins is None else timedelta(
            minutes=spec.fetch_delay_mins)
        news.append(NewsSource(path, columns, delay, spec.time_zone, dict(spec.symbol_map),
                               spec.source))
    mappings = {symbol: BarColumns.from_mapping(columns)
                for symbol, columns in files.bar_columns().items()}
    return DatasetFeed.from_paths(
        bars_files=dict(zip(symbols, paths, strict=False)),
        news_sources=news,
        fetch_delay_mins=files.fetch_delay_mins,
        timeframe=files.timeframe,
        calendar=files.calendar,
        bar_columns={s: m for s, m in mappings.items() if m is not None},
    )


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

        feed_obj = dataset_feed(config)
        name = DatasetFeed.name  # "replay", as runs have always recorded it
        board.set(name, ProviderState.OFFLINE, "recorded files")
        if feed_obj.bars_only:
            board.degrade("DATA_BARS_ONLY")
        return Sources(name, feed_obj, feed_obj, scorer, None, board,
                       market_provider=name, news_provider=name,
                       timeframe=feed_obj.timeframe)
    assert_never(kind)
