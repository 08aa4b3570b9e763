"""Alerts for failing checks: ``config/alerts.yaml`` routes each severity tier to channels.

``summary`` appends to the job summary (``$GITHUB_STEP_SUMMARY``) or prints; ``telegram``
sends plain text through :class:`~shared.providers.telegram.TelegramClient` (its HTTP policy,
no retries for a send) when its keys are set, and prints otherwise. A delivery that fails is
recorded (``send_failed``), never raised: an alert must not break the check that raised it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.alerts import AlertsConfig, load_alerts
from shared.contracts.monitor import AlertSeverity, CheckReport, CheckResult
from shared.errors import ProviderError
from shared.providers.telegram import TelegramClient
from shared.settings import Settings

__all__ = ["AlertRoutes", "deliver", "load_routes", "render_alert", "routes_from"]

logger = logging.getLogger(__name__)

Channel = Literal["summary", "telegram"]
MAX_ALERT_CHARS = 3500  # under Telegram's 4096-character message limit


# config/alerts.yaml's channel names → where this module delivers (``log``: recorded only)
_DELIVERY: dict[str, Channel] = {"github_step_summary": "summary", "telegram": "telegram"}


class AlertRoutes(BaseModel):
    """``tiers``: check severity → delivery channels, read from ``config/alerts.yaml``
    (:class:`shared.alerts.AlertsConfig`: ``checks`` maps a severity to a tier, ``tiers``
    a tier to its channels; the per-bot ``rules`` are the readiness board's)."""

    model_config = ConfigDict(frozen=True)

    tiers: dict[AlertSeverity, tuple[Channel, ...]]

    def channels(self, failing: Sequence[CheckResult]) -> tuple[Channel, ...]:
        """The channels the failing checks' tiers name, each once, in a stable order."""
        found = {ch for check in failing for ch in self.tiers.get(check.severity, ())}
        return tuple(sorted(found))


def routes_from(config: AlertsConfig) -> AlertRoutes:
    """The delivery channels of each check severity under ``config``."""
    tiers: dict[AlertSeverity, tuple[Channel, ...]] = {}
    for severity, tier in config.checks.items():
        channels = config.tiers[tier].channels
        tiers[AlertSeverity(severity)] = tuple(sorted(
            {_DELIVERY[c.value] for c in channels if c.value in _DELIVERY}))
    return AlertRoutes(tiers=tiers)


def load_routes(path: Path | None = None) -> AlertRoutes:
    """Read ``path`` (default ``config/alerts.yaml``); a bad file is a ConfigError naming the
    line."""
    return routes_from(load_alerts(path))


def render_alert(report: CheckReport, failing: Sequence[CheckResult]) -> str:
    """Plain text: one line per failing check, worst first."""
    order = {AlertSeverity.CRITICAL: 0, AlertSeverity.WARNING: 1, AlertSeverity.INFO: 2}
    lines = [f"Tracer Bullet self-check {report.as_of.strftime('%Y-%m-%dT%H:%M:%SZ')}: "
             f"{len(failing)} failing"]
    for check in sorted(failing, key=lambda c: (order[c.severity], c.name)):
        lines.append(f"[{check.severity.value}] {check.name}: {check.summary}")
    text = "\n".join(lines)
    return text if len(text) <= MAX_ALERT_CHARS else text[:MAX_ALERT_CHARS - 1] + "…"


def _telegram(text: str, settings: Settings) -> str:
    if not settings.has_keys_for("telegram"):
        print(text, file=sys.stderr)  # stdout stays the command's own output (--json)
        return "printed"
    client = TelegramClient.from_settings(settings)
    try:
        client.send(text, parse_mode=None)
    except ProviderError as e:
        logger.warning("alert not sent: %s", e)
        return "send_failed"
    return "sent"


def _summary(text: str, summary_path: str | None) -> str:
    if summary_path:
        try:
            with Path(summary_path).open("a", encoding="utf-8") as handle:
                handle.write("```\n" + text + "\n```\n")
        except OSError as e:
            logger.warning("job summary not written: %s", e.strerror)
            return "send_failed"
        return "written"
    print(text, file=sys.stderr)
    return "printed"


def deliver(report: CheckReport, routes: AlertRoutes, *, settings: Settings,
            summary_path: str | None = None,
            channels: Mapping[str, Callable[[str], str]] | None = None) -> dict[str, str]:
    """Send the alert for the failing checks to their tiers' channels; channel → delivery."""
    failing = [c for c in report.checks if not c.ok]
    if not failing:
        return {}
    text = render_alert(report, failing)
    senders = dict(channels or {})
    senders.setdefault("telegram", lambda t: _telegram(t, settings))
    senders.setdefault("summary", lambda t: _summary(t, summary_path))
    return {channel: senders[channel](text) for channel in routes.channels(failing)}
