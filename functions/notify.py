"""Deliver digests: send to Telegram when its keys are set, else print. Never fails a run."""

from __future__ import annotations

import logging
import os

from functions.tracer.run import TracerResult
from shared.contracts import DigestMessage, RunManifest, TracerRun
from shared.errors import ProviderError

__all__ = ["deliver_tracer", "send_parts", "telegram_configured"]

logger = logging.getLogger(__name__)


def telegram_configured() -> bool:
    return bool(os.environ.get("TELEGRAM_BOT_TOKEN") and os.environ.get("TELEGRAM_CHAT_ID"))


def send_parts(parts: tuple[str, ...]) -> str:
    """Send every part; returns the delivery state ("sent" or "send_failed")."""
    from shared.providers.telegram import TelegramClient
    from shared.settings import Settings

    client = TelegramClient.from_settings(Settings())
    try:
        for part in parts:
            client.send(part)
    except ProviderError as e:
        logger.warning("digest not sent: %s", e)
        return "send_failed"
    return "sent"


def deliver_tracer(result: TracerResult) -> TracerResult:
    """Send the run's digest if Telegram is configured; record how it went."""
    if not telegram_configured():
        return result
    delivery = send_parts(result.run.digest.parts)
    run = result.run
    manifest = run.manifest
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
