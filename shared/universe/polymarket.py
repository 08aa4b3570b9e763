"""Polymarket beside our model: which markets qualify, what they ask, and our own probability.

Pure functions over small typed records (no HTTP here; the live and fixture sources build the
records). Read-only: nothing here places or prepares an order.

**Questions.** A market qualifies only with one unambiguous price threshold on the asset:

* terminal, ``above``: "Will Bitcoin be above $120,000 on December 31?", "Ethereum above 2,250
  on April 24, 12AM ET?", "S&P 500 (SPY) closes above $715 on April 24?", "greater than $X";
* terminal, ``below``: "below $X", "less than $X";
* touch, ``reach`` (up): "Will Bitcoin reach $78,000 on April 24?", "hit (HIGH) $272";
* touch, ``dip`` (down): "Will Solana dip to $85 on April 24?", "hit (LOW) $268".

Anything else is ambiguous and excluded (``PM_AMBIGUOUS_QUESTION``): ranges ("between $X and
$Y", "close at $X-$Y"), "Up or Down", "All Time High", a bare "hit $X", two thresholds.

**Internal probability.** With spot ``S``, strike ``K``, hourly log-volatility ``s`` (realized,
from the symbol's own bars) and ``T`` hours to resolution (trading hours for equities: the clock
their volatility is measured in), the log price at ``T`` is taken as normal with variance
``s^2 T`` and mean ``ln S + m - s^2 T / 2``, where the narrative tilt is
``m = narrative_tilt * narrative_score * s * min(T, tilt_horizon_hours)``: a drift of
``narrative_tilt`` hourly sigmas per hour per unit of score, for at most the tilt horizon
(stories fade; a year-long drift from one headline would be absurd). Then
``P(above) = Phi((ln(S/K) + m - s^2 T / 2) / (s sqrt(T)))`` and ``P(below) = 1 - P(above)``.

Touch questions use the reflection principle for a driftless Brownian log price (no tilt):
``P(reach K > S) = 2 Phi(-ln(K/S) / (s sqrt(T)))``, ``P(dip to K < S) = 2 Phi(ln(K/S) /
(s sqrt(T)))``, and 1 when the threshold is already crossed. ``barrier: exclude`` in the config
drops touch questions instead (``PM_BARRIER_EXCLUDED``).

Caveats: realized volatility over a short window is noisy; GBM has no jumps or fat tails, so
far out-of-the-money probabilities are understated; a market resolving on a specific source or
minute is only approximated by our bar closes.

**Prices.** The market's price is the Yes probability observed *at or before* ``as_of`` (the
newest such point of the CLOB price history, or the Gamma snapshot's outcome price when the
snapshot was read by then) and no older than ``max_price_age_hours``. A later price is never
used: :func:`price_at` ignores it, and the artifact's contract refuses it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.contracts.universe import PolymarketComparison, SymbolPolymarket
from shared.universe.config import PolymarketRules

__all__ = [
    "MarketRecord",
    "PriceObservation",
    "Threshold",
    "evaluate_markets",
    "internal_probability",
    "mentions",
    "parse_threshold",
    "price_at",
    "prob_above",
    "prob_touch",
    "quality_exclusion",
]

ThresholdKind = Literal["above", "below", "reach", "dip"]


@dataclass(frozen=True)
class PriceObservation:
    """The Yes token's price (a probability) observed at ``at``."""

    at: datetime
    prob: float
    source: Literal["prices_history", "outcome_price"]


@dataclass(frozen=True)
class MarketRecord:
    """The fields of one Gamma market that the rules need, and when they were read."""

    market_id: str
    question: str
    observed_at: datetime
    slug: str | None = None
    end_date: datetime | None = None
    active: bool | None = None
    closed: bool | None = None
    archived: bool | None = None
    accepting_orders: bool | None = None
    liquidity_usd: float | None = None
    volume_usd: float | None = None
    outcomes: tuple[str, ...] = ()
    outcome_prices: tuple[float, ...] = ()
    clob_token_ids: tuple[str, ...] = ()

    def _yes(self) -> int | None:
        lowered = [o.strip().lower() for o in self.outcomes]
        return lowered.index("yes") if "yes" in lowered else None

    @property
    def yes_token(self) -> str | None:
        i = self._yes()
        return self.clob_token_ids[i] if i is not None and i < len(self.clob_token_ids) else None

    def snapshot_price(self) -> PriceObservation | None:
        i = self._yes()
        if i is None or i >= len(self.outcome_prices):
            return None
        return PriceObservation(self.observed_at, self.outcome_prices[i], "outcome_price")


