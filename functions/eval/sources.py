"""Where claims come from: one small reader per artifact kind.

A source is a function ``(artifacts_dir) -> list[PriceClaim]``: tracer runs
(``runs/<date>/tracer-*.json``) and universe runs (``universe_runs/<date>/<run_id>.json``,
one forecast per evaluated symbol). A file that says it is a run but does not validate is an
error (fail loud), not a skipped file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from shared.contracts import TracerRun
from shared.contracts.universe import UniverseRun
from shared.errors import ArtifactError
from shared.evaluation.records import PriceClaim

__all__ = [
    "PRICE_SOURCES",
    "ClaimSource",
    "read_price_claims",
    "tracer_run_claims",
    "universe_run_claims",
]

logger = logging.getLogger(__name__)

ClaimSource = Callable[[Path], list[PriceClaim]]


def tracer_run_claims(artifacts_dir: Path) -> list[PriceClaim]:
    """Forecasts from ``runs/<YYYY-MM-DD>/*.json`` whose ``type`` is ``tracer_run``.

    Sibling files (``.inputs.json``, ``.meta.json``, ``latest.json``) have another type or
    none and are skipped. A run whose ``forecast`` is null makes no claim.
    """
    claims: list[PriceClaim] = []
    for path in sorted(artifacts_dir.glob("runs/*/*.json")):
        text = path.read_text(encoding="utf-8")
        try:
            head = json.loads(text)
        except ValueError as e:
            raise ArtifactError(f"{path}: not JSON ({e})") from e
        if not isinstance(head, dict) or head.get("type") != "tracer_run":
            continue
        try:
            run = TracerRun.model_validate_json(text)
        except ValidationError as e:
            raise ArtifactError(f"{path}: invalid tracer_run: {e}") from e
        if run.forecast is None:
            continue
        claims.append(
            PriceClaim(
                source="tracer_run",
                run_id=run.run_id,
                feed=run.manifest.feed,
                forecast=run.forecast,
            )
        )
    logger.info("sources: %d tracer-run forecasts under %s", len(claims), artifacts_dir)
    return claims


def universe_run_claims(artifacts_dir: Path) -> list[PriceClaim]:
    """Forecasts from ``universe_runs/<YYYY-MM-DD>/*.json`` whose ``type`` is
    ``universe_run`` (shard partials under ``_shards/`` are not runs and are skipped)."""
    claims: list[PriceClaim] = []
    for path in sorted(artifacts_dir.glob("universe_runs/*/*.json")):
        if path.parent.name.startswith("_"):
            continue
        text = path.read_text(encoding="utf-8")
        try:
            head = json.loads(text)
        except ValueError as e:
            raise ArtifactError(f"{path}: not JSON ({e})") from e
        if not isinstance(head, dict) or head.get("type") != "universe_run":
            continue
        try:
            run = UniverseRun.model_validate_json(text)
        except ValidationError as e:
            raise ArtifactError(f"{path}: invalid universe_run: {e}") from e
        claims.extend(
            PriceClaim(source="universe_run", run_id=run.run_id, feed=run.manifest.feed,
                       forecast=record.forecast)
            for record in run.symbols
            if record.forecast is not None
        )
    logger.info("sources: %d universe-run forecasts under %s", len(claims), artifacts_dir)
    return claims


PRICE_SOURCES: dict[str, ClaimSource] = {
    "tracer_run": tracer_run_claims,
    "universe_run": universe_run_claims,
}


def read_price_claims(
    artifacts_dir: Path, sources: dict[str, ClaimSource] | None = None
) -> list[PriceClaim]:
    """Claims from every registered source, in source-name order."""
    registry = PRICE_SOURCES if sources is None else sources
    claims: list[PriceClaim] = []
    for name in sorted(registry):
        claims.extend(registry[name](artifacts_dir))
    return claims
