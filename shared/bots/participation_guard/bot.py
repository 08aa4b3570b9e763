"""Require volume participation above a floor: a narrative the market ignores is not a
trigger."""

from __future__ import annotations

from pydantic import Field

from shared.bots.base import Bot, BotConfig, BotDecision, ParamRange, search_space
from shared.bots.gate import gate
from shared.contracts import Authority, Mode
from shared.contracts.signal import Candidate

__all__ = ["NORMAL_PARTICIPATION", "SEARCH_SPACE", "ParticipationGuard",
           "ParticipationGuardConfig"]

# Participation is recent volume over its normal level (shared.features.signal), so 1.0 is
# normal volume: a pass below it is flagged (GUARD_PARTICIPATION_THIN), not blocked.
NORMAL_PARTICIPATION = 1.0


class ParticipationGuardConfig(BotConfig):
    min_participation: float = Field(default=0.7, ge=0.0, le=5.0)


SEARCH_SPACE: dict[str, ParamRange] = search_space(ParticipationGuardConfig)
"""Tunable parameters, generated from the config bounds (:func:`~shared.bots.base.search_space`)."""


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
        if self.config.min_participation <= value < NORMAL_PARTICIPATION:
            return gate(block=False, code="GUARD_PARTICIPATION_THIN",
                        rationale="participation clears the floor but is below normal volume",
                        line="Volume clears the floor but is below normal.", numbers=numbers)
        if value >= self.config.min_participation:
            return gate(block=False, code="GUARD_PARTICIPATION_PASS",
                        rationale="volume participation is above the floor",
                        line="Volume is above the participation floor.", numbers=numbers)
        return gate(block=True, code="GUARD_PARTICIPATION_BLOCK",
                    rationale="volume is below the participation floor",
                    line="Too little volume is behind the move.", numbers=numbers)
