"""Suppress a repeat of the same symbol and direction inside the cooldown window. The
suppression is a recorded block with a reason code, never a silent drop."""

from __future__ import annotations

from pydantic import Field

from shared.bots.base import Bot, BotConfig, BotDecision, ParamRange, search_space
from shared.bots.gate import gate
from shared.contracts import Authority, Mode
from shared.contracts.signal import Candidate

__all__ = ["SEARCH_SPACE", "Cooldown", "CooldownConfig"]


class CooldownConfig(BotConfig):
    cooldown_hours: int = Field(default=24, ge=0, le=24 * 14)


SEARCH_SPACE: dict[str, ParamRange] = search_space(CooldownConfig)
"""Tunable parameters, generated from the config bounds (:func:`~shared.bots.base.search_space`)."""


class Cooldown(Bot[Candidate, CooldownConfig]):
    name = "cooldown"
    version = "1.0.0"
    authority = Authority.GATE
    mode_support = frozenset(Mode)
    config_model = CooldownConfig
    input_model = Candidate

    def decide(self, inputs: Candidate) -> BotDecision:
        window_secs = self.config.cooldown_hours * 3600
        recent = [
            p for p in inputs.prior_triggers
            if p.symbol == inputs.symbol and p.direction is inputs.direction
            and 0 < (inputs.as_of - p.as_of).total_seconds() < window_secs
        ]
        if not recent:
            flipped = [
                p for p in inputs.prior_triggers
                if p.symbol == inputs.symbol and p.direction is not inputs.direction
                and 0 < (inputs.as_of - p.as_of).total_seconds() < window_secs
            ]
            if flipped:  # passes, but the calls flip-flop inside one window: worth a look
                return gate(block=False, code="COOLDOWN_REVERSAL",
                            rationale="no recent repeat, but an opposite call fired inside "
                            "the window", line="An opposite call fired recently; this one "
                            "reverses it.", numbers={"recent_triggers": 0.0,
                                                     "recent_reversals": float(len(flipped))})
            return gate(block=False, code="COOLDOWN_CLEAR", rationale="no recent repeat",
                        line="No recent call in the same direction.",
                        numbers={"recent_triggers": 0.0})
        age = min((inputs.as_of - p.as_of).total_seconds() for p in recent) / 3600.0
        return gate(block=True, code="COOLDOWN_ACTIVE",
                    rationale="the same call fired inside the cooldown window",
                    line="The same call fired recently; this repeat is held back.",
                    numbers={"recent_triggers": float(len(recent)), "hours_since_last": age})
