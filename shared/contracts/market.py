"""Market data contracts: bars and the timeframes they come in."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Self

from pydantic import Field, NonNegativeFloat, PositiveFloat, model_validator

from shared.contracts.base import Contract, UtcDatetime

__all__ = ["AssetClass", "Bar", "Timeframe"]


class AssetClass(StrEnum):
    CRYPTO = "crypto"
    US_EQUITY = "us_equity"
    ETF = "etf"


class Timeframe(StrEnum):
    """How long one bar lasts. Config may name it short (``1m``, ``1h``, ``1d``): see
    :meth:`parse`."""

    MINUTE = "1Min"
    HOUR = "1Hour"
    DAY = "1Day"

    @property
    def duration(self) -> timedelta:
        return _DURATIONS[self]

    @classmethod
    def parse(cls, value: object) -> Timeframe:
        """``1m``/``1min``/``1Min``, ``1h``/``1hour``/``1Hour``, ``1d``/``1day``/``1Day``
        (any case); anything else is a ``ValueError`` naming the choices."""
        if isinstance(value, Timeframe):
            return value
        key = str(value).strip().lower()
        for timeframe, names in _NAMES.items():
            if key in names:
                return timeframe
        raise ValueError(f"unknown timeframe {value!r} (choose from 1m, 1h, 1d)")


_DURATIONS = {Timeframe.MINUTE: timedelta(minutes=1), Timeframe.HOUR: timedelta(hours=1),
              Timeframe.DAY: timedelta(days=1)}
_NAMES = {Timeframe.MINUTE: ("1m", "1min", "1minute"), Timeframe.HOUR: ("1h", "1hour"),
          Timeframe.DAY: ("1d", "1day")}


class Bar(Contract):
    """One OHLCV bar. ``start`` is the bar's open time; it is *available* only at ``end``."""

    symbol: str = Field(min_length=1, max_length=32)
    timeframe: Timeframe
    start: UtcDatetime
    end: UtcDatetime
    open: PositiveFloat
    high: PositiveFloat
    low: PositiveFloat
    close: PositiveFloat
    volume: NonNegativeFloat
    vwap: PositiveFloat | None = None
    trade_count: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _check_invariants(self) -> Self:
        if self.end <= self.start:
            raise ValueError("bar end must be after its start")
        if self.high < max(self.open, self.close, self.low):
            raise ValueError("bar high must be >= open, close and low")
        if self.low > min(self.open, self.close):
            raise ValueError("bar low must be <= open and close")
        return self
