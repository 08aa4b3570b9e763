"""Build a run's sources from the command line's choices (feed, live keys)."""

from __future__ import annotations

from shared.contracts import ProviderState
from shared.datadir import resolve_data_paths
from shared.errors import ConfigError
from shared.pipeline.settings import PipelineSettings
from shared.pipeline.sources import ProviderHealth, Sources
from shared.providers.synthetic import SyntheticFeed
from shared.sentiment.offline import OfflineScorer

__all__ = ["FEEDS", "build_offline_sources"]

FEEDS = ("synthetic", "replay")


def build_offline_sources(
    feed: str, *, seed: int, config: PipelineSettings, synthetic_edge: float | None = None
) -> Sources:
    """Sources that need no key and no network: the synthetic or the replay feed, scored
    by the offline sentiment model."""
    board = ProviderHealth()
    scorer = OfflineScorer()
    board.set("sentiment", ProviderState.OFFLINE, f"offline scorer {scorer.model_id}")
    if feed == "synthetic":
        synthetic = SyntheticFeed(seed, edge=synthetic_edge)
        board.set("synthetic", ProviderState.OFFLINE, "embedded seeded feed")
        return Sources("synthetic", synthetic, synthetic, scorer, None, board,
                       market_provider="synthetic", news_provider="synthetic")
    if feed == "replay":
        from shared.providers.replay import ReplayFeed  # reads pandas files: import on use

        replay = config.tracer.replay
        if not replay.bars:
            raise ConfigError("config/tracer.yaml: replay.bars lists no files")
        symbols = list(replay.bars)
        try:
            paths = resolve_data_paths([*replay.bars.values(), *replay.news])
        except ConfigError as e:
            raise ConfigError(f"config/tracer.yaml: replay: {e}") from e
        feed_obj = ReplayFeed.from_paths(
            bars_files=dict(zip(symbols, paths, strict=False)),
            news_files=paths[len(symbols):],
            fetch_delay_mins=replay.fetch_delay_mins,
        )
        board.set("replay", ProviderState.OFFLINE, "recorded files")
        return Sources("replay", feed_obj, feed_obj, scorer, None, board,
                       market_provider="replay", news_provider="replay")
    raise ConfigError(f"unknown feed {feed!r} (choose from {', '.join(FEEDS)})")
