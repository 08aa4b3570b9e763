"""The tracer's digest delivery: send it (:mod:`shared.notify`) and record how it went in
the run (the delivery, Telegram's status in the manifest, ``NOTIFY_FAILED`` when it failed)."""

from __future__ import annotations

from functions.tracer.run import TracerResult
from shared.contracts import DigestMessage, OutcomeStatus, RunManifest, TracerRun
from shared.notify import (
    heartbeat_line,
    load_notify_policy,
    plan_delivery,
    send_digest,
    telegram_configured,
)
from shared.render.words import outcome_words

__all__ = ["deliver_tracer"]


def deliver_tracer(result: TracerResult) -> TracerResult:
    """Send the run's digest if Telegram is configured and config/notify.yaml asks for it (a
    call, or every run), or the daily heartbeat line; record how it went (the delivery,
    Telegram's status in the manifest, ``NOTIFY_FAILED`` when it failed). A quiet run that
    sends nothing is recorded as ``withheld``."""
    if not telegram_configured():
        return result
    run = result.run
    outcome = run.outcome
    plan = plan_delivery(load_notify_policy(),
                         triggered=outcome.status is OutcomeStatus.TRIGGERED, as_of=run.as_of)
    if plan == "none":
        return _with_digest(result, DigestMessage(trace_id=run.digest.trace_id,
                                                  parts=run.digest.parts, delivery="withheld"))
    parts = run.digest.parts if plan == "digest" else (heartbeat_line(
        run.symbol, outcome_words(outcome.status, outcome.reason_codes), run.as_of,
        run.run_id),)
    delivery, status = send_digest(parts)
    if plan == "heartbeat" and delivery == "sent":
        delivery = "heartbeat"
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


def _with_digest(result: TracerResult, digest: DigestMessage) -> TracerResult:
    run = TracerRun.model_validate({**result.run.model_dump(), "digest": digest})
    return TracerResult(run, result.inputs, result.bars, result.bars_parquet)
