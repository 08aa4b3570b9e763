"""eval_ingest, the core: resolve every due claim that has no final observation yet.

No file I/O: claims come in, observations and unresolved claims go out; the feed is an
injected :class:`MarketFeed` and asked only for bars that had closed by ``as_of``, so an
ingest at ``t`` sees exactly what was knowable at ``t``. Idempotent by construction: a claim
whose id is in ``known_ids`` (already resolved or voided) is skipped, so a second run with
the same inputs adds nothing. Claims whose horizon has not passed are counted as not due.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime

from shared.contracts import Timeframe
from shared.errors import TransientProviderError
from shared.evaluation.records import (
    MarketClaim,
    MarketResolution,
    Observation,
    PriceClaim,
    Unresolved,
    UnresolvedReason,
)
from shared.evaluation.resolve import BarIndex, ResolutionPolicy, resolve_market, resolve_price
from shared.providers.base import MarketFeed

__all__ = ["IngestResult", "ingest"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    """What one ingest found. ``observations`` are new final rows, in a stable order."""

    as_of: datetime
    observations: tuple[Observation, ...]
    unresolved: tuple[Unresolved, ...]
    claims_seen: int
    already_final: int
    not_due: int
    duplicates: int = 0
    unresolved_reasons: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        """Counts for logs and the ingest log row."""
        return {
            "as_of": self.as_of,
            "claims_seen": self.claims_seen,
            "already_final": self.already_final,
            "not_due": self.not_due,
            "duplicates": self.duplicates,
            "resolved_new": sum(1 for o in self.observations if o.y is not None),
            "voided_new": sum(1 for o in self.observations if o.y is None),
            "unresolved": len(self.unresolved),
            "unresolved_reasons": dict(sorted(self.unresolved_reasons.items())),
        }


def _fetch_bars(
    feed: MarketFeed, claims: Sequence[PriceClaim], *, as_of: datetime, policy: ResolutionPolicy
) -> dict[str, BarIndex] | TransientProviderError:
    symbols = sorted({claim.forecast.symbol for claim in claims})
    earliest = min(claim.forecast.as_of for claim in claims)
    start = earliest - policy.climatology_lookback - max(policy.max_bar_age.values())
    logger.info("ingest: fetching bars for %s from %s to %s", symbols, start, as_of)
    try:
        frames = feed.bars(symbols, start=start, end=as_of, timeframe=Timeframe.HOUR)
    except TransientProviderError as e:
        logger.warning("ingest: feed %s failed transiently: %s", feed.name, e)
        return e
    return {symbol: BarIndex.from_frame(frames[symbol]) for symbol in symbols if symbol in frames}


def ingest(
    price_claims: Sequence[PriceClaim],
    *,
    feed: MarketFeed,
    as_of: datetime,
    known_ids: Set[str] = frozenset(),
    market_claims: Sequence[MarketClaim] = (),
    resolutions: Mapping[str, MarketResolution] | None = None,
    policy: ResolutionPolicy | None = None,
) -> IngestResult:
    """Resolve the claims due by ``as_of`` that ``known_ids`` does not hold yet."""
    policy = policy or ResolutionPolicy()
    seen: set[str] = set()
    duplicates = 0
    due_price: list[PriceClaim] = []
    due_market: list[MarketClaim] = []
    already_final = not_due = 0
    claims: list[PriceClaim | MarketClaim] = [*price_claims, *market_claims]
    for claim in claims:
        if claim.forecast_id in seen:
            duplicates += 1
            continue
        seen.add(claim.forecast_id)
        if claim.forecast_id in known_ids:
            already_final += 1
        elif isinstance(claim, PriceClaim):
            if claim.target_at > as_of:
                not_due += 1
            else:
                due_price.append(claim)
        else:
            due_market.append(claim)
    results: list[Observation | Unresolved] = []
    if due_price:
        bars = _fetch_bars(feed, due_price, as_of=as_of, policy=policy)
        for claim in due_price:
            if isinstance(bars, TransientProviderError):
                results.append(
                    Unresolved(
                        claim.forecast_id,
                        claim.source,
                        claim.forecast.symbol,
                        claim.forecast.as_of,
                        claim.target_at,
                        UnresolvedReason.FEED_ERROR,
                        str(bars)[:200],
                    )
                )
                continue
            index = bars.get(claim.forecast.symbol) or BarIndex.empty()
            results.append(resolve_price(claim, index, resolved_at=as_of, policy=policy))
    records = resolutions or {}
    for market in due_market:
        results.append(resolve_market(market, records.get(market.market_id), resolved_at=as_of))
    observations = sorted(
        (item for item in results if isinstance(item, Observation)),
        key=lambda o: (o.as_of, o.forecast_id),
    )
    unresolved = sorted(
        (item for item in results if isinstance(item, Unresolved)),
        key=lambda u: (u.as_of, u.forecast_id),
    )
    reasons = Counter(item.reason.value for item in unresolved)
    result = IngestResult(
        as_of=as_of,
        observations=tuple(observations),
        unresolved=tuple(unresolved),
        claims_seen=len(seen),
        already_final=already_final,
        not_due=not_due,
        duplicates=duplicates,
        unresolved_reasons=dict(reasons),
    )
    logger.info("ingest: %s", result.summary())
    return result
