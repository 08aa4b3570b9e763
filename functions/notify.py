"""Deliver digests: send to Telegram when its keys are set, else print. Never fails a run."""

from __future__ import annotations

import logging
import os

from functions.tracer.run import TracerResult
from shared.contracts import DigestMessage, ProviderStatus, RunManifest, TracerRun
from shared.errors import ProviderError

__all__ = ["deliver_tracer", "send_parts", "telegram_configured"]

logger = logging.getLogger(__name__)


def telegram_configured() -> bool:
    return bool(os.environ.get("TELEGRAM_BOT_TOKEN") and os.environ.get("TELEGRAM_CHAT_ID"))


def send_parts(parts: tuple[str, ...]) -> str:
    """Send every part; returns the delivery state ("sent" or "send_failed")."""
    return _send(parts)[0]


# The delivery state and Telegram's status for the manifest.
def _send(parts: tuple[str, ...]) -> tuple[str, ProviderStatus]:
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


def deliver_tracer(result: TracerResult) -> TracerResult:
    """Send the run's digest if Telegram is configured; record how it went (the delivery,
    Telegram's status in the manifest, ``NOTIFY_FAILED`` when it failed)."""
    if not telegram_configured():
        return result
    delivery, status = _send(result.run.digest.parts)
    run = result.run
    manifest = run.manifest
    statuses = sorted([*(s for s in manifest.provider_statuses if s.provider != status.provider),
                       status], key=lambda s: s.provider)
    manifest = RunManifest.model_validate(
        {**manifest.model_dump(), "provider_statuses": tuple(statuses)}
    )
    if delivery == "send_failed":
        reasons = tuple(sorted({*manifest.degraded_reasons, "NOTIFY_FAILED"}))
        manifest = RunManifest.model_validate(
            {**manifest.model_dump(), "degraded": True, "degraded_reasons": reasons}
        )
    digest = DigestMessage(trace_id=run.digest.trace_id, parts=run.digest.parts,
                           delivery=delivery)  # type: ignore[arg-type]
    updated = TracerRun.model_validate(
        {**run.model_dump(), "manifest": manifest, "digest": digest}
    )
    return TracerResult(updated, result.inputs, result.bars, result.bars_parquet)