@dataclass(frozen=True)
class Threshold:
    kind: ThresholdKind
    strike_usd: float

    @property
    def touch(self) -> bool:
        return self.kind in ("reach", "dip")


_AMOUNT = r"\$?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?(?P<unit>[kKmM]\b)?"
_KEYWORDS: tuple[tuple[str, ThresholdKind], ...] = (
    (r"hit\s*\(\s*high\s*\)", "reach"),
    (r"hit\s*\(\s*low\s*\)", "dip"),
    (r"(?:reach|reaches)", "reach"),
    (r"(?:dip|dips|fall|falls|drop|drops)\s+to", "dip"),
    (r"(?:above|greater\s+than|higher\s+than)", "above"),
    (r"(?:below|less\s+than|lower\s+than)", "below"),
)
_THRESHOLD = re.compile(
    r"\b(?P<kw>" + "|".join(f"(?:{pattern})" for pattern, _ in _KEYWORDS) + r")\s+" + _AMOUNT,
    re.IGNORECASE,
)
_AMBIGUOUS = re.compile(
    r"\bbetween\b|\bup\s+or\s+down\b|all[\s-]+time\s+high|\$\s?\d[\d,.]*\s?-\s?\$?\s?\d"
    r"|\brange\b|\bor\s+(?:above|below|more|less)\b",
    re.IGNORECASE,
)


def parse_threshold(question: str) -> Threshold | None:
    """The question's one price threshold, or None when it has none or more than one."""
    if _AMBIGUOUS.search(question):
        return None
    found = {(_kind(m.group("kw")), _amount(m.group("num"), m.group("unit")))
             for m in _THRESHOLD.finditer(question)}
    if len(found) != 1:
        return None
    ((kind, strike),) = found
    return Threshold(kind, strike) if strike > 0 else None


def _kind(keyword: str) -> ThresholdKind:
    for pattern, kind in _KEYWORDS:
        if re.fullmatch(pattern, keyword.strip(), re.IGNORECASE):
            return kind
    raise ValueError(f"no threshold kind for {keyword!r}")  # unreachable: the regex matched


def _amount(number: str, unit: str | None) -> float:
    value = float(number.replace(",", ""))
    scale = {"k": 1e3, "m": 1e6}.get((unit or "").lower(), 1.0)
    return value * scale


def mentions(text: str, terms: Iterable[str]) -> bool:
    """Whether ``text`` names any of ``terms`` as a whole word (case-insensitive)."""
    lowered = text.lower()
    return any(
        re.search(r"(?<![\w&])" + re.escape(term.lower()) + r"(?![\w&])", lowered)
        for term in terms if term
    )


def quality_exclusion(market: MarketRecord, as_of: datetime, rules: PolymarketRules
                      ) -> str | None:
    """The reason code excluding ``market`` at ``as_of`` on its own fields, or None."""
    if market.closed or market.archived or market.active is False \
            or market.accepting_orders is False:
        return "PM_NOT_TRADING"
    if market.yes_token is None and market.snapshot_price() is None:
        return "PM_NOT_BINARY"
    if market.liquidity_usd is None or market.liquidity_usd < rules.min_liquidity_usd:
        return "PM_LOW_LIQUIDITY"
    if market.volume_usd is None or market.volume_usd < rules.min_volume_usd:
        return "PM_LOW_VOLUME"
    if market.end_date is None:
        return "PM_RESOLUTION_OUT_OF_RANGE"
    left = market.end_date - as_of
    if left < timedelta(hours=rules.min_hours_to_resolution) \
            or left > timedelta(days=rules.max_days_to_resolution):
        return "PM_RESOLUTION_OUT_OF_RANGE"
    return None


def price_at(observations: Iterable[PriceObservation], as_of: datetime,
             max_age: timedelta) -> PriceObservation | None:
    """The newest observation at or before ``as_of`` and no older than ``max_age``. Later
    observations are ignored (never used, however close)."""
    usable = [o for o in observations if o.at <= as_of and as_of - o.at <= max_age
              and 0.0 <= o.prob <= 1.0]
    return max(usable, key=lambda o: (o.at, o.source == "prices_history"), default=None)


def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def prob_above(spot: float, strike: float, vol_hourly: float, hours: float,
               drift_log: float = 0.0) -> float:
    """P(S_T > K) for a lognormal with ``vol_hourly`` per sqrt-hour over ``hours``."""
    scale = vol_hourly * math.sqrt(max(hours, 0.0))
    centre = math.log(spot / strike) + drift_log - 0.5 * scale * scale
    if scale <= 0.0:
        return 1.0 if centre > 0 else 0.0
    return min(1.0, max(0.0, _phi(centre / scale)))


