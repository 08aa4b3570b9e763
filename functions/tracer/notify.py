"""The tracer's digest delivery: send it (:mod:`shared.notify`) and record how it went in
the run (the delivery, Telegram's status in the manifest, ``NOTIFY_FAILED`` when it failed)."""

from __future__ import annotations

from functions.tracer.run import TracerResult
from shared.contracts import DigestMessage, RunManifest, TracerRun
from shared.notify import send_digest, telegram_configured

__all__ = ["deliver_tracer"]


def deliver_tracer(result: TracerResult) -> TracerResult:
    """Send the run's digest if Telegram is configured; record how it went (the delivery,
    Telegram's status in the manifest, ``NOTIFY_FAILED`` when it failed)."""
    if not telegram_configured():
        return result
    delivery, status = send_digest(result.run.digest.parts)
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
