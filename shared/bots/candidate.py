"""The input every guard and the sizing bot sees: a divergence trigger candidate."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from shared.contracts import Contract, Direction, UtcDatetime
from shared.contracts.base import Probability
from shared.features.signal import SignalFeatures

__all__ = ["Candidate", "PriorTrigger"]


class PriorTrigger(Contract):
    """A trigger that took effect before this decision (for cooldowns)."""

    symbol: str
    direction: Direction
    as_of: UtcDatetime


class Candidate(Contract):
    """A trigger the divergence bot proposed, with what it was based on."""

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
