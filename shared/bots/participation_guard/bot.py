"""Require volume participation above a floor: a narrative the market ignores is not a
trigger."""

from __future__ import annotations

from pydantic import Field

from shared.bots.base import Bot, BotConfig, BotDecision
from shared.bots.gate import gate
from shared.contracts import Authority, Mode
from shared.contracts.signal import Candidate

__all__ = ["SEARCH_SPACE", "ParticipationGuard", "ParticipationGuardConfig"]


class ParticipationGuardConfig(BotConfig):
    min_participation: float = Field(default=0.7, ge=0.0, le=5.0)


SEARCH_SPACE: dict[str, tuple[float, float, float]] = {"min_participation": (0.0, 1.5, 0.1)}


class ParticipationGuard(Bot[Candidate, ParticipationGuardConfig]):
    name = "participation_guard"
    version = "1.0.0"
    authority = Authority.GATE
    mode_support = frozenset(Mode)
    config_model = ParticipationGuardConfig
    input_model = Candidate

    def decide(self, inputs: Candidate) -> BotDecision:
        value = inputs.features.participation
        numbers = {"participation": value, "floor": self.config.min_participation}
        if value >= self.config.min_participation:
            return gate(block=False, code="GUARD_PARTICIPATION_PASS",
                        rationale="volume participation is above the floor",
                        line="Volume is above the participation floor.", numbers=numbers)
        return gate(block=True, code="GUARD_PARTICIPATION_BLOCK",
                    rationale="volume is below the participation floor",
                    line="Too little volume is behind the move.", numbers=numbers)
