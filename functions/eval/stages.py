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
from functions.eval.metrics import Snapshot, build_snapshot
from functions.eval.persist import (
    append_observations,
    read_observations,
    record_quarantined,
    trend_history,
    write_snapshot,
    write_unresolved,
)
from functions.eval.resolvers import GammaLookup
from functions.eval.sources import ClaimSource, read_price_claims, universe_market_claims
from shared.contracts import format_utc
from shared.evaluation.intervals import DEFAULT_RESAMPLES
from shared.evaluation.records import MarketClaim, MarketResolution
from shared.evaluation.render import reliability_png, trend_png
from shared.evaluation.resolve import FeedKind, ResolutionPolicy, ResolverRegistry, feed_kind
from shared.store import quarantine
from shared.store.csvfile import read_rows, upsert_rows
from shared.store.hygiene import remove_leftovers
from shared.store.layout import EVAL_DIR, EvalPaths

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
    resolvers: ResolverRegistry,
    only_feed: FeedKind | None = None,
    sources: dict[str, ClaimSource] | None = None,
    market_claims: Sequence[MarketClaim] | None = None,
    resolutions: Mapping[str, MarketResolution] | None = None,
    gamma: GammaLookup | None = None,
    policy: ResolutionPolicy | None = None,
) -> dict[str, Any]:
    """Resolve the forecasts due by ``as_of``, each on its own feed, and persist them; return
    the counts. ``only_feed`` limits the ingest to the forecasts made on one kind of feed (the
    others are left for another ingest, not counted). ``market_claims`` default to the live
    Polymarket comparisons of the committed universe runs; those due and not final yet are
    looked up with ``gamma`` (when given) on top of ``resolutions``.

    A committed run file or observation row that cannot be used is passed over, recorded in
    ``eval_runs/quarantine.csv`` and named in the counts, which are then ``degraded`` with
    ``ARTIFACT_QUARANTINED``; the rest is ingested."""
    paths = EvalPaths(artifacts_dir)
    remove_leftovers(artifacts_dir, EVAL_DIR)  # temp files of a killed earlier run
    with quarantine.watching() as passed_over:
        existing = read_observations(paths.observations)
        claims = read_price_claims(artifacts_dir, sources)
        if only_feed is not None:
            claims = [c for c in claims if feed_kind(c.feed) is only_feed]
        known = {item.forecast_id for item in existing}
        markets = (universe_market_claims(artifacts_dir) if market_claims is None
                   else list(market_claims))
        if only_feed is not None:
            markets = []  # a feed filter names a bar feed; markets resolve on Gamma
        records = dict(resolutions or {})
        due = sorted({m.market_id for m in markets if m.forecast_id not in known
                      and (m.end_date is None or m.end_date <= as_of)} - set(records))
        if gamma is not None and due:
            records.update(gamma(due))
        result = ingest(
            claims,
            resolvers=resolvers,
            as_of=as_of,
            known_ids=known,
            market_claims=markets,
            resolutions=records,
            policy=policy,
        )
        added = append_observations(paths.observations, result.observations)
    write_unresolved(paths.unresolved, result.unresolved)
    summary = result.summary()
    if passed_over:
        record_quarantined(artifacts_dir, passed_over, as_of, "eval-ingest")
        summary["degraded"] = True
        summary["degraded_reasons"] = [quarantine.ARTIFACT_QUARANTINED]
        summary["quarantined"] = quarantine.paths(passed_over, artifacts_dir)
    summary["as_of"] = format_utc(as_of)
    summary["observations_total"] = len(existing) + added
    reasons = summary["unresolved_reasons"]
    assert isinstance(reasons, dict)
    log_row = {name: str(summary.get(name, "")) for name in INGEST_LOG_COLUMNS}
    log_row["unresolved_reasons"] = ";".join(f"{k}={v}" for k, v in reasons.items())
    upsert_rows(paths.ingest_log, INGEST_LOG_COLUMNS, [log_row], key=("as_of",))
    logger.info("eval ingest at %s: %d new observations", summary["as_of"], added)
    return summary


def _write_snapshot(artifacts_dir: Path, snapshot: Snapshot) -> Path:
    metrics = snapshot.metrics
    sections = {
        name: [b.model_dump() for b in section.calibration]
        for name, section in (("price", metrics.price), ("polymarket", metrics.polymarket))
        if section is not None and section.n
    }
    stamp = format_utc(metrics.as_of)
    plots = {
        "reliability.png": reliability_png(
            sections, title=f"Reliability at {stamp} ({snapshot.kind})"),
        "trend.png": trend_png(trend_history(artifacts_dir, snapshot),
                               title=f"Hit rate and Brier to {stamp}"),
    }
    return write_snapshot(artifacts_dir, snapshot, plots)


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
    remove_leftovers(artifacts_dir, EVAL_DIR)
    reasons = Counter(row["reason"] for row in read_rows(paths.unresolved))
    with quarantine.watching() as passed_over:
        observations = read_observations(paths.observations)
    if passed_over:
        record_quarantined(artifacts_dir, passed_over, as_of, f"eval-{kind}")
    snapshot = build_snapshot(
        observations,
        as_of=as_of,
        kind=kind,
        unresolved_reasons=dict(reasons),
        n_resamples=n_resamples,
        seed=seed,
    )
    folder = _write_snapshot(artifacts_dir, snapshot)
    logger.info("eval %s snapshot at %s: %s", kind, folder, snapshot.metrics.verdict)
    return folder, snapshot
