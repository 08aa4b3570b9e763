"""Where claims come from: one small reader per artifact kind.

A source is a function ``(artifacts_dir) -> list[PriceClaim]``: tracer runs
(``runs/<date>/tracer-*.json``) and universe runs (``universe_runs/<date>/<run_id>.json``,
one forecast per evaluated symbol). Files are found and validated by
:mod:`shared.store.readers`: a file that does not validate is skipped with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from shared.contracts import ProviderState, RunManifest
from shared.evaluation.records import MarketClaim, PriceClaim
from shared.store.readers import tracer_runs, universe_runs

__all__ = [
    "PRICE_SOURCES",
    "ClaimSource",
    "bar_feed",
    "read_price_claims",
    "tracer_run_claims",
    "universe_market_claims",
    "universe_run_claims",
]

logger = logging.getLogger(__name__)

ClaimSource = Callable[[Path], list[PriceClaim]]

_LIVE_BARS = "live"
_ANSWERED = (ProviderState.OK, ProviderState.DEGRADED, ProviderState.FAILED)


def bar_feed(manifest: RunManifest) -> str:
    """The feed the run's *bars* came from, which is the feed its forecast resolves on.

    ``manifest.feed`` names the run's feed, but a live run with Alpaca keys and no news key
    records ``synthetic`` (the news stand-in); its bars came from Alpaca all the same, as its
    provider statuses show, so it resolves on the live bars.
    """
    if manifest.feed != _LIVE_BARS and any(
        status.provider == "alpaca" and status.state in _ANSWERED
        for status in manifest.provider_statuses
    ):
        return _LIVE_BARS
    return manifest.feed


def tracer_run_claims(artifacts_dir: Path) -> list[PriceClaim]:
    """Forecasts from ``runs/<YYYY-MM-DD>/*.json`` whose ``type`` is ``tracer_run``.

    Sibling files (``.inputs.json``, ``.meta.json``, ``latest.json``) have another type or
    none and are skipped. A run whose ``forecast`` is null makes no claim.
    """
    claims = [
        PriceClaim(source="tracer_run", run_id=run.run_id, feed=bar_feed(run.manifest),
                   forecast=run.forecast, seed=run.manifest.seed,
                   outcome_status=run.outcome.status.value)
        for run in tracer_runs(artifacts_dir)
        if run.forecast is not None
    ]
    logger.info("sources: %d tracer-run forecasts under %s", len(claims), artifacts_dir)
    return claims


def universe_run_claims(artifacts_dir: Path) -> list[PriceClaim]:
    """Forecasts from ``universe_runs/<YYYY-MM-DD>/*.json`` whose ``type`` is
    ``universe_run`` (shard partials under ``_shards/`` are not runs and are skipped)."""
    claims = [
        PriceClaim(source="universe_run", run_id=run.run_id, feed=bar_feed(run.manifest),
                   forecast=record.forecast, seed=run.manifest.seed,
                   outcome_status=record.outcome.status.value if record.outcome else "")
        for run in universe_runs(artifacts_dir)
        for record in run.symbols
        if record.forecast is not None
    ]
    logger.info("sources: %d universe-run forecasts under %s", len(claims), artifacts_dir)
    return claims


COMPARISON_BOT = "polymarket_compare"
COMPARISON_VERSION = "1"


def universe_market_claims(artifacts_dir: Path) -> list[MarketClaim]:
    """Polymarket comparisons recorded by universe runs on the *live* Polymarket source:
    our probability of Yes beside the Yes price read at or before the decision time.

    Comparisons against the offline fixture markets are a demonstration of the fixture, not
    a claim about a real market, so they are not resolved (and never against live Gamma).
    """
    claims = [
        MarketClaim(
            market_id=item.market_id, run_id=run.run_id, decided_at=item.as_of,
            p=item.internal_prob, market_p=item.market_prob,
            market_price_at=item.market_price_at, bot=COMPARISON_BOT,
            bot_version=COMPARISON_VERSION, feed="polymarket", end_date=item.end_date,
        )
        for run in universe_runs(artifacts_dir)
        if run.polymarket.source == "live"
        for record in run.symbols
        if record.polymarket is not None
        for item in record.polymarket.comparisons
    ]
    logger.info("sources: %d live Polymarket comparisons under %s", len(claims), artifacts_dir)
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
