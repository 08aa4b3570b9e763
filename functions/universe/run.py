"""The universe stage's pure core: run a shard of symbols, and finish a run from its shards.

``run_shard`` evaluates one shard's symbols and returns a :class:`UniverseShard` partial; the
unsharded run is the one shard ``0/1``. ``finalize`` turns a complete set of partials into the
:class:`UniverseRun` and its metrics row. Both paths (the unsharded run, and ``tb universe
merge`` over ``n`` shard files) go through ``finalize``, which depends only on the union of the
symbol records (sorted by symbol), sums of per-bot counters, and context every shard carries
identically, so a merge of any partition writes the same bytes as the unsharded run.

No file I/O and no clock: time is ``request.as_of``, randomness ``request.seed``, and wall time
enters only through an injected ``timer`` (``--timings``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from functions.universe.build import UniverseSources
from functions.universe.records import symbol_record
from shared.bots.meter import Meter
from shared.config import config_digest
from shared.contracts import (
    BotMetrics,
    OutcomeStatus,
    ProviderState,
    ProviderStatus,
    RunManifest,
    canonical_json,
    format_utc,
    sha256_hex,
)
from shared.contracts.signal import PriorTrigger
from shared.contracts.universe import (
    PolymarketSummary,
    ShardTimings,
    SymbolRecord,
    SymbolState,
    UniverseCounts,
    UniverseRun,
    UniverseSettings,
    UniverseShard,
)
from shared.pipeline import SymbolJob
from shared.pipeline.settings import PipelineSettings
from shared.readiness.gates import mode_limit_status
from shared.reason_codes import ReasonCodeRegistry, default_registry
from shared.signal.config import SignalConfig
from shared.signal.engine import SignalEngine
from shared.store.identity import code_version
from shared.store.identity import run_id as derive_run_id
from shared.universe.config import UniverseConfig
from shared.universe.digest import render_universe_digest
from shared.universe.ranking import is_near_trigger, rank_records
from shared.universe.sharding import Shard

__all__ = [
    "METRICS_COLUMNS",
    "Finalized",
    "UniverseRequest",
    "finalize",
    "run_shard",
    "run_unsharded",
]

logger = logging.getLogger(__name__)

METRICS_COLUMNS = (
    "run_id", "as_of", "seed", "feed", "symbols", "evaluated", "triggered", "suppressed",
    "no_trigger", "failed", "stale", "near_triggers", "polymarket_compared", "degraded",
    "degraded_reasons", "wall_secs", "secs_per_symbol",
)
# Stale codes that are the calendar's normal business, not a data problem.
_CALENDAR_CODES = frozenset({"DATA_MARKET_CLOSED", "DATA_SESSION_OPENING"})


@dataclass(frozen=True)
class UniverseRequest:
    as_of: datetime
    seed: int
    universe: UniverseConfig
    settings: PipelineSettings  # signal + bots (the tracer's own fields are not used)
    shard: Shard = field(default_factory=lambda: Shard(0, 1))
    git_sha: str = "unknown"
    prior_triggers: Mapping[str, tuple[PriorTrigger, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Finalized:
    run: UniverseRun
    metrics_row: dict[str, str]


def run_shard(
    request: UniverseRequest,
    *,
    sources: UniverseSources,
    registry: ReasonCodeRegistry,
    timer: Callable[[], float] | None = None,
    on_symbol: Callable[[str], None] | None = None,
    meter: Meter | None = None,
) -> UniverseShard:
    """Evaluate this shard's symbols; one symbol's failure is recorded, never raised."""
    started = timer() if timer else None
    universe, settings = request.universe, request.settings
    engines: dict[str, SignalEngine] = {}

    def engine_for(signal: SignalConfig) -> SignalEngine:
        # One engine per distinct effective signal config; the base one always exists, so
        # every bot shows up in the metrics even when no symbol reaches the engine.
        key = config_digest(signal)
        if key not in engines:
            engines[key] = SignalEngine(signal, settings.bots, registry, timer=timer,
                                        meter=meter)
        return engines[key]

    engine_for(settings.signal)
    records = []
    for spec in request.shard.take(universe.sorted_symbols()):
        signal = universe.signal_for(settings.signal, spec)
        engine = engine_for(signal)
        job = SymbolJob(symbol=spec.symbol, signal=signal, engine=engine,
                        history_hours=universe.history_hours(spec),
                        max_bar_age_hours=universe.max_bar_age_hours(spec),
                        calendar=universe.calendar(spec),
                        prior_triggers=request.prior_triggers.get(spec.symbol, ()),
                        match_terms=tuple(spec.match_terms()))
        record = symbol_record(spec, job, request.as_of, sources, universe.polymarket)
        registry.check([*record.reason_codes,
                        *(e.reason_code for e in record.provider_events)])
        records.append(record)
        if on_symbol is not None:
            on_symbol(spec.symbol)
    shard = request.shard
    return UniverseShard(
        as_of=request.as_of, seed=request.seed, shard=shard.label,
        shard_position=shard.position, shard_count=shard.count, feed=sources.feed_name,
        git_sha=request.git_sha, code_version=code_version(),
        universe_digest=universe.universe_digest(),
        config_digest=config_digest({"signal": settings.signal.model_dump(mode="json"),
                                     "bots": settings.bots.digestable()}),
        universe_symbols=tuple(s.symbol for s in universe.sorted_symbols()),
        settings=_settings(universe),
        provider_setup=_setup(sources, settings),
        provider_requests=_requests_sent(sources),
        polymarket_source=sources.polymarket.label if sources.polymarket else "none",
        bots=sum_bot_metrics([e.metrics() for e in engines.values()]),
        records=tuple(records),
        timings=ShardTimings(wall_secs=round(timer() - started, 6))
        if timer and started is not None else None,
    )


def _setup(sources: UniverseSources, settings: PipelineSettings
           ) -> tuple[ProviderStatus, ...]:
    # Each provider's status before the run, and the board's mode limit when it lowered one.
    limited = mode_limit_status(settings.mode_limits)
    return (*sources.setup, sources.polymarket_status, *((limited,) if limited else ()))


def _requests_sent(sources: UniverseSources) -> dict[str, int]:
    # What each live client counted once the shard is done (the setup is read before any
    # call, so its counts are 0). Offline stand-ins have no probe and are left out.
    probes = dict(getattr(sources.board, "probes", {}))
    client = getattr(sources.polymarket, "client", None)
    if client is not None and hasattr(client, "status"):
        probes["polymarket"] = client.status
    return {name: int(probe().requests) for name, probe in sorted(probes.items())}


def run_unsharded(request: UniverseRequest, *, sources: UniverseSources,
                  registry: ReasonCodeRegistry, timer: Callable[[], float] | None = None,
                  on_symbol: Callable[[str], None] | None = None,
                  meter: Meter | None = None) -> Finalized:
    """The whole universe in one process: shard ``0/1``, finished at once."""
    whole = UniverseRequest(as_of=request.as_of, seed=request.seed, universe=request.universe,
                            settings=request.settings, shard=Shard(0, 1),
                            git_sha=request.git_sha, prior_triggers=request.prior_triggers)
    partial = run_shard(whole, sources=sources, registry=registry, timer=timer,
                        on_symbol=on_symbol, meter=meter)
    return finalize([partial])


def _settings(universe: UniverseConfig) -> UniverseSettings:
    digest = universe.digest
    return UniverseSettings(top_n=digest.top_n, near_trigger_ratio=digest.near_trigger_ratio,
                            max_polymarket_lines=digest.max_polymarket_lines,
                            max_listed_symbols=digest.max_listed_symbols,
                            polymarket_enabled=universe.polymarket.enabled)


def sum_bot_metrics(groups: Iterable[Sequence[BotMetrics]]) -> tuple[BotMetrics, ...]:
    """Per-bot counters summed over engines or shards; latency is the decision-weighted mean."""
    merged: dict[str, list[BotMetrics]] = {}
    for group in groups:
        for item in group:
            merged.setdefault(item.bot, []).append(item)
    out = []
    for bot, items in sorted(merged.items()):
        decisions = sum(i.decisions_total for i in items)
        timed = [i for i in items if i.decision_latency_ms is not None]
        latency = None
        if timed:
            weight = sum(i.decisions_total for i in timed)
            latency = round(sum((i.decision_latency_ms or 0.0) * i.decisions_total
                                for i in timed) / weight, 3) if weight else None
        out.append(BotMetrics(bot=bot, mode=items[0].mode,
                              config_version=items[0].config_version,
                              decisions_total=decisions,
                              errors_total=sum(i.errors_total for i in items),
                              decision_latency_ms=latency))
    return tuple(out)


def finalize(partials: Sequence[UniverseShard]) -> Finalized:
    """The run and its metrics row from a complete, consistent set of partials (the merge
    checks that; see :mod:`functions.universe.merge`)."""
    first = partials[0]
    records = tuple(sorted((r for p in partials for r in p.records), key=lambda r: r.symbol))
    inputs_digest = sha256_hex(canonical_json([[r.symbol, r.inputs_digest]
                                               for r in records]))[:16]
    configs = {"signal_bots": first.config_digest, "universe": first.universe_digest}
    run_id = derive_run_id(as_of=first.as_of, code_version=first.code_version, config=configs,
                           feed=first.feed, inputs=inputs_digest, seed=first.seed)
    statuses = _with_requests(_provider_statuses(first.provider_setup, records), partials)
    polymarket = _polymarket_summary(first, records, statuses)
    reasons = _degraded_reasons(records, statuses)
    manifest = RunManifest(
        run_id=run_id, stage="universe", as_of=first.as_of, seed=first.seed, feed=first.feed,
        git_sha=first.git_sha, code_version=first.code_version,
        config_digest=config_digest(configs), inputs_digest=inputs_digest,
        provider_statuses=statuses, degraded=bool(reasons), degraded_reasons=reasons,
        bots=sum_bot_metrics(p.bots for p in partials),
    )
    settings = first.settings
    run = UniverseRun(
        run_id=run_id, as_of=first.as_of, universe_digest=first.universe_digest,
        settings=settings, manifest=manifest, counts=_counts(records, settings),
        ranking=rank_records(records, top_n=settings.top_n,
                             near_trigger_ratio=settings.near_trigger_ratio),
        stale_symbols=tuple(r.symbol for r in records if r.state is SymbolState.STALE),
        failed_symbols=tuple(r.symbol for r in records if r.state is SymbolState.FAILED),
        symbols=records, polymarket=polymarket, digest_parts=("pending",),
    )
    run = run.model_copy(update={"digest_parts": tuple(render_universe_digest(run))})
    wall = [p.timings.wall_secs for p in partials if p.timings is not None]
    return Finalized(run, _metrics_row(run, max(wall) if len(wall) == len(partials) else None))


def _counts(records: Sequence[SymbolRecord], settings: UniverseSettings) -> UniverseCounts:
    def status(s: OutcomeStatus) -> int:
        return sum(1 for r in records if r.outcome is not None and r.outcome.status is s)

    return UniverseCounts(
        symbols=len(records),
        evaluated=sum(1 for r in records if r.state is SymbolState.EVALUATED),
        triggered=status(OutcomeStatus.TRIGGERED), suppressed=status(OutcomeStatus.SUPPRESSED),
        no_trigger=status(OutcomeStatus.NO_TRIGGER), failed=status(OutcomeStatus.FAILED),
        stale=sum(1 for r in records if r.state is SymbolState.STALE),
        near_triggers=sum(1 for r in records if is_near_trigger(r, settings.near_trigger_ratio)),
        polymarket_compared=sum(len(r.polymarket.comparisons) for r in records if r.polymarket),
    )


def _used(records: Sequence[SymbolRecord]) -> int:
    # Symbols that reached the providers (not held back by their exchange calendar).
    return sum(1 for r in records if not _CALENDAR_CODES & set(r.reason_codes))


def _provider_statuses(setup: Sequence[ProviderStatus], records: Sequence[SymbolRecord]
                       ) -> tuple[ProviderStatus, ...]:
    statuses = {s.provider: s for s in setup}
    hit: dict[str, dict[str, list[str]]] = {}
    details: dict[str, str] = {}
    for record in records:
        events = list(record.provider_events)
        if record.polymarket is not None and record.polymarket.failure is not None:
            events.append(record.polymarket.failure)
        for event in events:
            hit.setdefault(event.provider, {}).setdefault(event.reason_code, []).append(
                record.symbol)
            details.setdefault(event.provider, f"{record.symbol}: {event.detail}")
    used = {"polymarket": sum(1 for r in records if r.polymarket is not None)}
    for provider, codes in sorted(hit.items()):
        symbols = sorted({s for names in codes.values() for s in names})
        total = used.get(provider, _used(records))
        state = ProviderState.FAILED if len(symbols) >= total else ProviderState.DEGRADED
        named = ", ".join(symbols[:8]) + (", and others" if len(symbols) > 8 else "")
        statuses[provider] = ProviderStatus(
            provider=provider, state=state, reason_codes=tuple(sorted(codes)),
            detail=f"failed for {named}; first: {details[provider]}"[:500])
    return tuple(statuses[name] for name in sorted(statuses))


def _with_requests(statuses: Sequence[ProviderStatus], partials: Sequence[UniverseShard]
                   ) -> tuple[ProviderStatus, ...]:
    # The requests every shard's live clients sent, summed; a live provider still "ok" that
    # sent none was never called by this run, so it is "skipped", not "ok".
    sent: dict[str, int] = {}
    for partial in partials:
        for name, count in partial.provider_requests.items():
            sent[name] = sent.get(name, 0) + count
    out = []
    for status in statuses:
        if status.provider in sent:
            count = sent[status.provider]
            update: dict[str, object] = {"requests": max(status.requests, count)}
            if count == 0 and status.state is ProviderState.OK:
                update |= {"state": ProviderState.SKIPPED, "detail": "not called by this run"}
            status = status.model_copy(update=update)
        out.append(status)
    return tuple(out)


def _polymarket_summary(first: UniverseShard, records: Sequence[SymbolRecord],
                        statuses: Sequence[ProviderStatus]) -> PolymarketSummary:
    excluded: dict[str, int] = {}
    for record in records:
        if record.polymarket is not None:
            for code, count in record.polymarket.excluded.items():
                excluded[code] = excluded.get(code, 0) + count
    status = next(s for s in statuses if s.provider == "polymarket")
    with_pm = [r.polymarket for r in records if r.polymarket is not None]
    return PolymarketSummary(
        status=status, source=first.polymarket_source,
        discovered=sum(p.discovered for p in with_pm),
        compared=sum(len(p.comparisons) for p in with_pm),
        excluded=dict(sorted(excluded.items())),
    )


def _degraded_reasons(records: Sequence[SymbolRecord], statuses: Sequence[ProviderStatus]
                      ) -> tuple[str, ...]:
    # Every code of a failed or degraded provider, and of a symbol that was not evaluated,
    # through the registry's one rule (a closed exchange is info: the calendar's business).
    codes: set[str] = set()
    for status in statuses:
        if status.state in (ProviderState.FAILED, ProviderState.DEGRADED):
            codes.update(status.reason_codes)
    for record in records:
        if record.state is not SymbolState.EVALUATED:
            codes.update(record.reason_codes)
    return default_registry().degrading(codes)


def _metrics_row(run: UniverseRun, wall_secs: float | None) -> dict[str, str]:
    c = run.counts
    row = {
        "run_id": run.run_id, "as_of": format_utc(run.as_of),
        "seed": str(run.manifest.seed), "feed": run.manifest.feed, "symbols": str(c.symbols),
        "evaluated": str(c.evaluated), "triggered": str(c.triggered),
        "suppressed": str(c.suppressed), "no_trigger": str(c.no_trigger),
        "failed": str(c.failed), "stale": str(c.stale), "near_triggers": str(c.near_triggers),
        "polymarket_compared": str(c.polymarket_compared),
        "degraded": "true" if run.manifest.degraded else "false",
        "degraded_reasons": ";".join(run.manifest.degraded_reasons),
        "wall_secs": f"{wall_secs:.3f}" if wall_secs is not None else "",
        "secs_per_symbol": f"{wall_secs / max(c.symbols, 1):.4f}" if wall_secs is not None
        else "",
    }
    assert tuple(row) == METRICS_COLUMNS
    return row
