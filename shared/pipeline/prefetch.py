"""Fetch first, then decide: the as-of of a scheduled live run.

A live run that takes "now" as its as-of before fetching would never use the news it
fetches: every headline's ``fetched_at`` would be after the decision time. So a live run
without ``--as-of`` fetches bars and news once (these wrappers), and only then takes its
as-of, the first whole second after the fetch finished (:func:`shared.clock.after_fetch_as_of`).
Everything it decides on was then really available at its decision time, and nothing
fetched is silently unused.

A failure is kept and re-raised when the core asks, so the run records it exactly as if it
had happened then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import pandas as pd

from shared.contracts import Narrative, Timeframe
from shared.errors import ProviderError
from shared.pipeline.sources import Sources
from shared.providers.base import MarketFeed, NewsFeed

__all__ = ["PrefetchedMarket", "PrefetchedNews", "prefetch_sources"]

# News is fetched with an end this far after "now", so that no headline fetched during the
# call counts as late; the core then cuts everything at the final as-of.
_FETCH_SLACK = timedelta(hours=1)


class PrefetchedMarket:
    """Bars fetched once; later calls are answered from them (point-in-time cut again)."""

    def __init__(self, inner: MarketFeed, symbols: Sequence[str], start: datetime,
                 end: datetime, timeframe: Timeframe) -> None:
        self.name = inner.name
        self._frames: dict[str, pd.DataFrame] | None = None
        self._error: ProviderError | None = None
        try:
            self._frames = inner.bars(symbols, start=start, end=end, timeframe=timeframe)
        except ProviderError as e:
            self._error = e

    def bars(self, symbols: Sequence[str], *, start: datetime, end: datetime,
             timeframe: Timeframe) -> dict[str, pd.DataFrame]:
        if self._error is not None:
            raise self._error
        assert self._frames is not None
        out = {}
        for symbol in symbols:
            frame = self._frames[symbol]
            keep = (frame["start"] >= pd.Timestamp(start)) & (frame["end"] <= pd.Timestamp(end))
            out[symbol] = frame.loc[keep].reset_index(drop=True)
        return out


class PrefetchedNews:
    """Narratives fetched once; later calls are answered from them."""

    def __init__(self, inner: NewsFeed, symbols: Sequence[str], start: datetime,
                 end: datetime) -> None:
        self.name = inner.name
        self._items: list[Narrative] = []
        self._error: ProviderError | None = None
        try:
            self._items = inner.narratives(symbols, start=start, end=end + _FETCH_SLACK)
        except ProviderError as e:
            self._error = e

    def narratives(self, symbols: Sequence[str], *, start: datetime, end: datetime
                   ) -> list[Narrative]:
        if self._error is not None:
            raise self._error
        wanted = set(symbols)
        return [n for n in self._items
                if wanted & set(n.symbols) and n.published_at >= start and n.fetched_at <= end]


def prefetch_sources(sources: Sources, symbol: str, now: datetime, *, history_hours: int,
                     news_window: timedelta) -> Sources:
    """A copy of ``sources`` whose feeds were fetched once, up to ``now``."""
    market = PrefetchedMarket(sources.market, [symbol], now - timedelta(hours=history_hours),
                              now, Timeframe.HOUR)
    news = PrefetchedNews(sources.news, [symbol], now - news_window, now)
    return replace(sources, market=market, news=news)
