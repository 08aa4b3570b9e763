"""Forecast contracts: a probabilistic claim about a symbol's move over a horizon."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, PositiveInt, model_validator

from shared.contracts.base import Contract, Probability, UtcDatetime

__all__ = ["Direction", "Forecast"]


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    FLAT = "flat"


class Forecast(Contract):
    """``p_up`` is the probability that the close at ``as_of + horizon_hours`` is above the
    close at ``as_of``. ``direction`` and ``strength`` are derived from it by the bot."""

    symbol: str = Field(min_length=1, max_length=32)
    as_of: UtcDatetime
    horizon_hours: PositiveInt
    p_up: Probability
    direction: Direction
    strength: Probability
    bot: str = Field(min_length=1)
    bot_version: str = Field(min_length=1)

    @model_validator(mode="after")
    def _direction_matches_probability(self) -> Self:
        if self.direction is Direction.UP and self.p_up <= 0.5:
            raise ValueError("direction 'up' needs p_up > 0.5")
        if self.direction is Direction.DOWN and self.p_up >= 0.5:
            raise ValueError("direction 'down' needs p_up < 0.5")
        return self

