"""Build a universe run's sources from the command line's choices (feed, live, fixture)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from functions.universe.polymarket_sources import (
    FixturePolymarket,
    LivePolymarket,
    PolymarketSource,
)
from shared.config import project_root
from shared.contracts import Narrative, ProviderState, ProviderStatus, Timeframe
from shared.errors import ConfigError
from shared.pipeline.build import build_offline_sources
from shared.pipeline.settings import PipelineSettings
from shared.pipeline.sources import Sources
from shared.providers.synthetic import SymbolProfile, SyntheticFeed, default_profile
from shared.universe.calendars import SessionFeed
from shared.universe.config import UniverseConfig

__all__ = ["OneSymbolAtATime", "UniverseSources", "build_universe_sources",
           "synthetic_profiles"]

logger = logging.getLogger(__name__)


@dataclass
class UniverseSources(Sources):
    """The pipeline's :class:`~shared.pipeline.Sources`, plus the one provider only the
    universe reads: Polymarket.

    ``market`` already keeps equities to their sessions. Per-symbol provider failures are
    recorded on each symbol (so that shards merge to the unsharded result), never on the
    run's health, which therefore holds each provider's status before the run."""

    polymarket: PolymarketSource | None = None
    polymarket_status: ProviderStatus = ProviderStatus(
        provider="polymarket", state=ProviderState.SKIPPED, detail="not requested")

    @property
    def setup(self) -> tuple[ProviderStatus, ...]:
        return self.board.ordered()


def synthetic_profiles(config: UniverseConfig) -> dict[str, SymbolProfile]:
    """Each symbol's synthetic profile, with its display name in the headlines."""
    out = {}
    for spec in config.symbols:
        profile = default_profile(spec.symbol)
        out[spec.symbol] = dataclasses.replace(profile, name=spec.name)
    return out


class OneSymbolAtATime:
    """The synthetic feed, one symbol at a time: a fresh feed per symbol, kept while that
    symbol is being processed. The feed caches each symbol's whole generated history (years
    of hourly series), which is right for one symbol and grows without bound over a universe;
    its output depends only on (seed, symbol, time), so a fresh instance gives the same data.
    """

    name = "synthetic"

    def __init__(self, factory: Callable[[], SyntheticFeed]) -> None:
        self._factory = factory
        self._current: tuple[tuple[str, ...], SyntheticFeed] | None = None

    def _feed(self, symbols: Sequence[str]) -> SyntheticFeed:
        key = tuple(symbols)
        if self._current is None or self._current[0] != key:
            self._current = (key, self._factory())
        return self._current[1]

    def bars(self, symbols: Sequence[str], *, start: datetime, end: datetime,
             timeframe: Timeframe) -> dict[str, pd.DataFrame]:
        return self._feed(symbols).bars(symbols, start=start, end=end, timeframe=timeframe)

    def narratives(self, symbols: Sequence[str], *, start: datetime, end: datetime
                   ) -> list[Narrative]:
        return self._feed(symbols).narratives(symbols, start=start, end=end)


def build_universe_sources(
    feed: str,
    *,
    seed: int,
    config: UniverseConfig,
    tracer: PipelineSettings,
    live: bool = False,
    polymarket_fixture: Path | None = None,
    synthetic_edge: float | None = None,
) -> UniverseSources:
    base = _base_sources(feed, seed=seed, config=config, tracer=tracer, live=live,
                         synthetic_edge=synthetic_edge)
    calendars = {spec.symbol: config.calendar(spec) for spec in config.symbols}
    market = SessionFeed(base.market, calendars.get)
    polymarket, status = _polymarket(config, live=live, fixture=polymarket_fixture)
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    return UniverseSources(**(fields | {"market": market}), polymarket=polymarket,
                           polymarket_status=status)


def _base_sources(feed: str, *, seed: int, config: UniverseConfig, tracer: PipelineSettings,
                  live: bool, synthetic_edge: float | None) -> Sources:
    if live:
        try:
            from shared.pipeline.live import (  # type: ignore[import-not-found,unused-ignore]
                build_live_sources,
            )
        except ImportError:
            logger.warning("live market/news sources are not available in this build; "
                           "using the offline %s feed (Polymarket stays live)", feed)
        else:
            sources: Sources = build_live_sources(seed=seed, config=tracer)
            return sources
    if feed == "synthetic":
        sources = build_offline_sources("synthetic", seed=seed, config=tracer,
                                        synthetic_edge=synthetic_edge)
        profiles = synthetic_profiles(config)
        synthetic = OneSymbolAtATime(lambda: SyntheticFeed(seed, edge=synthetic_edge,
                                                           profiles=profiles))
        sources.market = synthetic
        sources.news = synthetic
        return sources
    return build_offline_sources(feed, seed=seed, config=tracer)


def _polymarket(config: UniverseConfig, *, live: bool, fixture: Path | None
                ) -> tuple[PolymarketSource | None, ProviderStatus]:
    rules = config.polymarket
    if not rules.enabled:
        return None, ProviderStatus(provider="polymarket", state=ProviderState.SKIPPED,
                                    detail="disabled in config/universe.yaml")
    if live:
        from shared.providers._bounds import RunDeadline
        from shared.providers.perplexity import PerplexityNews
        from shared.providers.polymarket import PolymarketClient
        from shared.settings import Settings

        settings = Settings()
        deadline = RunDeadline.start(settings.tb_run_deadline_secs)  # with the live sources'
        helper = PerplexityNews.from_settings(settings, deadline=deadline) if (
            settings.has_keys_for("perplexity")) else None
        source = LivePolymarket(PolymarketClient.from_settings(settings, deadline=deadline),
                                limit=rules.search_limit,
                                history_hours=rules.max_price_age_hours, perplexity=helper)
        return source, ProviderStatus(provider="polymarket", state=ProviderState.OK,
                                      detail=source.detail)
    # a recorded fixture ships with the repo: relative to the project root, not the data dir
    path = fixture or (project_root() / rules.fixture if rules.fixture else None)
    if path is None:
        return None, ProviderStatus(provider="polymarket", state=ProviderState.SKIPPED,
                                    detail="offline: no --live and no recorded fixture")
    if not path.is_dir():
        raise ConfigError(f"Polymarket fixture {path} is not a directory")
    recorded = FixturePolymarket(path)
    return recorded, ProviderStatus(provider="polymarket", state=ProviderState.OFFLINE,
                                    detail=recorded.detail)
