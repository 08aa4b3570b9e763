"""The scheduled evaluation stages with their I/O: read artifacts, call the core, persist.

* :func:`run_ingest` (daily): resolve due forecasts into ``eval_runs/observations.csv``.
* :func:`run_snapshot` with ``kind="daily"`` (eval_runner) or ``"weekly"`` (eval_weekly):
  write ``eval_runs/<YYYYMMDDTHHMMSSZ>/`` and add a row to ``eval_runs/trend.csv``.

Both are deterministic in their inputs and the as-of time (no wall clock), and idempotent:
running one twice with the same as-of time leaves the same files. Daily and weekly snapshots
write the same files; the folder is named by the as-of time alone, so a weekly snapshot at
the time of a daily one replaces its files (same scores, ``kind`` weekly) while the trend
keeps both rows.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from functions.eval.ingest import ingest
from functions.eval.metrics import (
    CALIBRATION_COLUMNS,
    COHORT_COLUMNS,
    TREND_COLUMNS,
    Snapshot,
    build_snapshot,
)
from functions.eval.sources import ClaimSource, read_price_claims
from shared.contracts import format_utc
from shared.evaluation.intervals import DEFAULT_RESAMPLES
from shared.evaluation.records import MarketClaim, MarketResolution
from shared.evaluation.render import reliability_png, trend_png
from shared.evaluation.resolve import ResolutionPolicy
from shared.evaluation.store import (
    EvalPaths,
    append_observations,
    atomic_write_bytes,
    atomic_write_text,
    csv_text,
    read_csv_rows,
    read_observations,
    upsert_rows,
    write_json,
    write_unresolved,
)
from shared.providers.base import MarketFeed

__all__ = ["INGEST_LOG_COLUMNS", "run_ingest", "run_snapshot"]

logger = logging.getLogger(__name__)

# State after the ingest, not what this invocation added, so a re-run leaves the same row.
INGEST_LOG_COLUMNS = (
    "as_of",
    "claims_seen",
    "observations_total",
    "not_due",
    "duplicates",
    "unresolved",
    "unresolved_reasons",
)


def run_ingest(
    artifacts_dir: Path,
    *,
    as_of: datetime,
    feed: MarketFeed,
    sources: dict[str, ClaimSource] | None = None,
    market_claims: Sequence[MarketClaim] = (),
    resolutions: Mapping[str, MarketResolution] | None = None,
    policy: ResolutionPolicy | None = None,
) -> dict[str, Any]:
    """Resolve the forecasts due by ``as_of`` and persist them; return the counts."""
    paths = EvalPaths(artifacts_dir)
    existing = read_observations(paths.observations)
    result = ingest(
        read_price_claims(artifacts_dir, sources),
        feed=feed,
        as_of=as_of,
        known_ids={item.forecast_id for item in existing},
        market_claims=market_claims,
        resolutions=resolutions,
        policy=policy,
    )
    added = append_observations(paths.observations, result.observations)
    write_unresolved(paths.unresolved, result.unresolved)
    summary = result.summary()
    summary["as_of"] = format_utc(as_of)
    summary["observations_total"] = len(existing) + added
    reasons = summary["unresolved_reasons"]
    assert isinstance(reasons, dict)
    log_row = {name: str(summary.get(name, "")) for name in INGEST_LOG_COLUMNS}
    log_row["unresolved_reasons"] = ";".join(f"{k}={v}" for k, v in reasons.items())
    upsert_rows(paths.ingest_log, INGEST_LOG_COLUMNS, [log_row], key=("as_of",))
    logger.info("eval ingest at %s: %d new observations", summary["as_of"], added)
    return summary


def _write_snapshot(paths: EvalPaths, snapshot: Snapshot) -> Path:
    folder = paths.snapshot(snapshot.as_of)
    write_json(folder / "metrics.json", snapshot.metrics)
    atomic_write_text(
        folder / "calibration.csv", csv_text(CALIBRATION_COLUMNS, snapshot.calibration_rows)
    )
    atomic_write_text(folder / "cohorts.csv", csv_text(COHORT_COLUMNS, snapshot.cohort_rows))
    upsert_rows(paths.trend, TREND_COLUMNS, [snapshot.trend_row], key=("as_of", "kind"))
    sections = {
        name: snapshot.metrics[name]["calibration"]
        for name in ("price", "polymarket")
        if snapshot.metrics.get(name, {}).get("n")
    }
    stamp = snapshot.metrics["as_of"]
    atomic_write_bytes(
        folder / "reliability.png",
        reliability_png(sections, title=f"Reliability at {stamp} ({snapshot.kind})"),
    )
    history = [row for row in read_csv_rows(paths.trend) if row["as_of"] <= stamp]
    atomic_write_bytes(
        folder / "trend.png", trend_png(history, title=f"Hit rate and Brier to {stamp}")
    )
    return folder


def run_snapshot(
    artifacts_dir: Path,
    *,
    as_of: datetime,
    kind: str,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[Path, Snapshot]:
    """Score everything resolved by ``as_of`` and write the snapshot folder and trend row."""
    paths = EvalPaths(artifacts_dir)
    reasons = Counter(row["reason"] for row in read_csv_rows(paths.unresolved))
    snapshot = build_snapshot(
        read_observations(paths.observations),
        as_of=as_of,
        kind=kind,
        unresolved_reasons=dict(reasons),
        n_resamples=n_resamples,
        seed=seed,
    )
    folder = _write_snapshot(paths, snapshot)
    logger.info("eval %s snapshot at %s: %s", kind, folder, snapshot.metrics["verdict"])
    return folder, snapshot
