"""The divergence bot: a narrative that runs ahead of the price.

``divergence = narrative_score - tanh(move_z / move_scale_z)``: a bullish narrative with a
flat price diverges upward; a bullish narrative with a price that already ran does not
(the story is priced in). A trigger needs ``|divergence| >= divergence_threshold`` and
enough narrative mass. The forecast maps divergence through a logistic:
``p_up = 1 / (1 + exp(-(logistic_intercept + logistic_slope * divergence)))``.
"""

from __future__ import annotations

import math

from pydantic import Field, PositiveInt

from shared.bots.base import Bot, BotConfig, BotDecision
from shared.contracts import Authority, Decision, Direction, Evidence, Forecast, Mode
from shared.features.signal import SignalFeatures

__all__ = ["DivergenceBot", "DivergenceConfig", "SEARCH_SPACE"]


class DivergenceConfig(BotConfig):
    horizon_hours: PositiveInt = Field(default=12, le=24 * 7)
    divergence_threshold: float = Field(default=0.6, ge=0.05, le=2.0)
    min_narrative_mass: float = Field(default=0.3, ge=0.0, le=50.0)
    move_scale_z: float = Field(default=1.5, gt=0.0, le=10.0)
    warning_margin: float = Field(default=0.1, ge=0.0, le=1.0)
    hard_max_move_z: float = Field(default=6.0, ge=2.0, le=20.0)
    logistic_intercept: float = Field(default=0.0, ge=-3.0, le=3.0)
    logistic_slope: float = Field(default=1.2, ge=0.0, le=10.0)


SEARCH_SPACE: dict[str, tuple[float, float, float]] = {
    "divergence_threshold": (0.2, 1.2, 0.1),
    "min_narrative_mass": (0.0, 2.0, 0.1),
    "move_scale_z": (0.5, 3.0, 0.25),
    "logistic_slope": (0.2, 3.0, 0.2),
}
"""Tunable parameters: ``{name: (low, high, step)}``."""


class DivergenceBot(Bot[SignalFeatures, DivergenceConfig]):
    name = "divergence"
    version = "1.0.0"
    authority = Authority.ADVISE
    mode_support = frozenset({Mode.STUB, Mode.SHADOW, Mode.ADVISORY, Mode.QUARANTINE})
    config_model = DivergenceConfig
    input_model = SignalFeatures

    def decide(self, inputs: SignalFeatures) -> BotDecision:
        cfg = self.config
        numbers = {
            "narrative_mass": inputs.narrative_mass,
            "move_z": inputs.move_z,
            "headline_count": float(inputs.headline_count),
        }
        if inputs.narrative_score is None or inputs.headline_count == 0:
            return BotDecision(
                decision=Decision.NO_TRIGGER,
                reason_codes=("DIV_NO_NARRATIVE",),
                rationale="no headlines were available in the narrative window",
                numbers=numbers,
            )
        price_view = math.tanh(inputs.move_z / cfg.move_scale_z)
        divergence = inputs.narrative_score - price_view
        p_up = 1.0 / (1.0 + math.exp(-(cfg.logistic_intercept + cfg.logistic_slope * divergence)))
        numbers |= {
            "narrative_score": inputs.narrative_score,
            "price_view": price_view,
            "divergence": divergence,
            "p_up": p_up,
        }
        forecast = _forecast(inputs, cfg, p_up, self)
        evidence = _evidence(inputs, divergence, numbers)
        if abs(inputs.move_z) > cfg.hard_max_move_z:
            return BotDecision(
                decision=Decision.NO_TRIGGER,
                reason_codes=("DIV_HARD_EXTREME_MOVE",),
                rationale="the price move is beyond the hard limit; no trigger on a shock",
                forecast=forecast,
                evidence=evidence,
                numbers=numbers,
            )
        codes: list[str] = []
        strong = abs(divergence) >= cfg.divergence_threshold
        massive = inputs.narrative_mass >= cfg.min_narrative_mass
        near = abs(abs(divergence) - cfg.divergence_threshold) <= cfg.warning_margin
        if near:
            codes.append("DIV_NEAR_THRESHOLD")
        if strong and massive:
            side = "bullish" if divergence > 0 else "bearish"
            return BotDecision(
                decision=Decision.TRIGGER,
                reason_codes=("DIV_TRIGGER", *codes),
                rationale=f"{side} narrative diverges from the price move",
                forecast=forecast,
                evidence=evidence,
                numbers=numbers,
            )
        codes.insert(0, "DIV_BELOW_THRESHOLD" if not strong else "DIV_LOW_MASS")
        return BotDecision(
            decision=Decision.NO_TRIGGER,
            reason_codes=tuple(codes),
            rationale="divergence too small" if not strong else "too little narrative mass",
            forecast=forecast,
            evidence=evidence,
            numbers=numbers,
        )


def _forecast(
    inputs: SignalFeatures, cfg: DivergenceConfig, p_up: float, bot: DivergenceBot
) -> Forecast:
    direction = Direction.UP if p_up > 0.5 else Direction.DOWN if p_up < 0.5 else Direction.FLAT
    return Forecast(
        symbol=inputs.symbol,
        as_of=inputs.as_of,
        horizon_hours=cfg.horizon_hours,
        p_up=p_up,
        direction=direction,
        strength=abs(2.0 * p_up - 1.0),
        bot=bot.name,
        bot_version=bot.version,
    )


def _evidence(
    inputs: SignalFeatures, divergence: float, numbers: dict[str, float]
) -> tuple[Evidence, ...]:
    score = numbers["narrative_score"]
    tone = "bullish" if score > 0.15 else "bearish" if score < -0.15 else "mixed"
    price = numbers["price_view"]
    moved = "rose" if price > 0.3 else "fell" if price < -0.3 else "barely moved"
    lines = [
        Evidence(
            line=f"The narrative is {tone} while the price {moved}.",
            numbers={"narrative_score": score, "price_view": price, "divergence": divergence},
        ),
    ]
    many = "several headlines" if inputs.headline_count > 1 else "a single headline"
    lines.append(
        Evidence(
            line=f"The story rests on {many} from "
            + ("more than one source." if inputs.source_count > 1 else "one source."),
            numbers={
                "headline_count": float(inputs.headline_count),
                "source_count": float(inputs.source_count),
            },
        )
    )
    return tuple(lines)
