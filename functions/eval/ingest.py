"""eval_ingest, the core: resolve every due claim that has no final observation yet.

No file I/O: claims come in, observations and unresolved claims go out. Each claim is resolved
on its own feed, which the injected :class:`ResolverRegistry` supplies (one fetch per feed and
seed); a feed the registry cannot supply leaves its claims unresolved with the registry's
reason, never resolved on another feed. Feeds are asked only for bars that had closed by
``as_of``, so an ingest at ``t`` sees exactly what was knowable at ``t``. Idempotent by
construction: a claim whose id is in ``known_ids`` (already resolved or voided) is skipped,
so a second run with the same inputs adds nothing. Claims whose horizon has not passed are
counted as not due.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.contracts import Timeframe
from shared.errors import ProviderError
from shared.evaluation.records import (
    MarketClaim,
    MarketResolution,
    Observation,
    PriceClaim,
    Unresolved,
    UnresolvedReason,
)
from shared.evaluation.resolve import (
    BarIndex,
    BarSource,
    FeedUnavailable,
    ResolutionPolicy,
    ResolverRegistry,
    resolve_market,
    resolve_price,
)

__all__ = ["IngestResult", "ingest"]

_DAILY_MAX_BAR_AGE = timedelta(days=4)  # a weekend or a holiday between two daily closes

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
    feed: BarSource, claims: Sequence[PriceClaim], *, as_of: datetime, policy: ResolutionPolicy
) -> dict[str, BarIndex] | ProviderError:
    symbols = sorted({claim.forecast.symbol for claim in claims})
    earliest = min(claim.forecast.as_of for claim in claims)
    start = earliest - policy.climatology_lookback - max(policy.max_bar_age.values())
    logger.info("ingest: fetching bars for %s from %s to %s", symbols, start, as_of)
    try:
        frames = feed.bars(symbols, start=start, end=as_of, timeframe=_timeframe(feed))
    except ProviderError as e:  # transient, auth or a bad answer: retried on the next ingest
        logger.warning("ingest: feed %s failed: %s", feed.name, e)
        return e
    return {symbol: BarIndex.from_frame(frames[symbol]) for symbol in symbols if symbol in frames}


def _timeframe(feed: BarSource) -> Timeframe:
    # a dataset feed serves its own timeframe (1m, 1h or 1d); every other feed hourly bars
    value = getattr(feed, "timeframe", Timeframe.HOUR)
    return value if isinstance(value, Timeframe) else Timeframe.HOUR


def _policy_for(feed: BarSource, policy: ResolutionPolicy) -> ResolutionPolicy:
    # daily closes are up to a long weekend apart: "the close at t" may be that old
    if _timeframe(feed) is not Timeframe.DAY:
        return policy
    ages = {k: max(v, _DAILY_MAX_BAR_AGE) for k, v in policy.max_bar_age.items()}
    return dataclasses.replace(policy, max_bar_age=ages)


def _unresolved(claim: PriceClaim, reason: UnresolvedReason, detail: str) -> Unresolved:
    return Unresolved(claim.forecast_id, claim.source, claim.forecast.symbol,
                      claim.forecast.as_of, claim.target_at, reason, detail, claim.feed)


def _resolve_group(
    claims: Sequence[PriceClaim],
    resolver: BarSource | FeedUnavailable,
    *,
    as_of: datetime,
    policy: ResolutionPolicy,
) -> list[Observation | Unresolved]:
    # Claims of one feed (and seed) against that feed alone.
    if isinstance(resolver, FeedUnavailable):
        logger.warning("ingest: %d claims on feed %r stay unresolved: %s", len(claims),
                       claims[0].feed, resolver.detail)
        return [_unresolved(c, resolver.reason, resolver.detail) for c in claims]
    policy = _policy_for(resolver, policy)
    bars = _fetch_bars(resolver, claims, as_of=as_of, policy=policy)
    if isinstance(bars, ProviderError):
        return [_unresolved(c, UnresolvedReason.FEED_ERROR, str(bars)[:200]) for c in claims]
    return [
        resolve_price(c, bars.get(c.forecast.symbol) or BarIndex.empty(), resolved_at=as_of,
                      policy=policy)
        for c in claims
    ]


def ingest(
    price_claims: Sequence[PriceClaim],
    *,
    resolvers: ResolverRegistry,
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
        elif claim.end_date is not None and claim.end_date > as_of:
            not_due += 1
        else:
            due_market.append(claim)
    results: list[Observation | Unresolved] = []
    groups: dict[tuple[str, int], list[PriceClaim]] = {}
    for claim in due_price:
        groups.setdefault(resolvers.key(claim.feed, claim.seed), []).append(claim)
    for (feed_name, seed), group in sorted(groups.items()):
        results.extend(_resolve_group(group, resolvers.resolver(feed_name, seed),
                                      as_of=as_of, policy=policy))
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
