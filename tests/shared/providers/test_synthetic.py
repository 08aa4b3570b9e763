"""The synthetic feed is deterministic, point-in-time consistent, and plants what it says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from shared.contracts import Timeframe
from shared.contracts.frames import validate_bars_frame
from shared.errors import ConfigError
from shared.providers.synthetic import SyntheticFeed

T = datetime(2025, 6, 1, 12, tzinfo=UTC)
H = Timeframe.HOUR


def _bars(feed: SyntheticFeed, start: datetime, end: datetime, symbol: str = "BTC-USD"
          ) -> pd.DataFrame:
    return feed.bars([symbol], start=start, end=end, timeframe=H)[symbol]


def test_synthetic_bars_same_seed_are_identical() -> None:
    a = _bars(SyntheticFeed(3), T - timedelta(days=5), T)
    b = _bars(SyntheticFeed(3), T - timedelta(days=5), T)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(_bars(SyntheticFeed(4), T - timedelta(days=5), T))


def test_synthetic_bars_do_not_depend_on_the_requested_window() -> None:
    feed = SyntheticFeed(3)
    short = _bars(feed, T - timedelta(days=2), T)
    long = _bars(SyntheticFeed(3), T - timedelta(days=400), T + timedelta(days=30))
    merged = long.loc[long["start"].isin(short["start"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(short, merged)


def test_synthetic_bars_only_closed_bars_are_returned() -> None:
    frame = _bars(SyntheticFeed(1), T - timedelta(hours=5), T + timedelta(minutes=30))
    assert frame["end"].max() <= pd.Timestamp(T + timedelta(minutes=30))
    assert frame["end"].max() == pd.Timestamp(T)
    assert len(frame) == 5


def test_synthetic_bars_satisfy_the_bar_contract() -> None:
    frame = _bars(SyntheticFeed(11), T - timedelta(days=60), T, "SOL-USD")
    assert len(validate_bars_frame(frame, symbol="SOL-USD")) == 60 * 24


def test_synthetic_narratives_are_available_by_end_and_sorted() -> None:
    feed = SyntheticFeed(5)
    items = feed.narratives(["BTC-USD"], start=T - timedelta(days=7), end=T)
    assert items
    assert all(n.fetched_at <= T and n.published_at >= T - timedelta(days=7) for n in items)
    assert items == sorted(items, key=lambda n: (n.fetched_at, n.narrative_id))
    assert len({n.narrative_id for n in items}) == len(items)


def test_synthetic_narratives_do_not_depend_on_the_requested_window() -> None:
    short = SyntheticFeed(5).narratives(["ETH-USD"], start=T - timedelta(days=1), end=T)
    long = SyntheticFeed(5).narratives(["ETH-USD"], start=T - timedelta(days=30),
                                       end=T + timedelta(days=3))
    ids = {n.narrative_id for n in short}
    assert [n for n in long if n.narrative_id in ids] == short


def _story_returns(edge: float) -> np.ndarray:
    """Forward 12h log-returns after each story's first headline, signed by its polarity."""
    feed = SyntheticFeed(21, edge=edge)
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    bars = _bars(feed, start, end + timedelta(days=2))
    close = pd.Series(np.log(bars["close"].to_numpy()), index=bars["end"])
    items = feed.narratives(["BTC-USD"], start=start, end=end)
    firsts = [n for n in items if n.source == "Synthetic Wire"]
    out = []
    for n in firsts:
        t0 = pd.Timestamp(n.fetched_at).ceil("h")
        sign = 1.0 if any(w in n.headline for w in ("rall", "surge", "bull", "jump",
                                                    "climb", "Upgrade")) else -1.0
        if t0 + pd.Timedelta(hours=12) in close.index:
            out.append(sign * (close[t0 + pd.Timedelta(hours=12)] - close[t0]))
    return np.asarray(out)


def test_synthetic_planted_relation_moves_price_after_headlines() -> None:
    signed = _story_returns(edge=1.0)
    assert len(signed) > 100
    assert signed.mean() > 0.004  # drift after the headline, in the headline's direction


def test_synthetic_edge_zero_plants_nothing() -> None:
    signed = _story_returns(edge=0.0)
    stderr = signed.std(ddof=1) / np.sqrt(len(signed))
    assert abs(signed.mean()) < 3 * stderr


def test_synthetic_negative_edge_is_refused() -> None:
    with pytest.raises(ConfigError, match="edge"):
        SyntheticFeed(1, edge=-0.5)


def test_synthetic_daily_timeframe_is_refused() -> None:
    with pytest.raises(ConfigError, match="1Hour"):
        SyntheticFeed(1).bars(["BTC-USD"], start=T - timedelta(days=3), end=T,
                              timeframe=Timeframe.DAY)
