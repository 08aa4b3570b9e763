"""The execution bot: only effective triggers become intents; horizon and opposite closes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.bots.execution.bot import (
    INTENT_CLOSE,
    INTENT_OPEN,
    ExecutionBot,
    ExecutionConfig,
    ExecutionInput,
    execution_input,
)
from shared.bots.runner import BotRunner
from shared.contracts import (
    Decision,
    Direction,
    Mode,
    OutcomeStatus,
    ReportEnvelope,
    SignalOutcome,
)
from shared.reason_codes import default_registry

T = datetime(2026, 1, 5, tzinfo=UTC)


def _run(mode: Mode = Mode.ENFORCED, **kw: object) -> tuple[Decision, tuple[str, ...], bool,
                                                            dict[str, float]]:
    base: dict[str, object] = {"symbol": "X", "as_of": T, "outcome_status": "triggered",
                               "direction": "up", "trigger_effective": True,
                               "horizon_hours": 12, "position_qty": 0.0}
    runner = BotRunner(ExecutionBot(ExecutionConfig()), mode, default_registry())
    env = runner.run(ExecutionInput(**{**base, **kw}), as_of=T, symbol="X")  # type: ignore[arg-type]
    return env.decision, env.reason_codes, env.effective, dict(env.numbers)


def test_an_effective_up_trigger_opens_at_the_capped_fraction() -> None:
    decision, codes, effective, numbers = _run(target_size=0.9)
    assert (decision, codes, effective) == (Decision.TRIGGER, ("EXEC_OPEN_LONG",), True)
    assert numbers["intent"] == INTENT_OPEN and numbers["target_fraction"] == 0.25


def test_a_trigger_that_did_not_take_effect_is_never_an_order() -> None:
    decision, codes, effective, _ = _run(trigger_effective=False)
    assert decision is Decision.NO_TRIGGER and codes == ("EXEC_TRIGGER_NOT_ENFORCED",)
    assert not effective


@pytest.mark.parametrize("mode", [Mode.SHADOW, Mode.STUB, Mode.QUARANTINE])
def test_the_bot_in_shadow_or_stub_never_acts(mode: Mode) -> None:
    assert _run(mode)[2] is False


@pytest.mark.parametrize(("kw", "code", "intent"), [
    ({"position_qty": 1.0, "hours_held": 12.0, "outcome_status": "no_trigger",
      "direction": None}, "EXEC_CLOSE_HORIZON", INTENT_CLOSE),
    ({"position_qty": 1.0, "hours_held": 2.0, "direction": "down"}, "EXEC_CLOSE_OPPOSITE",
     INTENT_CLOSE),
])
def test_closes(kw: dict[str, object], code: str, intent: float) -> None:
    decision, codes, _, numbers = _run(**kw)
    assert decision is Decision.TRIGGER and codes == (code,) and numbers["intent"] == intent


def test_holds_and_long_only() -> None:
    assert _run(direction="down")[1] == ("EXEC_NO_SHORT",)
    assert _run(position_qty=1.0, hours_held=1.0)[1] == ("EXEC_HOLD",)
    assert _run(outcome_status="no_trigger", direction=None)[1] == ("EXEC_HOLD",)


def test_the_input_counts_a_trigger_only_if_the_divergence_envelope_took_effect() -> None:
    assert execution_input("X", T, None, (), horizon_hours=12, position_qty=0.0,
                           hours_held=None).outcome_status == "failed"
    outcome = SignalOutcome.model_construct(status=OutcomeStatus.TRIGGERED,
                                            direction=Direction.UP, target_size=0.1)

    def effective(flag: bool, bot: str = "divergence") -> bool:
        envelope = ReportEnvelope.model_construct(bot=bot, effective=flag)
        return execution_input("X", T, outcome, (envelope,), horizon_hours=12,
                               position_qty=0.0, hours_held=None).trigger_effective

    assert effective(True) and not effective(False)
    assert not effective(True, bot="sizing")  # only the trigger's own envelope counts
