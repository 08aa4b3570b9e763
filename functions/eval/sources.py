"""Where claims come from: one small reader per artifact kind.

A source is a function ``(artifacts_dir) -> list[PriceClaim]``: tracer runs
(``runs/<date>/tracer-*.json``) and universe runs (``universe_runs/<date>/<run_id>.json``,
one forecast per evaluated symbol). A file that says it is a run but does not validate is an
error (fail loud), not a skipped file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

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
RunT = TypeVar("RunT", bound=BaseModel)


def _runs_of_type(paths: Iterable[Path], kind: str, model: type[RunT]) -> Iterator[RunT]:
    # Files whose top-level ``type`` is ``kind``, validated; siblings of other types are
    # skipped, and a file of this type that does not validate is an error (fail loud).
    for path in paths:
        text = path.read_text(encoding="utf-8")
        try:
            head = json.loads(text)
        except ValueError as e:
            raise ArtifactError(f"{path}: not JSON ({e})") from e
        if not isinstance(head, dict) or head.get("type") != kind:
            continue
        try:
            yield model.model_validate_json(text)
        except ValidationError as e:
            raise ArtifactError(f"{path}: invalid {kind}: {e}") from e


def tracer_run_claims(artifacts_dir: Path) -> list[PriceClaim]:
    """Forecasts from ``runs/<YYYY-MM-DD>/*.json`` whose ``type`` is ``tracer_run``.

    Sibling files (``.inputs.json``, ``.meta.json``, ``latest.json``) have another type or
    none and are skipped. A run whose ``forecast`` is null makes no claim.
    """
    claims = [
        PriceClaim(source="tracer_run", run_id=run.run_id, feed=run.manifest.feed,
                   forecast=run.forecast)
        for run in _runs_of_type(sorted(artifacts_dir.glob("runs/*/*.json")), "tracer_run",
                                 TracerRun)
        if run.forecast is not None
    ]
    logger.info("sources: %d tracer-run forecasts under %s", len(claims), artifacts_dir)
    return claims


def universe_run_claims(artifacts_dir: Path) -> list[PriceClaim]:
    """Forecasts from ``universe_runs/<YYYY-MM-DD>/*.json`` whose ``type`` is
    ``universe_run`` (shard partials under ``_shards/`` are not runs and are skipped)."""
    paths = [p for p in sorted(artifacts_dir.glob("universe_runs/*/*.json"))
             if not p.parent.name.startswith("_")]
    claims = [
        PriceClaim(source="universe_run", run_id=run.run_id, feed=run.manifest.feed,
                   forecast=record.forecast)
        for run in _runs_of_type(paths, "universe_run", UniverseRun)
        for record in run.symbols
        if record.forecast is not None
    ]
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
