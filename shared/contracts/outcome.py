"""The pipeline's per-symbol outcome: what a person reads, with the evidence behind it."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from shared.contracts.base import Contract, Probability, UtcDatetime
from shared.contracts.envelope import Evidence
from shared.contracts.signal import Direction

__all__ = ["OutcomeStatus", "SignalOutcome", "confidence_word"]

class OutcomeStatus(StrEnum):
    TRIGGERED = "triggered"  # a trigger took effect
    SUPPRESSED = "suppressed"  # the divergence bot proposed, a gate or the crossing rule held it
    NO_TRIGGER = "no_trigger"
    FAILED = "failed"


class SignalOutcome(Contract):
    """The pipeline's decision for one symbol at one time, as a person reads it."""

    symbol: str = Field(min_length=1, max_length=32)
    as_of: UtcDatetime
    status: OutcomeStatus
    direction: Direction | None = None
    p_up: Probability | None = None
    strength: Probability | None = None
    confidence: str | None = Field(default=None, pattern=r"^(low|moderate|high)$")
    divergence: float | None = None
    target_size: float | None = Field(default=None, ge=0.0, le=1.0)
    rank_score: float = Field(ge=0.0)
    reason_codes: tuple[str, ...] = Field(
        default=(), description="why it was suppressed, failed, or did not trigger"
    )
    evidence_lines: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.evidence_lines != tuple(item.line for item in self.evidence):
            raise ValueError("evidence_lines must equal the lines of evidence, in order")
        if self.status is OutcomeStatus.TRIGGERED and self.direction is None:
            raise ValueError("a triggered outcome needs a direction")
        return self


def confidence_word(strength: float) -> str:
    """A number-free word for a forecast's strength (|2p - 1|)."""
    if strength >= 0.5:
        return "high"
    if strength >= 0.25:
        return "moderate"
    return "low"
