"""Run a bot on one input and always get a ReportEnvelope back.

The runner, not the bot, enforces the rules:

* ``stub`` and ``quarantine`` modes do not call the bot (decision ``none``, status skipped);
* an input that fails validation gives a *failed* envelope (``BOT_INPUT_INVALID``);
* an exception inside the bot gives a *failed* envelope (``BOT_EXCEPTION``);
* a decision beyond the bot's authority is refused (``BOT_AUTHORITY_VIOLATION``);
* every emitted reason code must be registered (else :class:`UnknownReasonCode`: a bug);
* ``effective`` is true only when mode and authority allow the decision to act:
  advisory mode lets advice (triggers) through, enforced mode also lets gates block,
  shadow mode records everything and lets nothing act.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.bots.base import Bot, BotConfig, BotDecision
from shared.bots.meter import Meter
from shared.config import config_digest
from shared.contracts import (
    Decision,
    EnvelopeStatus,
    Evidence,
    Forecast,
    Mode,
    ReportEnvelope,
    canonical_json,
    sha256_hex,
)
from shared.errors import ConfigError
from shared.reason_codes import ReasonCodeRegistry

__all__ = ["BotRun", "BotRunner", "is_effective"]

logger = logging.getLogger(__name__)


def is_effective(mode: Mode, decision: Decision) -> bool:
    """Whether a decision acts in this mode (authority is checked separately)."""
    if decision not in (Decision.TRIGGER, Decision.BLOCK):
        return False
    if mode is Mode.ENFORCED:
        return True
    return mode is Mode.ADVISORY and decision is Decision.TRIGGER


@dataclass
class BotRunner:
    """Holds one configured bot in one mode and turns its decisions into envelopes."""

    bot: Bot[Any, Any]
    mode: Mode
    registry: ReasonCodeRegistry
    timer: Callable[[], float] | None = None  # monotonic seconds; None: latency not recorded
    # The always-on meter (telemetry outside the envelopes); its clock times the decision
    # when ``timer`` is None, and the latency goes to the meter, not the envelope.
    meter: Meter | None = None
    decisions_total: int = 0
    errors_total: int = 0
    latency_ms_total: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in self.bot.mode_support:
            supported = ", ".join(sorted(m.value for m in self.bot.mode_support))
            raise ConfigError(
                f"bot {self.bot.name}: mode {self.mode.value!r} is not supported "
                f"(supported: {supported})"
            )
        config: BotConfig = self.bot.config
        self.config_version = config_digest({"mode": self.mode.value, "params": config})
        if self.meter is not None:
            self.meter.register(self.bot.name, self.mode, self.config_version)

    def run(
        self, inputs: BaseModel | Mapping[str, Any], *, as_of: datetime, symbol: str | None
    ) -> ReportEnvelope:
        """Decide on ``inputs`` (a model or a raw mapping to validate)."""
        return self.decide(inputs, as_of=as_of, symbol=symbol).envelope

    def decide(
        self, inputs: BaseModel | Mapping[str, Any], *, as_of: datetime, symbol: str | None
    ) -> BotRun:
        """:meth:`run`, with the envelope built when it is first read: the decision, the
        registry check and the counters happen now; the envelope (the digest of the inputs,
        the model) only if someone reads it, as a walk over years mostly does not. A timed
        or metered runner digests inside the timing and builds the envelope at once, as
        :meth:`run` always did (its meter observes every envelope)."""
        clock = self.timer or (self.meter.clock if self.meter is not None else None)
        started = clock() if clock else None
        digest = _inputs_digest(inputs) if started is not None else None
        result = self._decide(inputs)
        measured = None
        if started is not None and clock is not None:
            measured = round((clock() - started) * 1000.0, 3)
            self.latency_ms_total += measured
        self._count(result)
        run = BotRun(self, result, inputs, as_of, symbol, measured if self.timer else None,
                     digest)
        if self.meter is not None:
            self.meter.observe(run.envelope, measured)
        return run

    def fail(
        self,
        code: str,
        rationale: str,
        *,
        as_of: datetime,
        symbol: str | None,
        codes: tuple[str, ...] = (),
    ) -> ReportEnvelope:
        """A failure envelope for a decision the pipeline could not even ask the bot for
        (no bars, provider down, stale data). ``codes`` adds the providers' reason codes."""
        reason_codes = tuple(dict.fromkeys((code, *codes)))
        failure = BotDecision(decision=Decision.ABSTAIN, status=EnvelopeStatus.FAILED,
                              reason_codes=reason_codes, rationale=rationale[:500])
        digest = sha256_hex(canonical_json({"failure": reason_codes}))[:16]
        self._count(failure)
        envelope = self._envelope(failure, as_of=as_of, symbol=symbol, inputs_digest=digest)
        if self.meter is not None:
            self.meter.observe(envelope, None)
        return envelope

    def _count(self, result: BotDecision) -> None:
        # Every decision is checked and counted when it is made, whether or not its
        # envelope is ever built.
        self.registry.check(result.reason_codes)
        self.decisions_total += 1
        if result.status is EnvelopeStatus.FAILED:
            self.errors_total += 1

    def _envelope(self, result: BotDecision, *, as_of: datetime, symbol: str | None,
                  inputs_digest: str, latency_ms: float | None = None) -> ReportEnvelope:
        # The one place envelopes are built (counted by _count).
        bot = self.bot
        return ReportEnvelope(
            bot=bot.name,
            bot_version=bot.version,
            authority=bot.authority,
            mode=self.mode,
            symbol=symbol,
            as_of=as_of,
            status=result.status,
            decision=result.decision,
            effective=is_effective(self.mode, result.decision),
            reason_codes=result.reason_codes,
            rationale=result.rationale,
            config_version=self.config_version,
            inputs_digest=inputs_digest,
            latency_ms=latency_ms,
            forecast=result.forecast,
            evidence_lines=tuple(item.line for item in result.evidence),
            evidence=result.evidence,
            numbers=_all_numbers(result),
        )

    def _decide(self, inputs: BaseModel | Mapping[str, Any]) -> BotDecision:
        bot = self.bot
        if self.mode in (Mode.STUB, Mode.QUARANTINE):
            code = "BOT_STUB" if self.mode is Mode.STUB else "BOT_QUARANTINED"
            return BotDecision(
                decision=Decision.NONE,
                status=EnvelopeStatus.SKIPPED,
                reason_codes=(code,),
                rationale=f"{bot.name} is in {self.mode.value} mode and was not run",
            )
        try:
            # Raw mappings (fixtures, recorded inputs) are validated as JSON, the form they
            # were recorded in, so strict models accept ISO times.
            typed = (
                inputs
                if isinstance(inputs, bot.input_model)
                else bot.input_model.model_validate_json(canonical_json(inputs))
            )
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "<input>"
            return _failure("BOT_INPUT_INVALID", f"input rejected at {where}: {first['msg']}")
        try:
            result = bot.decide(typed)
        except Exception as e:  # the runner's contract: a bot crash is a failure envelope
            logger.exception("bot %s raised while deciding", bot.name)
            return _failure("BOT_EXCEPTION", f"{bot.name} raised {type(e).__name__}")
        if (
            result.status is EnvelopeStatus.OK
            and result.decision.required_authority.rank > bot.authority.rank
        ):
            return _failure(
                "BOT_AUTHORITY_VIOLATION",
                f"{bot.name} ({bot.authority.value}) may not {result.decision.value}",
            )
        return result


