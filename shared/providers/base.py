"""The interfaces the pipeline reads data through.

A feed returns what the source says, and nothing else: an empty result means "the source has
nothing", never "the source failed" (failures raise :class:`shared.errors.ProviderError`).
Every method is point-in-time: it returns only what was *available* at ``end`` (bars that
had closed by ``end``; narratives published and fetched by ``end``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import pandas as pd

from shared.contracts import Narrative, Timeframe

__all__ = ["MarketFeed", "NewsFeed"]


class MarketFeed(Protocol):
    """Bars for many symbols at once."""

    name: str

    def bars(
        self,
        symbols: Sequence[str],
        *,
        start: datetime,
        end: datetime,
        timeframe: Timeframe,
    ) -> dict[str, pd.DataFrame]:
        """Return ``{symbol: frame}`` (see :mod:`shared.contracts.frames`) for bars with
        ``start >= start`` and ``end <= end``; a symbol with no bars maps to an empty frame."""
        ...


class NewsFeed(Protocol):
    """Narratives about symbols."""

    name: str

    def narratives(
        self, symbols: Sequence[str], *, start: datetime, end: datetime
    ) -> list[Narrative]:
        """Return narratives about any of ``symbols`` with ``published_at >= start`` and
        ``fetched_at <= end``, sorted by (``fetched_at``, ``narrative_id``)."""
        ...
