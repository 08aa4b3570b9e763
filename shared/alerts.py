"""``config/alerts.yaml``: alert severity tiers → channels, and per-bot rules (which
condition raises which tier). Validated by :class:`AlertsConfig`; the readiness board's
Runtime item 7 reads it, and so may the operations check.

Each bot must route every condition in :data:`REQUIRED_TIERS` to that tier (the tiers its
SPEC.md § 22 names): a failure rate over its budget or a failure in enforced mode pages, a
reject rate out of its band or a latency over budget files a ticket, a warning-severity
code is logged. Routing is configuration only: what evaluates the conditions is the
operations check, not this module.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator

from shared.bots.registry import BOTS
from shared.config import ConfigModel, config_dir, load_yaml_model

__all__ = ["REQUIRED_TIERS", "AlertRule", "AlertsConfig", "Channel", "Condition", "Tier",
           "TierRoute", "alerts_path", "load_alerts"]


class Tier(StrEnum):
    PAGE = "page"  # someone acts now
    TICKET = "ticket"  # someone looks within days
    LOG = "log"  # recorded; read when something else points at it


class Channel(StrEnum):
    TELEGRAM = "telegram"
    STEP_SUMMARY = "github_step_summary"
    LOG = "log"


class Condition(StrEnum):
    ERROR_RATE_OVER_BUDGET = "error_rate_over_budget"
    FAILED_IN_ENFORCED = "failed_in_enforced"
    REJECT_RATE_OUT_OF_BAND = "reject_rate_out_of_band"
    LATENCY_OVER_BUDGET = "latency_over_budget"
    WARNING_CODE = "warning_code"


REQUIRED_TIERS: dict[Condition, Tier] = {
    Condition.ERROR_RATE_OVER_BUDGET: Tier.PAGE,
    Condition.FAILED_IN_ENFORCED: Tier.PAGE,
    Condition.REJECT_RATE_OUT_OF_BAND: Tier.TICKET,
    Condition.LATENCY_OVER_BUDGET: Tier.TICKET,
    Condition.WARNING_CODE: Tier.LOG,
}


class TierRoute(ConfigModel):
    channels: tuple[Channel, ...] = Field(min_length=1)
    description: str = Field(default="", max_length=300)


class AlertRule(ConfigModel):
    bot: str = Field(min_length=1)
    condition: Condition
    severity: Tier


CheckSeverity = Literal["critical", "warning", "info"]


def _default_checks() -> dict[CheckSeverity, Tier]:
    return {"critical": Tier.PAGE, "warning": Tier.TICKET, "info": Tier.LOG}


class AlertsConfig(ConfigModel):
    tiers: dict[Tier, TierRoute]
    checks: dict[CheckSeverity, Tier] = Field(
        default_factory=_default_checks)  # a failing self-check's severity → its tier
    rules: tuple[AlertRule, ...] = ()

    @model_validator(mode="after")
    def _rules_resolve(self) -> Self:
        for rule in self.rules:
            if rule.bot not in BOTS:
                raise ValueError(f"rule for unknown bot {rule.bot!r} "
                                 f"(known: {', '.join(sorted(BOTS))})")
            if rule.severity not in self.tiers:
                raise ValueError(f"{rule.bot}/{rule.condition.value}: tier "
                                 f"{rule.severity.value!r} has no channels")
        for severity, tier in self.checks.items():
            if tier not in self.tiers:
                raise ValueError(f"checks.{severity}: tier {tier.value!r} has no channels")
        seen = [(r.bot, r.condition) for r in self.rules]
        dupes = sorted({f"{b}/{c.value}" for b, c in seen if seen.count((b, c)) > 1})
        if dupes:
            raise ValueError(f"condition routed twice: {', '.join(dupes)}")
        return self

    def rules_of(self, bot: str) -> dict[Condition, Tier]:
        return {r.condition: r.severity for r in self.rules if r.bot == bot}


def alerts_path(directory: Path | None = None) -> Path:
    return (directory or config_dir()) / "alerts.yaml"


def load_alerts(path: Path | None = None) -> AlertsConfig:
    """Load ``config/alerts.yaml`` (a :class:`~shared.errors.ConfigError` names what is wrong)."""
    return load_yaml_model(path or alerts_path(), AlertsConfig)
