"""Deliver digests: send to Telegram when its keys are set, else print. Never fails a run.

What is sent follows ``config/notify.yaml`` (:class:`NotifyPolicy`): by default only runs with
a call send their digest, and one quiet run a day (at ``heartbeat_hour_utc``) sends a single
heartbeat line, so a quiet hour sends nothing. The stages decide what a delivery means for
their artifact (the tracer records it in its manifest: :mod:`functions.tracer.notify`; the
universe logs it)."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.config import ConfigModel, config_dir, load_yaml_model
from shared.contracts import ProviderStatus
from shared.errors import ConfigError, ProviderError
from shared.render.telegram import escape_markdown_v2

__all__ = [
    "NotifyPolicy",
    "Plan",
    "heartbeat_line",
    "load_notify_policy",
    "plan_delivery",
    "send_digest",
    "send_parts",
    "telegram_configured",
]

Plan = Literal["digest", "heartbeat", "none"]


class NotifyPolicy(ConfigModel):
    """``config/notify.yaml``: when a digest goes to Telegram."""

    notify: Literal["triggers", "always", "never"] = "triggers"
    heartbeat_hour_utc: int | None = Field(default=8, ge=0, le=23)


def load_notify_policy() -> NotifyPolicy:
    """The policy in ``config/notify.yaml`` (its defaults when the file is absent); the
    environment's ``TB_NOTIFY`` (triggers, always, never) overrides ``notify`` for one run or
    one workflow."""
    path = config_dir() / "notify.yaml"
    policy = load_yaml_model(path, NotifyPolicy) if path.is_file() else NotifyPolicy()
    override = os.environ.get("TB_NOTIFY", "").strip()
    if override:
        try:
            policy = NotifyPolicy.model_validate({**policy.model_dump(), "notify": override})
        except ValueError as e:
            raise ConfigError(f"TB_NOTIFY={override!r}: use triggers, always or never") from e
    return policy


def plan_delivery(policy: NotifyPolicy, *, triggered: bool, as_of: datetime) -> Plan:
    """What to send for a run: the digest, one heartbeat line, or nothing."""
    if policy.notify == "never":
        return "none"
    if policy.notify == "always" or triggered:
        return "digest"
    if policy.heartbeat_hour_utc is not None and as_of.hour == policy.heartbeat_hour_utc:
        return "heartbeat"
    return "none"


def heartbeat_line(subject: str, words: str, as_of: datetime, trace_id: str) -> str:
    """The daily heartbeat (MarkdownV2): alive, what the run said, when, and its trace."""
    stamp = as_of.strftime("%Y-%m-%d %H:%M UTC")
    return (f"💓 *Tracer Bullet* {escape_markdown_v2(f'{subject}: {words} at {stamp}')} "
            f"\\(daily heartbeat; quiet runs send nothing\\) trace `{trace_id}`")

logger = logging.getLogger(__name__)


def telegram_configured() -> bool:
    return bool(os.environ.get("TELEGRAM_BOT_TOKEN") and os.environ.get("TELEGRAM_CHAT_ID"))


def send_parts(parts: tuple[str, ...]) -> str:
    """Send every part; returns the delivery state ("sent" or "send_failed")."""
    return send_digest(parts)[0]


def send_digest(parts: tuple[str, ...]) -> tuple[str, ProviderStatus]:
    """Send every part; returns the delivery state and Telegram's status for a manifest."""
    from shared.providers.telegram import TelegramClient
    from shared.settings import Settings

    client = TelegramClient.from_settings(Settings())
    try:
        for part in parts:
            client.send(part)
    except ProviderError as e:
        logger.warning("digest not sent: %s", e)
        return "send_failed", client.status()
    return "sent", client.status()


