"""Signal contracts: the features a decision is made from, the trigger a divergence bot
proposes, the triggers that came before it, and the forecast it ends in."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    model_validator,
)

from shared.contracts.base import Contract, Probability, Signed, UtcDatetime

__all__ = ["Candidate", "Direction", "Forecast", "PriorTrigger", "SignalFeatures"]


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



class SignalFeatures(Contract):
    """The numbers a divergence decision is made from."""

    symbol: str
    as_of: UtcDatetime
    narrative_score: Signed | None = Field(
        description="decay/novelty/source/confidence-weighted mean polarity; null: no headlines"
    )
    narrative_mass: NonNegativeFloat
    headline_count: NonNegativeInt
    source_count: NonNegativeInt = Field(description="sources telling the dominant side")
    window_count: NonNegativeInt = Field(description="persistence buckets with that side")
    disagreement_share: Probability = Field(
        default=0.0, description="share of weight on headlines where the models disagree"
    )
    price_return: float = Field(description="log return over move_lookback_bars")
    realized_vol: PositiveFloat = Field(description="hourly log-return standard deviation")
    move_z: float = Field(description="price_return / (realized_vol * sqrt(lookback))")
    participation: NonNegativeFloat = Field(description="recent volume / its own norm")
    trend_z: float = Field(description="higher-timeframe return in volatility units")
    bars_used: PositiveInt
    last_bar_end: UtcDatetime


class PriorTrigger(Contract):
    """A trigger that took effect before this decision (for cooldowns; recorded in a run's
    inputs so that a replay sees what the cooldown saw)."""

    symbol: str
    direction: Direction
    as_of: UtcDatetime


class Candidate(Contract):
    """A trigger the divergence bot proposed, with what it was based on: the input every
    guard and the sizing bot sees."""

    symbol: str
    as_of: UtcDatetime
    direction: Direction
    divergence: float
    divergence_threshold: float = Field(gt=0)
    p_up: Probability
    strength: Probability
    horizon_hours: PositiveInt
    features: SignalFeatures
    prior_triggers: tuple[PriorTrigger, ...] = ()
