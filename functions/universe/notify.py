"""Deliver a universe digest: Telegram when its keys are set (else the caller prints), and
the Markdown table to ``$GITHUB_STEP_SUMMARY`` when running in Actions. Never fails a run.

The delivery state is logged, not written into the run file: the run is final (and identical
for sharded and unsharded runs) before it is delivered.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from shared.contracts.universe import UniverseRun
from shared.notify import (
    heartbeat_line,
    load_notify_policy,
    plan_delivery,
    send_parts,
    telegram_configured,
)
from shared.store.readers import latest_universe_run
from shared.universe.digest import render_step_summary

__all__ = ["deliver", "find_run", "write_step_summary"]

logger = logging.getLogger(__name__)


def deliver(run: UniverseRun) -> str:
    """Send the digest if Telegram is configured and config/notify.yaml asks for it (a call,
    or every run) or the daily heartbeat line: "sent", "heartbeat", "withheld",
    "send_failed" or "printed"."""
    if not telegram_configured():
        return "printed"
    plan = plan_delivery(load_notify_policy(), triggered=run.counts.triggered > 0,
                         as_of=run.as_of)
    if plan == "none":
        return "withheld"
    if plan == "heartbeat":
        words = f"{run.counts.symbols} symbols, no call"
        delivery = send_parts((heartbeat_line("universe", words, run.as_of, run.run_id),))
        return "heartbeat" if delivery == "sent" else delivery
    delivery = send_parts(run.digest_parts)
    if delivery != "sent":
        logger.warning("universe digest %s was not sent (%s)", run.run_id, delivery)
    return delivery


def write_step_summary(run: UniverseRun) -> bool:
    """Append the run's table to ``$GITHUB_STEP_SUMMARY`` when set; a write error is logged."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    try:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(render_step_summary(run))
    except OSError as e:
        logger.warning("could not write the step summary to %s: %s", target, e)
        return False
    return True


def find_run(root: Path, run_id: str | None = None) -> UniverseRun:
    """The universe run ``run_id``, or the newest (by as-of, then run id) under ``root``."""
    return latest_universe_run(root, run_id)
