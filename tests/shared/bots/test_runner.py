"""The runner enforces modes, authority, validation and the reason-code registry."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ConfigDict, Field

from shared.bots.base import Bot, BotConfig, BotDecision, ParamRange, search_space
from shared.bots.registry import BOTS
from shared.bots.runner import BotRunner, is_effective
from shared.contracts import Authority, Decision, EnvelopeStatus, Mode
from shared.errors import ConfigError, UnknownReasonCode
from shared.reason_codes import ReasonCode, ReasonCodeRegistry, Severity

T0 = datetime(2026, 3, 2, 14, tzinfo=UTC)
REGISTRY = ReasonCodeRegistry(
    [ReasonCode(code=c, severity=Severity.INFO, meaning="test code for the runner")
     for c in ("BOT_STUB", "BOT_QUARANTINED", "BOT_INPUT_INVALID", "BOT_EXCEPTION",
               "BOT_AUTHORITY_VIOLATION", "TEST_OK")]
)


class ProbeInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    value: float = Field(ge=0)


class ProbeConfig(BotConfig):
    decision: Decision = Decision.NO_TRIGGER
    code: str = "TEST_OK"
    explode: bool = False
    threshold: float = Field(default=1.0, gt=0.0, le=5.0)


class ProbeBot(Bot[ProbeInput, ProbeConfig]):
    """A configurable bot that records whether it was called."""

    name = "probe"
    version = "0.0.1"
    authority = Authority.ADVISE
    mode_support = frozenset(Mode)
    config_model = ProbeConfig
    input_model = ProbeInput
    calls = 0

    def decide(self, inputs: ProbeInput) -> BotDecision:
        type(self).calls += 1
        if self.config.explode:
            raise RuntimeError("boom")
        return BotDecision(decision=self.config.decision, reason_codes=(self.config.code,),
                           rationale="probe decided")


def _run(mode: Mode = Mode.ADVISORY, raw: object = None, **cfg: object) -> object:
    runner = BotRunner(ProbeBot(ProbeConfig(**cfg)), mode, REGISTRY)  # type: ignore[arg-type]
    return runner.run(raw if raw is not None else {"value": 1.0}, as_of=T0, symbol="X")  # type: ignore[arg-type]


@pytest.mark.parametrize(("mode", "code"), [(Mode.STUB, "BOT_STUB"),
                                            (Mode.QUARANTINE, "BOT_QUARANTINED")])
def test_runner_stub_and_quarantine_do_not_call_the_bot(mode: Mode, code: str) -> None:
    ProbeBot.calls = 0
    envelope = _run(mode, decision=Decision.TRIGGER)
    assert ProbeBot.calls == 0
    assert envelope.status is EnvelopeStatus.SKIPPED  # type: ignore[attr-defined]
    assert envelope.decision is Decision.NONE  # type: ignore[attr-defined]
    assert envelope.reason_codes == (code,)  # type: ignore[attr-defined]


def test_runner_invalid_input_gives_failure_envelope() -> None:
    envelope = _run(raw={"value": -1})
    assert envelope.status is EnvelopeStatus.FAILED  # type: ignore[attr-defined]
    assert envelope.reason_codes == ("BOT_INPUT_INVALID",)  # type: ignore[attr-defined]
    assert "value" in envelope.rationale  # type: ignore[attr-defined]


def test_runner_bot_exception_gives_failure_envelope_not_exception() -> None:
    envelope = _run(explode=True, decision=Decision.TRIGGER)
    assert envelope.status is EnvelopeStatus.FAILED  # type: ignore[attr-defined]
    assert envelope.decision is Decision.ABSTAIN  # type: ignore[attr-defined]
    assert envelope.reason_codes == ("BOT_EXCEPTION",)  # type: ignore[attr-defined]


def test_runner_decision_beyond_authority_is_refused() -> None:
    envelope = _run(Mode.ENFORCED, decision=Decision.BLOCK)  # an advise bot may not block
    assert envelope.status is EnvelopeStatus.FAILED  # type: ignore[attr-defined]
    assert envelope.reason_codes == ("BOT_AUTHORITY_VIOLATION",)  # type: ignore[attr-defined]
    assert envelope.effective is False  # type: ignore[attr-defined]


def test_runner_unregistered_reason_code_raises() -> None:
    with pytest.raises(UnknownReasonCode, match="NOT_A_CODE"):
        _run(code="NOT_A_CODE")


@pytest.mark.parametrize(
    ("mode", "decision", "effective"),
    [(Mode.SHADOW, Decision.TRIGGER, False), (Mode.ADVISORY, Decision.TRIGGER, True),
     (Mode.ENFORCED, Decision.TRIGGER, True), (Mode.ADVISORY, Decision.BLOCK, False),
     (Mode.ENFORCED, Decision.BLOCK, True), (Mode.ENFORCED, Decision.NO_TRIGGER, False)],
)
def test_is_effective_follows_mode(mode: Mode, decision: Decision, effective: bool) -> None:
    assert is_effective(mode, decision) is effective


def test_runner_shadow_trigger_is_recorded_but_not_effective() -> None:
    envelope = _run(Mode.SHADOW, decision=Decision.TRIGGER)
    assert envelope.decision is Decision.TRIGGER  # type: ignore[attr-defined]
    assert envelope.effective is False  # type: ignore[attr-defined]


def test_runner_unsupported_mode_is_a_config_error() -> None:
    class NarrowBot(ProbeBot):
        mode_support = frozenset({Mode.SHADOW})

    with pytest.raises(ConfigError, match="not supported"):
        BotRunner(NarrowBot(ProbeConfig()), Mode.ENFORCED, REGISTRY)


def test_runner_counts_decisions_and_errors() -> None:
    runner = BotRunner(ProbeBot(ProbeConfig(explode=True)), Mode.ADVISORY, REGISTRY)
    runner.run({"value": 1.0}, as_of=T0, symbol="X")
    runner.run({"value": -1.0}, as_of=T0, symbol="X")
    assert (runner.decisions_total, runner.errors_total) == (2, 2)


def test_runner_timer_records_latency_only_when_given() -> None:
    ticks = iter([1.0, 1.25])
    runner = BotRunner(ProbeBot(ProbeConfig()), Mode.ADVISORY, REGISTRY, timer=lambda: next(ticks))
    assert runner.run({"value": 1.0}, as_of=T0, symbol="X").latency_ms == 250.0
    assert _run().latency_ms is None  # type: ignore[attr-defined]


def test_hard_thresholds_come_from_config_bounds() -> None:
    bounds = ProbeBot.hard_thresholds()
    assert str(bounds["threshold"]) == "(0, 5]"


@pytest.mark.parametrize("name", sorted(BOTS))
def test_search_space_is_generated_and_covers_every_parameter_inside_its_hard_threshold(
        name: str) -> None:
    bot_class = BOTS[name].bot_class
    module = importlib.import_module(bot_class.__module__)
    space: dict[str, ParamRange] = module.SEARCH_SPACE
    assert space == search_space(bot_class.config_model)
    assert set(space) == set(bot_class.config_model.model_fields)
    bounds = bot_class.hard_thresholds()
    for param, r in space.items():
        assert r.low < r.high, param
        limit = bounds[param]
        assert limit.low is None or (r.low > limit.low if limit.low_open else r.low >= limit.low)
        assert limit.high is None or r.high <= limit.high, param
        assert r.low <= r.default <= r.high, param


def test_search_space_follows_the_config_bounds() -> None:
    """A bound changed in the model changes the space: nothing is typed in twice."""

    class Probe(BotConfig):
        count: int = Field(default=3, gt=0, le=9)
        share: float = Field(default=0.5, gt=0.0, lt=1.0)
        free: float = 1.0  # no bounds: not searchable

    space = search_space(Probe)
    assert space["count"] == ParamRange(low=1.0, high=9.0, integer=True, default=3.0)
    assert 0.0 < space["share"].low < 1e-300 and space["share"].high < 1.0
    assert space["share"].step is None and space["count"].step == 1.0
    assert "free" not in space
