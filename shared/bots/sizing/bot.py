"""Volatility-aware target size: risk budget over (volatility x sqrt(horizon)), times
confidence, clipped to [floor, cap]. A binding clip is recorded with its reason code."""

from __future__ import annotations

import math

from pydantic import Field

from shared.bots.base import Bot, BotConfig, BotDecision, ParamRange, search_space
from shared.contracts import Authority, Decision, Evidence, Mode
from shared.contracts.signal import Candidate

__all__ = ["SEARCH_SPACE", "Sizing", "SizingConfig", "target_size"]


class SizingConfig(BotConfig):
    risk_budget: float = Field(default=0.01, gt=0.0, le=0.2)
    floor: float = Field(default=0.01, ge=0.0, le=1.0)
    cap: float = Field(default=0.25, gt=0.0, le=1.0)


SEARCH_SPACE: dict[str, ParamRange] = search_space(SizingConfig)
"""Tunable parameters, generated from the config bounds (:func:`~shared.bots.base.search_space`)."""


def target_size(realized_vol: float, horizon_hours: int, confidence: float,
                cfg: SizingConfig) -> tuple[float, float, str]:
    """Return (raw size, clipped size, reason code)."""
    raw = cfg.risk_budget / (max(realized_vol, 1e-9) * math.sqrt(horizon_hours)) * confidence
    floor, cap = min(cfg.floor, cfg.cap), cfg.cap
    if raw > cap:
        return raw, cap, "SIZE_CLIPPED_CAP"
    if raw < floor:
        return raw, floor, "SIZE_CLIPPED_FLOOR"
    return raw, raw, "SIZE_OK"


class Sizing(Bot[Candidate, SizingConfig]):
    name = "sizing"
    version = "1.0.0"
    authority = Authority.ADVISE
    mode_support = frozenset({Mode.STUB, Mode.SHADOW, Mode.ADVISORY, Mode.QUARANTINE})
    config_model = SizingConfig
    input_model = Candidate

    def decide(self, inputs: Candidate) -> BotDecision:
        raw, size, code = target_size(inputs.features.realized_vol, inputs.horizon_hours,
                                      inputs.strength, self.config)
        numbers = {"raw_size": raw, "target_size": size, "realized_vol":
                   inputs.features.realized_vol, "confidence": inputs.strength}
        word = {"SIZE_CLIPPED_CAP": "capped", "SIZE_CLIPPED_FLOOR": "raised to the floor"}
        line = "Size follows volatility and confidence" + (
            f", {word[code]}." if code in word else ".")
        return BotDecision(decision=Decision.PASS, reason_codes=(code,),
                           rationale="volatility-aware target size", numbers=numbers,
                           evidence=(Evidence(line=line, numbers=numbers),))
