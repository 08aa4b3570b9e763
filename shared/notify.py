"""Deliver digests: send to Telegram when its keys are set, else print. Never fails a run.

The stages decide what a delivery means for their artifact (the tracer records it in its
manifest: :mod:`functions.tracer.notify`; the universe in its run summary)."""

from __future__ import annotations

import logging
import os

from shared.contracts import ProviderStatus
from shared.errors import ProviderError

__all__ = ["send_digest", "send_parts", "telegram_configured"]

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


