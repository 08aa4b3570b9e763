"""Do not trade a narrative against a strong higher-timeframe trend, unless the divergence
is exceptional."""

from __future__ import annotations

from pydantic import Field

from shared.bots.base import Bot, BotConfig, BotDecision, ParamRange, search_space
from shared.bots.gate import gate
from shared.contracts import Authority, Direction, Mode
from shared.contracts.signal import Candidate

__all__ = ["SEARCH_SPACE", "TrendGuard", "TrendGuardConfig"]


class TrendGuardConfig(BotConfig):
    block_trend_z: float = Field(default=2.0, ge=0.5, le=10.0)
    exceptional_divergence: float = Field(default=1.2, ge=0.1, le=2.0)


SEARCH_SPACE: dict[str, ParamRange] = search_space(TrendGuardConfig)
"""Tunable parameters, generated from the config bounds (:func:`~shared.bots.base.search_space`)."""


class TrendGuard(Bot[Candidate, TrendGuardConfig]):
    name = "trend_guard"
    version = "1.0.0"
    authority = Authority.GATE
    mode_support = frozenset(Mode)
    config_model = TrendGuardConfig
    input_model = Candidate

    def decide(self, inputs: Candidate) -> BotDecision:
        cfg = self.config
        trend = inputs.features.trend_z
        against = (trend <= -cfg.block_trend_z and inputs.direction is Direction.UP) or (
            trend >= cfg.block_trend_z and inputs.direction is Direction.DOWN
        )
        numbers = {"trend_z": trend, "divergence": inputs.divergence}
        if not against:
            return gate(block=False, code="GUARD_TREND_PASS", rationale="no strong opposing "
                        "trend", line="The longer trend does not oppose the call.",
                        numbers=numbers)
        if abs(inputs.divergence) >= cfg.exceptional_divergence:
            return gate(block=False, code="GUARD_TREND_EXCEPTIONAL",
                        rationale="against the trend, but the divergence is exceptional",
                        line="The call fights the longer trend, but the divergence is "
                        "exceptional.", numbers=numbers)
        return gate(block=True, code="GUARD_TREND_BLOCK",
                    rationale="the call fights a strong higher-timeframe trend",
                    line="The call fights a strong longer trend.", numbers=numbers)
