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
    HOUR = "1Hour"
    DAY = "1Day"

    @property
    def duration(self) -> timedelta:
        return timedelta(hours=1) if self is Timeframe.HOUR else timedelta(days=1)


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
