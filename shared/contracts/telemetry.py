"""Run telemetry: per-stage latency, heartbeat and the standard per-bot metrics of one
scheduled run (``tb run``, ``tb universe run``).

Telemetry is wall time, so it lives outside the byte-identical core: not in the run's
artifact or manifest, but in an append-only JSONL beside them
(``runs/telemetry/<YYYY-MM-DD>/<stage>.jsonl``, :mod:`shared.store.telemetry`), which identity
tests do not compare. The readiness board's Runtime items read it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt

from shared.contracts.base import Contract, Digest, UtcDatetime
from shared.contracts.envelope import Mode

__all__ = ["BotTelemetry", "RunTelemetry"]


class BotTelemetry(Contract):
    """One bot's standard metrics in one run (decisions_total, decision_latency_ms,
    heartbeat_age_ms, errors_total, config_version, mode) plus what the Runtime items need:
    how many decisions were rejects (block / no_trigger) and the latency samples."""

    bot: str = Field(min_length=1)
    mode: Mode
    config_version: Digest
    decisions_total: NonNegativeInt
    errors_total: NonNegativeInt
    skipped_total: NonNegativeInt = 0  # not run (stub, quarantine)
    rejects_total: NonNegativeInt  # ok decisions that were block or no_trigger
    decision_latency_ms: float | None = Field(default=None, ge=0)  # mean; None: no decision
    latency_p95_ms: float | None = Field(default=None, ge=0)
    latency_samples_ms: tuple[float, ...] = ()
    heartbeat_age_ms: NonNegativeInt | None = None  # None: no earlier run of the stage on file


class RunTelemetry(Contract):
    """One scheduled run's telemetry record (one JSONL line)."""

    schema_version: Literal[1] = 1
    type: Literal["run_telemetry"] = "run_telemetry"
    stage: str = Field(min_length=1)  # "tracer" or "universe"
    shard: str | None = None  # "i/n" for a shard of the universe
    run_id: str = Field(min_length=1)
    as_of: UtcDatetime  # the run's decision time
    recorded_at: UtcDatetime  # wall time the record was written (clock.utc_now)
    feed: str = Field(min_length=1)
    stage_latency_ms: dict[str, float] = Field(default_factory=dict)
    heartbeat_age_ms: NonNegativeInt | None = None
    previous_run_id: str | None = None
    bots: tuple[BotTelemetry, ...] = ()
