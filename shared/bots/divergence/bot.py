"""The divergence bot: a narrative that runs ahead of the price.

``divergence = narrative_score - tanh(move_z / move_scale_z)``: a bullish narrative with a
flat price diverges upward; a bullish narrative with a price that already ran does not (the
story is priced in). A trigger needs ``|divergence| >= divergence_threshold`` on the side of
the narrative itself (a price that moved with no narrative behind it is not a narrative
divergence: ``DIV_PRICE_ONLY``), ``|narrative_score| >= min_narrative_score`` and enough
narrative mass. (Firing only on the event that crosses the threshold is the engine's job:
it needs the guards' verdicts too.) The forecast maps a narrative-led divergence through a
logistic whose coefficients are parameters:
``p_up = 1 / (1 + exp(-(logistic_intercept + logistic_slope * divergence)))``; when the
divergence is not narrative-led the slope term is dropped (no view beyond the intercept).
The configured slope is a conservative prior (triggers at the threshold map to about 0.57),
not a fit; ``tb backtest walk-forward`` fits both coefficients on each fold's in-sample
triggers (:func:`shared.backtest.walkforward.fit_logistic`, this prior as its mean) and scores
them out of sample.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import Field, PositiveInt

from shared.bots.base import Bot, BotConfig, BotDecision, ParamRange, search_space
from shared.contracts import (
    Authority,
    Decision,
    Direction,
    Evidence,
    Forecast,
    Mode,
    SignalFeatures,
)

__all__ = [
    "SEARCH_SPACE",
    "DivergenceBot",
    "DivergenceConfig",
    "DivergenceReading",
    "divergence_of",
]


class DivergenceConfig(BotConfig):
    horizon_hours: PositiveInt = Field(default=12, le=24 * 7)
    divergence_threshold: float = Field(default=0.6, ge=0.05, le=2.0)
    min_narrative_mass: float = Field(default=0.3, ge=0.0, le=50.0)
    min_narrative_score: float = Field(default=0.3, ge=0.0, le=1.0)
    max_disagreement_share: float = Field(default=0.3, ge=0.0, le=1.0)
    move_scale_z: float = Field(default=1.5, gt=0.0, le=10.0)
    warning_margin: float = Field(default=0.1, ge=0.0, le=1.0)
    hard_max_move_z: float = Field(default=6.0, ge=2.0, le=20.0)
    logistic_intercept: float = Field(default=0.0, ge=-3.0, le=3.0)
    logistic_slope: float = Field(default=0.5, ge=0.0, le=10.0)


SEARCH_SPACE: dict[str, ParamRange] = search_space(DivergenceConfig)
"""Tunable parameters, generated from the config bounds (:func:`~shared.bots.base.search_space`)."""



@dataclass(frozen=True)
class DivergenceReading:
    """The divergence a decision computed and the threshold it was held to, read from the
    decision's (or its envelope's) ``numbers``."""

    divergence: float
    threshold: float

    @classmethod
    def of(cls, numbers: Mapping[str, float]) -> DivergenceReading | None:
        """None when no divergence was computed (no narrative, a failure, a skipped bot)."""
        if _DIVERGENCE not in numbers:
            return None
        return cls(divergence=numbers[_DIVERGENCE], threshold=numbers[_THRESHOLD])

    @property
    def rank(self) -> float:
        """``|divergence| / threshold``: 1 at the threshold."""
        return abs(self.divergence) / self.threshold


_DIVERGENCE = "divergence"
_THRESHOLD = "threshold"


def divergence_of(features: SignalFeatures, cfg: DivergenceConfig) -> float | None:
    """The divergence at these features, or None with no narrative."""
    if features.narrative_score is None or features.headline_count == 0:
        return None
    return features.narrative_score - math.tanh(features.move_z / cfg.move_scale_z)


class DivergenceBot(Bot[SignalFeatures, DivergenceConfig]):
    name = "divergence"
    version = "2.0.0"
    authority = Authority.ADVISE
    mode_support = frozenset({Mode.STUB, Mode.SHADOW, Mode.ADVISORY, Mode.QUARANTINE})
    config_model = DivergenceConfig
    input_model = SignalFeatures

    def decide(self, inputs: SignalFeatures) -> BotDecision:
        cfg = self.config
        f = inputs
        numbers = {"narrative_mass": f.narrative_mass, "move_z": f.move_z,
                   "headline_count": float(f.headline_count)}
        divergence = divergence_of(f, cfg)
        if divergence is None or f.narrative_score is None:
            return BotDecision(decision=Decision.NO_TRIGGER, reason_codes=("DIV_NO_NARRATIVE",),
                               rationale="no headlines were available in the narrative window",
                               numbers=numbers)
        price_view = math.tanh(f.move_z / cfg.move_scale_z)
        # Only a narrative-led divergence is a view; a price move with no narrative of its
        # side behind it gets the intercept alone (no view when the intercept is zero).
        led = _narrative_led(f.narrative_score, divergence, cfg)
        p_up = 1.0 / (1.0 + math.exp(-(cfg.logistic_intercept
                                        + (cfg.logistic_slope * divergence if led else 0.0))))
        numbers |= {"narrative_score": f.narrative_score, "price_view": price_view,
                    _DIVERGENCE: divergence, _THRESHOLD: cfg.divergence_threshold, "p_up": p_up}
        forecast = _forecast(f, cfg, p_up, self)
        evidence = _evidence(f, numbers)

        def decided(decision: Decision, codes: tuple[str, ...], rationale: str) -> BotDecision:
            return BotDecision(decision=decision, reason_codes=codes, rationale=rationale,
                               forecast=forecast, evidence=evidence, numbers=numbers)

        if abs(f.move_z) > cfg.hard_max_move_z:
            return decided(Decision.NO_TRIGGER, ("DIV_HARD_EXTREME_MOVE",),
                           "the price move is beyond the hard limit; no trigger on a shock")
        near = abs(abs(divergence) - cfg.divergence_threshold) <= cfg.warning_margin
        warn = (("DIV_NEAR_THRESHOLD",) if near else ()) + (
            ("DIV_MODEL_DISAGREEMENT",) if f.disagreement_share > cfg.max_disagreement_share
            else ())
        strong = abs(divergence) >= cfg.divergence_threshold
        if strong and not led:
            return decided(Decision.NO_TRIGGER, ("DIV_PRICE_ONLY", *warn),
                           "the price moved without a narrative of that side behind it")
        if strong and f.narrative_mass >= cfg.min_narrative_mass:
            side = "bullish" if divergence > 0 else "bearish"
            return decided(Decision.TRIGGER, ("DIV_TRIGGER", *warn),
                           f"{side} narrative diverges from the price move")
        if not strong:
            return decided(Decision.NO_TRIGGER, ("DIV_BELOW_THRESHOLD", *warn),
                           "divergence too small")
        return decided(Decision.NO_TRIGGER, ("DIV_LOW_MASS", *warn), "too little narrative mass")


def _narrative_led(score: float, divergence: float, cfg: DivergenceConfig) -> bool:
    return abs(score) >= cfg.min_narrative_score and (score > 0) == (divergence > 0)


def _forecast(f: SignalFeatures, cfg: DivergenceConfig, p_up: float, bot: DivergenceBot
              ) -> Forecast:
    direction = Direction.UP if p_up > 0.5 else Direction.DOWN if p_up < 0.5 else Direction.FLAT
    return Forecast(symbol=f.symbol, as_of=f.as_of, horizon_hours=cfg.horizon_hours, p_up=p_up,
                    direction=direction, strength=abs(2.0 * p_up - 1.0), bot=bot.name,
                    bot_version=bot.version)


def _evidence(f: SignalFeatures, numbers: dict[str, float]) -> tuple[Evidence, ...]:
    score, price = numbers["narrative_score"], numbers["price_view"]
    tone = "bullish" if score > 0.15 else "bearish" if score < -0.15 else "mixed"
    moved = "rose" if price > 0.3 else "fell" if price < -0.3 else "barely moved"
    lagging = (score > 0.15 and price < 0.3) or (score < -0.15 and price > -0.3)
    tail = " and the price lags it." if lagging else "."
    lines = [
        Evidence(line=f"The narrative turned {tone} while the price {moved}"
                 + (tail if lagging else "."),
                 numbers={"narrative_score": score, "price_view": price,
                          "divergence": numbers["divergence"]}),
        Evidence(line=_sources_line(f.source_count),
                 numbers={"source_count": float(f.source_count),
                          "headline_count": float(f.headline_count)}),
    ]
    if f.participation >= 1.2:
        lines.append(Evidence(line="Volume is running above its usual level.",
                              numbers={"participation": f.participation}))
    elif f.participation < 0.8:
        # "below its usual level", not "thin": the participation guard judges thinness
        # against its own floor, and the two lines must never contradict each other
        lines.append(Evidence(line="Volume is below its usual level.",
                              numbers={"participation": f.participation}))
    if f.disagreement_share > 0.3:
        lines.append(Evidence(line="The sentiment models disagree on part of the news.",
                              numbers={"disagreement_share": f.disagreement_share}))
    return tuple(lines)


def _sources_line(count: int) -> str:
    """How many sources tell the story, in words that are true of ``count`` (zero is not
    "a single source")."""
    if count <= 0:
        return "No source tells the story yet."
    return "The story is told by " + ("several sources." if count > 1 else "a single source.")
