"""Deliver a universe digest: Telegram when its keys are set (else the caller prints), and
the Markdown table to ``$GITHUB_STEP_SUMMARY`` when running in Actions. Never fails a run.

The delivery state is logged, not written into the run file: the run is final (and identical
for sharded and unsharded runs) before it is delivered.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from pydantic import ValidationError

from functions.notify import send_parts, telegram_configured
from shared.contracts.universe import UniverseRun
from shared.errors import ArtifactError
from shared.universe.digest import render_step_summary

__all__ = ["deliver", "find_run", "write_step_summary"]

logger = logging.getLogger(__name__)


def deliver(run: UniverseRun) -> str:
    """Send the digest if Telegram is configured: "sent", "send_failed" or "printed"."""
    if not telegram_configured():
        return "printed"
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
    candidates = []
    for path in sorted((root / "universe_runs").glob("*/*.json")):
        if path.parent.name.startswith("_"):
            continue
        if run_id is not None and path.stem != run_id:
            continue
        try:
            head = json.loads(path.read_bytes())
        except (OSError, ValueError) as e:
            raise ArtifactError(f"{path}: unreadable universe run ({e})") from e
        if isinstance(head, dict) and head.get("type") == "universe_run":
            candidates.append((str(head.get("as_of")), path.stem, path))
    if not candidates:
        wanted = f"run {run_id}" if run_id else "any universe run"
        raise ArtifactError(f"{root / 'universe_runs'}: found no {wanted}")
    path = max(candidates)[2]
    try:
        return UniverseRun.model_validate_json(path.read_bytes())
    except ValidationError as e:
        raise ArtifactError(f"{path}: invalid universe run ({e})") from e
