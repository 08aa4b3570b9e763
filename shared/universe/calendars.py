"""Trading hours: exchange sessions (holidays, half days, time zones) from ``exchange_calendars``.

Crypto has no calendar (24/7). An equity is *evaluated* only when ``as_of`` falls inside a
session, inclusive of the close (``open < as_of <= close``, so the last bar of the day is
decided on at the close), and once at least one of that session's hourly bars has closed.

Bars are hourly and aligned to the hour; a bar counts for an equity only when its whole
``[start, end)`` lies inside a session (09:30-16:00 ET gives the six bars starting 10:00 to
15:00; the 13:00 ET half-day close gives three). :class:`SessionFeed` applies that rule to any
market feed, so the synthetic 24/7 feed serves equities only in session.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

import numpy as np
import pandas as pd

from shared.contracts import Timeframe
from shared.providers.base import MarketFeed

__all__ = ["SessionFeed", "SessionState", "TradingHours", "trading_hours"]

_HOUR_NS = 3_600_000_000_000


class SessionState(StrEnum):
    ALWAYS_OPEN = "always_open"  # 24/7 (crypto)
    OPEN = "open"  # in session and at least one session bar has closed
    OPENING = "opening"  # in session, but no session bar has closed yet
    CLOSED = "closed"


@dataclass(frozen=True)
class TradingHours:
    """Session opens and closes (UTC, ns) of one exchange over a range of years."""

    name: str
    opens_ns: np.ndarray
    closes_ns: np.ndarray

    def state(self, as_of: datetime) -> SessionState:
        now = _ns(as_of)
        i = int(np.searchsorted(self.opens_ns, now, side="left")) - 1  # open < now
        if i < 0 or now > self.closes_ns[i]:
            return SessionState.CLOSED
        first_bar_end = _ceil_hour(int(self.opens_ns[i])) + _HOUR_NS
        return SessionState.OPEN if now >= first_bar_end else SessionState.OPENING

    def in_session(self, start_ns: np.ndarray, end_ns: np.ndarray) -> np.ndarray:
        """Mask of bars whose ``[start, end)`` lies inside one session."""
        i = np.searchsorted(self.opens_ns, start_ns, side="right") - 1  # open <= start
        ok = i >= 0
        safe = np.where(ok, i, 0)
        return ok & (end_ns <= self.closes_ns[safe])

    def session_hours_between(self, start: datetime, end: datetime) -> float:
        """Trading hours in ``(start, end]``: the time the market is open (for the model's
        horizon, in the same clock the bars' volatility is measured in)."""
        a, b = _ns(start), _ns(end)
        if b <= a:
            return 0.0
        lo = np.clip(self.opens_ns, a, b)
        hi = np.clip(self.closes_ns, a, b)
        return float(np.maximum(hi - lo, 0).sum()) / _HOUR_NS


@lru_cache(maxsize=8)
def _calendar(name: str, first_year: int, last_year: int) -> TradingHours:
    import exchange_calendars as xc  # heavy import: only when an equity is in the universe

    with warnings.catch_warnings():
        # exchange_calendars 4.x calls Series.values on tz-aware data, which pandas 3 flags
        # (Pandas4Warning); the values it builds are correct, so the warning is ignored here.
        warnings.simplefilter("ignore", DeprecationWarning)
        calendar = xc.get_calendar(name, start=f"{first_year}-01-01", end=f"{last_year}-12-31")
        schedule = calendar.schedule
    opens = schedule["open"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
    closes = schedule["close"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(
        "datetime64[ns]")
    return TradingHours(name, opens.astype("int64"), closes.astype("int64"))


def trading_hours(name: str, around: datetime) -> TradingHours:
    """The calendar ``name`` (e.g. ``"XNYS"``) covering two years before and one after
    ``around``. Fixed year bounds keep it independent of today's date (and cached)."""
    return _calendar(name, around.year - 2, around.year + 1)


class SessionFeed:
    """A market feed that keeps, for symbols with a calendar, only bars inside a session;
    symbols without one (crypto) pass through untouched."""

    def __init__(self, inner: MarketFeed, calendar_of: Callable[[str], str | None]) -> None:
        self.inner = inner
        self.name = inner.name
        self._calendar_of = calendar_of

    def bars(
        self,
        symbols: Sequence[str],
        *,
        start: datetime,
        end: datetime,
        timeframe: Timeframe,
    ) -> dict[str, pd.DataFrame]:
        frames = self.inner.bars(symbols, start=start, end=end, timeframe=timeframe)
        out = {}
        for symbol, frame in frames.items():
            name = self._calendar_of(symbol)
            if name is None or frame.empty or not {"start", "end"} <= set(frame.columns):
                out[symbol] = frame
                continue
            hours = trading_hours(name, end)
            mask = hours.in_session(_ns_array(frame["start"]), _ns_array(frame["end"]))
            out[symbol] = frame.loc[mask].reset_index(drop=True)
        return out


def _ns(value: datetime) -> int:
    return int(pd.Timestamp(value).as_unit("ns").value)


def _ns_array(column: pd.Series) -> np.ndarray:
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    values: np.ndarray = column.to_numpy("datetime64[ns]").astype("int64")
    return values


def _ceil_hour(value_ns: int) -> int:
    return -(-value_ns // _HOUR_NS) * _HOUR_NS