def prob_touch(spot: float, strike: float, vol_hourly: float, hours: float) -> float:
    """P(the price touches K within ``hours``): reflection principle, driftless log price."""
    distance = abs(math.log(strike / spot))
    if distance == 0.0:
        return 1.0
    scale = vol_hourly * math.sqrt(max(hours, 0.0))
    if scale <= 0.0:
        return 0.0
    return min(1.0, max(0.0, 2.0 * _phi(-distance / scale)))


def internal_probability(threshold: Threshold, *, spot: float, vol_hourly: float,
                         hours: float, narrative_score: float | None,
                         rules: PolymarketRules) -> float:
    """Our probability that the market's question resolves Yes (see the module doc)."""
    k = threshold.strike_usd
    if threshold.kind == "reach":
        return 1.0 if spot >= k else prob_touch(spot, k, vol_hourly, hours)
    if threshold.kind == "dip":
        return 1.0 if spot <= k else prob_touch(spot, k, vol_hourly, hours)
    tilt = rules.narrative_tilt * (narrative_score or 0.0) * vol_hourly \
        * min(hours, float(rules.tilt_horizon_hours))
    above = prob_above(spot, k, vol_hourly, hours, tilt)
    return above if threshold.kind == "above" else 1.0 - above


@dataclass(frozen=True)
class SymbolMarket:
    """What the model knows about the symbol at ``as_of``."""

    symbol: str
    as_of: datetime
    spot_usd: float
    vol_hourly: float
    narrative_score: float | None
    hours_to: Callable[[datetime], float]  # model hours from as_of to a time


def evaluate_markets(state: SymbolMarket, markets: Sequence[MarketRecord],
                     history: Mapping[str, Sequence[PriceObservation]], terms: Sequence[str],
                     rules: PolymarketRules) -> SymbolPolymarket:
    """Filter ``markets`` to those about the asset that pass the rules, and compare each with
    the internal probability. ``history`` maps Yes-token ids to their price history."""
    excluded: dict[str, int] = {}
    comparisons: list[PolymarketComparison] = []
    relevant = sorted({m.market_id: m for m in markets
                       if mentions(m.question, terms)}.values(), key=lambda m: m.market_id)
    max_age = timedelta(hours=rules.max_price_age_hours)
    for market in relevant:
        code, comparison = _compare(state, market, history, rules, max_age)
        if comparison is not None:
            comparisons.append(comparison)
        elif code is not None:
            excluded[code] = excluded.get(code, 0) + 1
    return SymbolPolymarket(discovered=len(relevant), excluded=dict(sorted(excluded.items())),
                            comparisons=tuple(comparisons))


def _compare(state: SymbolMarket, market: MarketRecord,
             history: Mapping[str, Sequence[PriceObservation]], rules: PolymarketRules,
             max_age: timedelta) -> tuple[str | None, PolymarketComparison | None]:
    code = quality_exclusion(market, state.as_of, rules)
    if code is not None:
        return code, None
    threshold = parse_threshold(market.question)
    if threshold is None:
        return "PM_AMBIGUOUS_QUESTION", None
    if threshold.touch and rules.barrier == "exclude":
        return "PM_BARRIER_EXCLUDED", None
    ratio = threshold.strike_usd / state.spot_usd
    if not 1.0 / rules.max_strike_ratio <= ratio <= rules.max_strike_ratio:
        return "PM_UNDERLYING_MISMATCH", None
    observations = list(history.get(market.yes_token or "", ()))
    snapshot = market.snapshot_price()
    if snapshot is not None:
        observations.append(snapshot)
    price = price_at(observations, state.as_of, max_age)
    if price is None:
        return "PM_NO_PRICE_AT_AS_OF", None
    assert market.end_date is not None  # quality_exclusion checked it
    hours = state.hours_to(market.end_date)
    internal = internal_probability(threshold, spot=state.spot_usd, vol_hourly=state.vol_hourly,
                                    hours=hours, narrative_score=state.narrative_score,
                                    rules=rules)
    return None, PolymarketComparison(
        symbol=state.symbol, as_of=state.as_of, market_id=market.market_id,
        question=market.question[:300], slug=market.slug, kind=threshold.kind,
        strike_usd=threshold.strike_usd, end_date=market.end_date,
        model_hours=round(hours, 6), spot_usd=state.spot_usd,
        vol_hourly=round(state.vol_hourly, 8),
        narrative_score=state.narrative_score, internal_prob=round(internal, 6),
        market_prob=round(price.prob, 6), market_price_source=price.source,
        market_price_at=price.at, liquidity_usd=market.liquidity_usd or 0.0,
        volume_usd=market.volume_usd or 0.0,
    )
