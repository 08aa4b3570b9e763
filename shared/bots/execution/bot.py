"""The execution bot: turns an *enforced* trigger into an order intent, and closes a position
at the forecast horizon or on an opposite trigger.

Long-only (the paper ledger and a spot account hold no shorts): an ``up`` trigger while flat
opens a long of ``target_fraction`` of equity; a ``down`` trigger while long closes it
(opposite trigger); a position held ``horizon_hours`` or longer is closed. Everything else
holds. The bot states intents only; sizing in units, the risk engine and the broker come
after it (:mod:`shared.execution`).

Why "enforced" is checked here as well as by the runner: the bot's own envelope is effective
only in the modes the runner allows, but the *trigger* it acts on comes from another bot; a
trigger whose envelope was not effective (the divergence bot in shadow, say) or an outcome
that the enforced guards did not let through must never become an order, so the input
carries ``trigger_effective`` and the bot refuses a trigger without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.bots.base import Bot, BotConfig, BotDecision, ParamRange, search_space
from shared.contracts import (
    Authority,
    Decision,
    Evidence,
    Mode,
    OutcomeStatus,
    ReportEnvelope,
    SignalOutcome,
    UtcDatetime,
)

__all__ = ["INTENT_CLOSE", "INTENT_OPEN", "SEARCH_SPACE", "ExecutionBot",
           "ExecutionConfig", "ExecutionInput", "execution_input"]

INTENT_OPEN = 1.0
INTENT_CLOSE = -1.0


class ExecutionConfig(BotConfig):
    default_target_fraction: float = Field(default=0.1, gt=0.0, le=1.0)
    max_target_fraction: float = Field(default=0.25, gt=0.0, le=1.0)


SEARCH_SPACE: dict[str, ParamRange] = search_space(ExecutionConfig)
"""Generated from the config bounds like every bot's. The tuner does not search it
(:data:`shared.backtest.search_space.TUNABLE_BOTS`): the bot acts after the engine, on the
paper path, and its sizes are risk choices; ``tb paper replay`` is its backtest."""


class ExecutionInput(BaseModel):
    """What the execution bot sees at one decision time for one symbol."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str = Field(min_length=1, max_length=32)
    as_of: UtcDatetime
    outcome_status: str  # triggered | suppressed | no_trigger | failed
    direction: str | None = Field(default=None, pattern=r"^(up|down)$")
    trigger_effective: bool = False
    target_size: float | None = Field(default=None, ge=0.0, le=1.0)
    horizon_hours: int = Field(ge=1, le=24 * 30)
    position_qty: float = Field(ge=0.0)
    hours_held: float | None = Field(default=None, ge=0.0)


class ExecutionBot(Bot[ExecutionInput, ExecutionConfig]):
    name = "execution"
    version = "1.0.0"
    authority = Authority.EXECUTE
    mode_support = frozenset({Mode.STUB, Mode.SHADOW, Mode.ADVISORY, Mode.ENFORCED,
                              Mode.QUARANTINE})
    config_model = ExecutionConfig
    input_model = ExecutionInput

    def decide(self, inputs: ExecutionInput) -> BotDecision:
        held = inputs.position_qty > 0
        triggered = inputs.outcome_status == "triggered" and inputs.direction is not None
        if held and inputs.hours_held is not None and inputs.hours_held >= inputs.horizon_hours:
            return _intent(INTENT_CLOSE, "EXEC_CLOSE_HORIZON", "the forecast horizon passed",
                           0.0, inputs)
        if triggered and not inputs.trigger_effective:
            return BotDecision(decision=Decision.NO_TRIGGER,
                               reason_codes=("EXEC_TRIGGER_NOT_ENFORCED",),
                               rationale="the trigger did not take effect (shadow or advisory "
                               "only); no order")
        if triggered and held and inputs.direction == "down":
            return _intent(INTENT_CLOSE, "EXEC_CLOSE_OPPOSITE", "an opposite trigger", 0.0,
                           inputs)
        if triggered and not held and inputs.direction == "up":
            fraction = min(inputs.target_size or self.config.default_target_fraction,
                           self.config.max_target_fraction)
            return _intent(INTENT_OPEN, "EXEC_OPEN_LONG", "an enforced up trigger", fraction,
                           inputs)
        code = "EXEC_NO_SHORT" if triggered and not held else "EXEC_HOLD"
        return BotDecision(decision=Decision.NO_TRIGGER, reason_codes=(code,),
                           rationale="no order: " + ("long-only, a down trigger while flat"
                                                     if code == "EXEC_NO_SHORT" else
                                                     "nothing to open or close"))


def _intent(intent: float, code: str, why: str, fraction: float,
            inputs: ExecutionInput) -> BotDecision:
    numbers = {"intent": intent, "target_fraction": fraction,
               "position_qty": inputs.position_qty}
    verb = "open a long" if intent == INTENT_OPEN else "close the position"
    return BotDecision(decision=Decision.TRIGGER, reason_codes=(code,),
                       rationale=f"{verb}: {why}", numbers=numbers,
                       evidence=(Evidence(line=f"Execution: {verb} ({why}).",
                                          numbers=numbers),))


def execution_input(symbol: str, as_of: datetime, outcome: SignalOutcome | None,
                    envelopes: Sequence[ReportEnvelope], *, horizon_hours: int,
                    position_qty: float, hours_held: float | None) -> ExecutionInput:
    """The execution bot's input from the engine's outcome (``None``: no usable decision).
    A trigger counts as effective only when the outcome is TRIGGERED (the enforced guards let
    it through) and the divergence bot's own envelope took effect (not shadow)."""
    effective = bool(outcome is not None and outcome.status is OutcomeStatus.TRIGGERED
                     and any(e.bot == "divergence" and e.effective for e in envelopes))
    return ExecutionInput(
        symbol=symbol,
        as_of=as_of,
        outcome_status=outcome.status.value if outcome is not None else "failed",
        direction=outcome.direction.value if outcome and outcome.direction else None,
        trigger_effective=effective,
        target_size=outcome.target_size if outcome is not None else None,
        horizon_hours=horizon_hours, position_qty=position_qty, hours_held=hours_held)
