"""Build a run's sources from the command line's choices (feed, live keys)."""

from __future__ import annotations

from pathlib import Path

from functions.tracer.config import TracerSettings
from shared.config import project_root
from shared.contracts import ProviderState
from shared.errors import ConfigError
from shared.pipeline.sources import ProviderHealth, Sources
from shared.providers.synthetic import SyntheticFeed
from shared.sentiment.offline import OfflineScorer

__all__ = ["FEEDS", "build_offline_sources", "resolve_data_path"]

FEEDS = ("synthetic", "replay")


def resolve_data_path(value: str) -> Path:
    """A config path: absolute, or relative to the project root."""
    path = Path(value)
    return path if path.is_absolute() else (project_root() / path).resolve()


def build_offline_sources(
    feed: str, *, seed: int, config: TracerSettings, synthetic_edge: float | None = None
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
        missing = [p for p in [*replay.bars.values(), *replay.news]
                   if not resolve_data_path(p).is_file()]
        if missing:
            raise ConfigError(
                "config/tracer.yaml: replay files not found: " + ", ".join(missing)
                + " (the public data set belongs in ../shared/data beside the repo)"
            )
        feed_obj = ReplayFeed.from_paths(
            bars_files={s: resolve_data_path(p) for s, p in replay.bars.items()},
            news_files=[resolve_data_path(p) for p in replay.news],
            fetch_delay_mins=replay.fetch_delay_mins,
        )
        board.set("replay", ProviderState.OFFLINE, "recorded files")
        return Sources("replay", feed_obj, feed_obj, scorer, None, board,
                       market_provider="replay", news_provider="replay")
    raise ConfigError(f"unknown feed {feed!r} (choose from {', '.join(FEEDS)})")
