"""Universe artifacts: the run a person reads, and the per-shard partials it is merged from.

* ``UniverseRun``   — ``universe_runs/<YYYY-MM-DD>/<run_id>.json``: every symbol's outcome and
  forecast (full envelopes only for triggered and suppressed symbols), the ranked top-N, the
  Polymarket comparisons, the manifest and the digest. No bars.
* ``UniverseShard`` — ``universe_runs/_shards/<as_of>-<universe digest>/shard-<r>-of-<n>.json``:
  one shard's symbol records plus everything the merge needs to write the ``UniverseRun`` the
  unsharded run would have written, byte for byte. Deleted by the merge.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, model_validator

from shared.contracts.base import Contract, Digest, Probability, Signed, UtcDatetime
from shared.contracts.envelope import ReportEnvelope
from shared.contracts.manifest import BotMetrics, ProviderStatus, RunManifest
from shared.contracts.market import AssetClass
from shared.contracts.outcome import OutcomeStatus, SignalOutcome
from shared.contracts.signal import Forecast

__all__ = [
    "PolymarketComparison",
    "PolymarketSummary",
    "ProviderEvent",
    "RankKind",
    "RankedEntry",
    "SymbolPolymarket",
    "SymbolRecord",
    "SymbolState",
    "UniverseCounts",
    "UniverseRun",
    "UniverseSettings",
    "UniverseShard",
]


class SymbolState(StrEnum):
    EVALUATED = "evaluated"  # went through the signal engine (any outcome but failed)
    STALE = "stale"  # not evaluated: market closed, session opening, or data too old
    FAILED = "failed"  # a provider or the data failed for this symbol


class ProviderEvent(Contract):
    """A provider problem met while processing one symbol."""

    provider: str = Field(min_length=1)
    reason_code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{2,63}$")
    detail: str = Field(default="", max_length=300)


class PolymarketComparison(Contract):
    """One qualifying market beside our internal probability, both read at ``as_of``."""

    symbol: str = Field(min_length=1, max_length=32)
    as_of: UtcDatetime
    market_id: str = Field(min_length=1)
    question: str = Field(min_length=1, max_length=300)
    slug: str | None = None
    kind: Literal["above", "below", "reach", "dip"]
    strike_usd: PositiveFloat
    end_date: UtcDatetime
    model_hours: NonNegativeFloat = Field(
        description="hours to resolution the model used (trading hours for equities)"
    )
    spot_usd: PositiveFloat
    vol_hourly: PositiveFloat = Field(description="realized hourly log-return volatility")
    narrative_score: Signed | None
    internal_prob: Probability
    market_prob: Probability = Field(description="the Yes price at or before as_of")
    market_price_source: Literal["prices_history", "outcome_price"]
    market_price_at: UtcDatetime
    liquidity_usd: NonNegativeFloat
    volume_usd: NonNegativeFloat

    @model_validator(mode="after")
    def _point_in_time(self) -> Self:
        if self.market_price_at > self.as_of:
            raise ValueError("market_price_at is after as_of: a later price must not be used")
        return self


class SymbolPolymarket(Contract):
    """Polymarket for one symbol: markets found about it, excluded (by reason), compared."""

    discovered: NonNegativeInt = 0
    excluded: dict[str, int] = Field(default_factory=dict)
    comparisons: tuple[PolymarketComparison, ...] = ()
    failure: ProviderEvent | None = None


class SymbolRecord(Contract):
    """One symbol's result. ``outcome`` is null only for a stale (not evaluated) symbol;
    ``envelopes`` are kept only for triggered and suppressed outcomes."""

    symbol: str = Field(min_length=1, max_length=32)
    asset_class: AssetClass
    name: str
    state: SymbolState
    reason_codes: tuple[str, ...] = ()
    detail: str = Field(default="", max_length=300)
    outcome: SignalOutcome | None
    forecast: Forecast | None = None
    envelopes: tuple[ReportEnvelope, ...] = ()
    inputs_digest: Digest
    last_bar_end: UtcDatetime | None = None
    bars_count: NonNegativeInt = 0
    headline_count: NonNegativeInt = 0
    provider_events: tuple[ProviderEvent, ...] = ()
    polymarket: SymbolPolymarket | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.outcome is None) != (self.state is SymbolState.STALE):
            raise ValueError("outcome must be null exactly when the symbol is stale")
        if self.state is SymbolState.STALE and not self.reason_codes:
            raise ValueError("a stale symbol must say why (reason_codes)")
        if self.outcome is not None:
            if self.outcome.symbol != self.symbol:
                raise ValueError("outcome.symbol must equal symbol")
            failed = self.outcome.status is OutcomeStatus.FAILED
            if failed != (self.state is SymbolState.FAILED):
                raise ValueError("state is failed exactly when the outcome failed")
            if self.envelopes and self.outcome.status not in (OutcomeStatus.TRIGGERED,
                                                              OutcomeStatus.SUPPRESSED):
                raise ValueError("envelopes are kept only for triggered and suppressed symbols")
        return self


class RankKind(StrEnum):
    TRIGGER = "trigger"
    NEAR_TRIGGER = "near_trigger"


class RankedEntry(Contract):
    rank: int = Field(ge=1)
    symbol: str
    kind: RankKind
    rank_score: NonNegativeFloat


class UniverseCounts(Contract):
    symbols: NonNegativeInt
    evaluated: NonNegativeInt
    triggered: NonNegativeInt
    suppressed: NonNegativeInt
    no_trigger: NonNegativeInt
    failed: NonNegativeInt
    stale: NonNegativeInt
    near_triggers: NonNegativeInt
    polymarket_compared: NonNegativeInt


class PolymarketSummary(Contract):
    """Polymarket across the universe; the comparisons themselves sit on each symbol."""

    status: ProviderStatus
    source: Literal["none", "fixture", "live"]
    discovered: NonNegativeInt = 0
    compared: NonNegativeInt = 0
    excluded: dict[str, int] = Field(default_factory=dict)


class UniverseSettings(Contract):
    """What the merge needs from the universe config to finish a run as the unsharded run
    would (it is part of the universe digest, so every shard carries the same)."""

    top_n: int = Field(ge=1, le=50)
    near_trigger_ratio: float = Field(gt=0.0, lt=1.0)
    max_polymarket_lines: int = Field(ge=1, le=20)
    max_listed_symbols: int = Field(ge=1, le=50)
    polymarket_enabled: bool


class UniverseRun(Contract):
    schema_version: Literal["1"] = "1"
    type: Literal["universe_run"] = "universe_run"
    run_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    as_of: UtcDatetime
    universe_digest: Digest
    settings: UniverseSettings
    manifest: RunManifest
    counts: UniverseCounts
    ranking: tuple[RankedEntry, ...] = ()
    stale_symbols: tuple[str, ...] = ()
    failed_symbols: tuple[str, ...] = ()
    symbols: tuple[SymbolRecord, ...] = Field(min_length=1)
    polymarket: PolymarketSummary
    digest_parts: tuple[str, ...] = Field(
        min_length=1, description="the MarkdownV2 digest, each part under Telegram's limit"
    )

    @model_validator(mode="after")
    def _check(self) -> Self:
        names = [record.symbol for record in self.symbols]
        if names != sorted(set(names)):
            raise ValueError("symbols must be unique and sorted by symbol")
        if self.counts.symbols != len(names):
            raise ValueError("counts.symbols must equal the number of symbol records")
        return self


class ShardTimings(Contract):
    wall_secs: NonNegativeFloat


class UniverseShard(Contract):
    """One shard's partial of a universe run (see the module doc)."""

    schema_version: Literal["1"] = "1"
    type: Literal["universe_shard"] = "universe_shard"
    as_of: UtcDatetime
    seed: int
    shard: str = Field(pattern=r"^\d+/\d+$", description="as given on the command line")
    shard_position: NonNegativeInt = Field(description="shard index modulo shard_count")
    shard_count: int = Field(ge=1)
    feed: str = Field(min_length=1)
    git_sha: str = Field(min_length=1)
    code_version: str = Field(min_length=1)
    universe_digest: Digest
    config_digest: Digest = Field(description="signal + bots config digest")
    universe_symbols: tuple[str, ...] = Field(min_length=1, description="the whole universe")
    settings: UniverseSettings
    provider_setup: tuple[ProviderStatus, ...] = ()
    provider_requests: dict[str, NonNegativeInt] = Field(
        default_factory=dict,
        description="requests each live client sent during this shard (summed by the merge)")
    polymarket_source: Literal["none", "fixture", "live"]
    bots: tuple[BotMetrics, ...] = ()
    records: tuple[SymbolRecord, ...] = ()
    timings: ShardTimings | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.shard_position >= self.shard_count:
            raise ValueError("shard_position must be below shard_count")
        expected = [s for k, s in enumerate(self.universe_symbols)
                    if k % self.shard_count == self.shard_position]
        if [r.symbol for r in self.records] != expected:
            raise ValueError("records must be exactly this shard's slice of the universe")
        return self
