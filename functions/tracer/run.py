"""The tracer stage's pure core: fetch, score, decide (through the signal engine), render.

``run`` does no file I/O and reads no clock: time is ``request.as_of`` and randomness is
``request.seed``. Persisting is :mod:`functions.tracer.persist`; rendering is
:mod:`shared.render.telegram`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from pydantic import JsonValue

from shared.bots.meter import Meter
from shared.config import config_digest
from shared.contracts import (
    DigestMessage,
    RunInputs,
    RunManifest,
    Timeframe,
    TracerRun,
    canonical_json,
    sha256_hex,
)
from shared.contracts.frames import empty_bars_frame
from shared.contracts.signal import PriorTrigger
from shared.pipeline import DecisionState, Sources, SymbolDecision, SymbolJob, decide_symbol
from shared.pipeline.settings import PipelineSettings
from shared.readiness.gates import mode_limit_status
from shared.reason_codes import ReasonCodeRegistry
from shared.render.telegram import render_tracer_run
from shared.signal.engine import Decided, SignalEngine
from shared.store.atomic import parquet_bytes
from shared.store.identity import code_version
from shared.store.identity import run_id as derive_run_id
from shared.store.layout import tracer_run_paths as run_paths

__all__ = ["TracerRequest", "TracerResult", "run"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TracerRequest:
    as_of: datetime
    seed: int
    settings: PipelineSettings
    git_sha: str = "unknown"
    symbol: str | None = None  # overrides the config's symbol
    prior_triggers: tuple[PriorTrigger, ...] = ()  # effective triggers before as_of
    calendar: str | None = None  # the symbol's exchange calendar (None: trades 24/7)


@dataclass(frozen=True)
class TracerResult:
    run: TracerRun
    inputs: RunInputs
    bars: pd.DataFrame  # with a ``symbol`` column, as written to Parquet
    bars_parquet: bytes


def run(
    request: TracerRequest,
    *,
    sources: Sources,
    registry: ReasonCodeRegistry,
    timer: Callable[[], float] | None = None,
    meter: Meter | None = None,
) -> TracerResult:
    """Run one tracer cycle and return the artifacts (not yet written). ``meter`` collects
    the bots' latencies and counters for the run's telemetry (never into the artifacts)."""
    settings = request.settings
    symbol = request.symbol or settings.tracer.symbol
    as_of = request.as_of
    engine = SignalEngine(settings.signal, settings.bots, registry, timer=timer, meter=meter)
    job = SymbolJob(symbol=symbol, signal=settings.signal, engine=engine,
                    history_hours=settings.tracer.history_hours,
                    max_bar_age_hours=settings.tracer.max_bar_age_hours,
                    prior_triggers=request.prior_triggers, timeframe=sources.timeframe,
                    # a daily bar spans the whole session: trading hours gate intraday bars only
                    calendar=request.calendar if sources.timeframe is not Timeframe.DAY
                    else None)
    decision = decide_symbol(job, as_of, sources)
    sources.board.apply(decision.events)
    limited = mode_limit_status(settings.mode_limits)
    if limited is not None:  # the board lowered a bot's configured mode
        sources.board.statuses[limited.provider] = limited
    decided = _decided(engine, decision, sources)
    bars, narratives = decision.bars, decision.narratives
    scores, checks = list(decision.scores), decision.checks

    bars_frame = (bars if bars is not None else empty_bars_frame()).assign(symbol=symbol)
    bars_frame = bars_frame.loc[:, ["symbol", *[c for c in bars_frame.columns if c != "symbol"]]]
    bars_blob = parquet_bytes(bars_frame)
    effective_config: dict[str, JsonValue] = {
        "tracer": settings.tracer.model_copy(update={"symbol": symbol}).model_dump(mode="json"),
        "signal": settings.signal.model_dump(mode="json"),
        "bots": settings.bots.digestable(),
    }
    narrative_records = tuple(narratives or ())
    digested: dict[str, object] = {
        "bars_sha256": sha256_hex(bars_blob),
        "narratives": narrative_records,
        "sentiment": scores,
        "prior_triggers": request.prior_triggers,
    }
    if checks is not None:
        digested["sentiment_checks"] = checks
    inputs_digest = sha256_hex(canonical_json(digested))[:16]
    cfg_digest = config_digest(effective_config)
    run_id = derive_run_id(as_of=as_of, code_version=code_version(), config=cfg_digest,
                           feed=sources.feed_name, inputs=inputs_digest, seed=request.seed,
                           symbol=symbol)
    paths = run_paths(as_of, run_id)
    inputs = RunInputs(
        run_id=run_id, as_of=as_of, feed=sources.feed_name, symbols=(symbol,),
        bars_file=paths["bars"], config=effective_config, narratives=narrative_records,
        sentiment=tuple(scores), sentiment_checks=tuple(checks or ()),
        model_calls=tuple(sources.call_log.calls),
        prior_triggers=request.prior_triggers,
    )
    reasons = sources.board.reasons()
    manifest = RunManifest(
        run_id=run_id, stage="tracer", as_of=as_of, seed=request.seed, feed=sources.feed_name,
        git_sha=request.git_sha, code_version=code_version(), config_digest=cfg_digest,
        inputs_digest=inputs_digest, provider_statuses=sources.board.ordered(),
        degraded=bool(reasons), degraded_reasons=reasons, bots=engine.metrics(),
        files={paths["inputs"]: sha256_hex(canonical_json(inputs)),
               paths["bars"]: sha256_hex(bars_blob)},
    )
    horizon = decided.forecast.horizon_hours if decided.forecast else None
    parts = render_tracer_run(run_id=run_id, outcome=decided.outcome, manifest=manifest,
                              horizon_hours=horizon)
    tracer_run = TracerRun(
        run_id=run_id, as_of=as_of, symbol=symbol, manifest=manifest, outcome=decided.outcome,
        envelopes=decided.envelopes, forecast=decided.forecast,
        digest=DigestMessage(trace_id=run_id, parts=tuple(parts), delivery="printed"),
    )
    return TracerResult(tracer_run, inputs, bars_frame, bars_blob)


CALENDAR_CODES = frozenset({"DATA_MARKET_CLOSED", "DATA_SESSION_OPENING"})


def _decided(engine: SignalEngine, decision: SymbolDecision, sources: Sources) -> Decided:
    # The tracer's artifact has no "stale" state: a stale run is a failed outcome, and a
    # data problem marks the run degraded. A closed market is the calendar's normal business
    # (the same rule as the universe's): a "market closed" outcome, not a degraded run.
    if decision.state is DecisionState.STALE:
        if decision.reason_code not in CALENDAR_CODES:
            sources.board.degrade(decision.reason_code)
        return engine.fail(decision.symbol, decision.as_of, decision.reason_code,
                           decision.detail)
    assert decision.decided is not None
    if decision.state is DecisionState.FAILED and not decision.events:
        sources.board.degrade(decision.reason_code)  # not a provider's failure: the data's
    elif "DATA_INSUFFICIENT_BARS" in decision.decided.outcome.reason_codes:
        sources.board.degrade("DATA_INSUFFICIENT_BARS")
    return decision.decided