@dataclass
class BotRun:
    """One decision of a runner: what the envelope says, readable without building it;
    :attr:`envelope` builds it (once) on first read."""

    runner: BotRunner
    result: BotDecision
    inputs: BaseModel | Mapping[str, Any]
    as_of: datetime
    symbol: str | None
    latency_ms: float | None
    inputs_digest: str | None = None
    _envelope: ReportEnvelope | None = field(default=None, init=False, repr=False)

    @property
    def decision(self) -> Decision:
        return self.result.decision

    @property
    def status(self) -> EnvelopeStatus:
        return self.result.status

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return self.result.reason_codes

    @property
    def forecast(self) -> Forecast | None:
        return self.result.forecast

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return self.result.evidence

    @property
    def effective(self) -> bool:
        return is_effective(self.runner.mode, self.result.decision)

    @property
    def numbers(self) -> dict[str, float]:
        return _all_numbers(self.result)

    @property
    def envelope(self) -> ReportEnvelope:
        if self._envelope is None:
            digest = self.inputs_digest or _inputs_digest(self.inputs)
            self._envelope = self.runner._envelope(
                self.result, as_of=self.as_of, symbol=self.symbol, inputs_digest=digest,
                latency_ms=self.latency_ms)
        return self._envelope


def _inputs_digest(inputs: BaseModel | Mapping[str, Any]) -> str:
    raw = inputs.model_dump(mode="json") if isinstance(inputs, BaseModel) else inputs
    return sha256_hex(canonical_json(raw))[:16]


def _all_numbers(result: BotDecision) -> dict[str, float]:
    """The decision's numbers plus every number behind its evidence lines, so that the
    artifact keeps each number a chat line stands for."""
    numbers = dict(result.numbers)
    for item in result.evidence:
        for key, value in item.numbers.items():
            numbers.setdefault(key, value)
    return numbers


def _failure(code: str, rationale: str) -> BotDecision:
    return BotDecision(
        decision=Decision.ABSTAIN,
        status=EnvelopeStatus.FAILED,
        reason_codes=(code,),
        rationale=rationale[:500],
    )
