"""Does the dataset cover what was asked? A period the bars do not cover, or news that does
not overlap it, must never pass as a silent "0 triggers".

:func:`check_coverage` compares the dataset feed's bars and news with a period:

* the bars miss the period entirely: a :class:`~shared.errors.ConfigError` naming what the
  file covers (``strict``; a single run instead marks ``DATA_PARTIAL_COVERAGE`` and its
  decision says why it could not decide);
* the bars cover only part of it: ``DATA_PARTIAL_COVERAGE``;
* no news configured: ``DATA_BARS_ONLY`` (decisions on prices alone);
* news configured but none about the symbol in the period: ``DATA_NEWS_NO_OVERLAP``.

Each code is registered (``config/reason_codes.yaml``) with severity ``warning``, so it marks
the run degraded by the one rule (:meth:`ReasonCodeRegistry.degrading`). Feeds without a
coverage to report (synthetic, live) are not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from shared.contracts import format_utc
from shared.errors import ConfigError
from shared.pipeline.sources import Sources

__all__ = ["Coverage", "CoverageFeed", "check_coverage"]


@runtime_checkable
class CoverageFeed(Protocol):
    """A feed that knows what its recorded files cover (the dataset feed)."""

    @property
    def bars_only(self) -> bool: ...

    def bars_range(self, symbol: str) -> tuple[datetime, datetime] | None: ...

    def news_range(self, symbols: Sequence[str]) -> tuple[datetime, datetime] | None: ...


@dataclass(frozen=True)
class Coverage:
    """What the dataset covers against the period asked for, and the codes that follow."""

    symbol: str
    start: datetime
    end: datetime
    bars: tuple[datetime, datetime] | None
    news: tuple[datetime, datetime] | None
    bars_only: bool
    codes: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        def span(value: tuple[datetime, datetime] | None) -> list[str] | None:
            return None if value is None else [format_utc(value[0]), format_utc(value[1])]

        return {"symbol": self.symbol, "period": span((self.start, self.end)),
                "bars": span(self.bars), "news": span(self.news),
                "bars_only": self.bars_only, "codes": list(self.codes)}


def check_coverage(sources: Sources, symbol: str, start: datetime, end: datetime, *,
                   strict: bool = True) -> Coverage | None:
    """Check ``sources``' dataset against ``[start, end]``, mark its codes on the run's
    board and return the coverage; None for a feed with no recorded coverage."""
    feed = sources.market
    if not isinstance(feed, CoverageFeed):
        return None
    bars = feed.bars_range(symbol)
    codes: list[str] = []
    if bars is None or bars[1] <= start or bars[0] >= end:
        covered = "nothing" if bars is None else f"{format_utc(bars[0])}..{format_utc(bars[1])}"
        if strict:
            raise ConfigError(
                f"the dataset's bars for {symbol} cover {covered}; the period "
                f"{format_utc(start)}..{format_utc(end)} lies outside them, so there is nothing "
                "to decide on (choose --start/--end inside the data, or another file)")
        codes.append("DATA_PARTIAL_COVERAGE")
    elif bars[0] > start or bars[1] < end:
        codes.append("DATA_PARTIAL_COVERAGE")
    news = None
    if feed.bars_only:
        codes.append("DATA_BARS_ONLY")
    else:
        news = feed.news_range([symbol])
        if news is None or news[1] < start or news[0] > end:
            codes.append("DATA_NEWS_NO_OVERLAP")
    for code in codes:
        sources.board.degrade(code)
    return Coverage(symbol, start, end, bars, news, feed.bars_only, tuple(codes))
