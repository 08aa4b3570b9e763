"""The run manifest: what produced an artifact, from what, and how healthy the run was."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, NonNegativeInt, model_validator

from shared.contracts.base import Contract, Digest, UtcDatetime
from shared.contracts.envelope import Mode

__all__ = ["BotMetrics", "ProviderState", "ProviderStatus", "RunManifest"]


class ProviderState(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"  # answered, but part of what we asked for failed
    FAILED = "failed"  # failed after its retries, or its breaker opened
    OFFLINE = "offline"  # the embedded offline stand-in was used (no key set)
    SKIPPED = "skipped"  # not needed by this run


class ProviderStatus(Contract):
    provider: str = Field(min_length=1)
    state: ProviderState
    reason_codes: tuple[str, ...] = ()
    detail: str = Field(default="", max_length=500)
    requests: NonNegativeInt = 0

    @model_validator(mode="after")
    def _failures_have_reasons(self) -> Self:
        if self.state in (ProviderState.FAILED, ProviderState.DEGRADED) and not self.reason_codes:
            raise ValueError("a failed or degraded provider must carry a reason code")
        return self


class BotMetrics(Contract):
    """The standard per-bot metrics, for this run."""

    bot: str
    mode: Mode
    config_version: Digest
    decisions_total: NonNegativeInt
    errors_total: NonNegativeInt
    decision_latency_ms: float | None = Field(default=None, ge=0)
    heartbeat_age_ms: NonNegativeInt | None = None


class RunManifest(Contract):
    """Identity and health of one run. ``files`` maps sibling artifact paths (relative to the
    artifacts root) to their SHA-256, so ``tb validate`` can check them."""

    run_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    stage: str = Field(min_length=1)
    as_of: UtcDatetime
    seed: int
    feed: str = Field(min_length=1)
    git_sha: str = Field(min_length=1)
    code_version: str = Field(min_length=1)
    config_digest: Digest
    inputs_digest: Digest
    provider_statuses: tuple[ProviderStatus, ...] = ()
    degraded: bool
    degraded_reasons: tuple[str, ...] = ()
    bots: tuple[BotMetrics, ...] = ()
    files: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _degraded_iff_reasons(self) -> Self:
        if self.degraded != bool(self.degraded_reasons):
            raise ValueError("degraded must be true exactly when degraded_reasons is non-empty")
        return self
