"""The ``ReportEnvelope`` every bot emits, on every decision path, failures included."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from shared.contracts.base import Contract, Digest, UtcDatetime
from shared.contracts.signal import Forecast

__all__ = [
    "Authority",
    "Decision",
    "EnvelopeStatus",
    "Evidence",
    "Mode",
    "ReportEnvelope",
]


class Authority(StrEnum):
    """What a bot may do, from least to most: observe < advise < gate < execute."""

    OBSERVE = "observe"
    ADVISE = "advise"
    GATE = "gate"
    EXECUTE = "execute"

    @property
    def rank(self) -> int:
        return _AUTHORITY_RANK[self]


_AUTHORITY_RANK = {authority: rank for rank, authority in enumerate(Authority)}


class Mode(StrEnum):
    """How far a bot's decisions reach. Promotion goes stub → shadow → advisory → enforced."""

    STUB = "stub"
    SHADOW = "shadow"
    ADVISORY = "advisory"
    ENFORCED = "enforced"
    QUARANTINE = "quarantine"


class Decision(StrEnum):
    """What a bot decided. ``required_authority`` is what it takes to act on it."""

    TRIGGER = "trigger"
    NO_TRIGGER = "no_trigger"
    PASS = "pass"  # noqa: S105 - a guard lets the candidate through (not a password)
    BLOCK = "block"  # a guard vetoes the candidate
    ABSTAIN = "abstain"  # the bot could not decide (no data, failure)
    NONE = "none"  # the bot was not run (stub, quarantine)

    @property
    def required_authority(self) -> Authority:
        if self is Decision.TRIGGER:
            return Authority.ADVISE
        if self is Decision.BLOCK:
            return Authority.GATE
        return Authority.OBSERVE


class EnvelopeStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    ABSTAINED = "abstained"
    SKIPPED = "skipped"


class Evidence(Contract):
    """One chat-safe, number-free line and the recorded numbers behind it."""

    line: str = Field(min_length=1, max_length=300, pattern=r"^[^0-9]*$")
    numbers: dict[str, float] = Field(min_length=1)


class ReportEnvelope(Contract):
    """A bot's report on one decision. ``effective`` says whether the runner let it act."""

    bot: str = Field(min_length=1)
    bot_version: str = Field(min_length=1)
    authority: Authority
    mode: Mode
    symbol: str | None = None
    as_of: UtcDatetime
    status: EnvelopeStatus
    decision: Decision
    effective: bool
    reason_codes: tuple[str, ...] = Field(min_length=1)
    rationale: str = Field(min_length=1, max_length=500)
    config_version: Digest
    inputs_digest: Digest
    latency_ms: float | None = Field(default=None, ge=0)
    forecast: Forecast | None = None
    evidence_lines: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    numbers: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_consistency(self) -> Self:
        if self.evidence_lines != tuple(item.line for item in self.evidence):
            raise ValueError("evidence_lines must equal the lines of evidence, in order")
        if self.status is EnvelopeStatus.FAILED and self.decision not in (
            Decision.ABSTAIN,
            Decision.NONE,
        ):
            raise ValueError("a failed envelope must not carry a decision")
        if self.effective and self.decision.required_authority.rank > self.authority.rank:
            raise ValueError("an effective decision must be within the bot's authority")
        return self
