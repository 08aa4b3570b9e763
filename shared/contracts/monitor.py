"""The self-check artifact (``eval_runs/checks/<YYYY-MM-DD>.json``, written by ``tb check``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from shared.contracts.base import Contract, UtcDatetime

__all__ = ["CheckReport", "CheckResult", "AlertSeverity"]


class AlertSeverity(StrEnum):
    """How loud a failing check is (``config/alerts.yaml`` routes each tier to channels)."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class CheckResult(Contract):
    """One check: whether it passed, how serious a failure is, and the figures behind it."""

    name: str = Field(min_length=1)
    ok: bool
    severity: AlertSeverity = Field(description="the tier a failure of this check alerts at")
    summary: str = Field(min_length=1, max_length=500)
    details: dict[str, Any] = Field(default_factory=dict)


class CheckReport(Contract):
    """Every check of one ``tb check`` run. ``exit_code`` is 1 when a critical check failed."""

    schema_version: Literal["1"] = "1"
    type: Literal["check_report"] = "check_report"
    as_of: UtcDatetime
    ok: bool
    checks: tuple[CheckResult, ...]
    failing: tuple[str, ...] = ()
    worst: AlertSeverity | None = None
    exit_code: int = Field(ge=0, le=1)
    alerts: dict[str, str] = Field(
        default_factory=dict, description="channel -> delivery (sent, printed, send_failed)")
