"""The tracer stage's pure core: fetch, score, decide (through the signal engine), render.

``run`` does no file I/O and reads no clock: time is ``request.as_of`` and randomness is
``request.seed``. Persisting is :mod:`functions.tracer.persist`; rendering is
:mod:`shared.render.telegram`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from pydantic import JsonValue

from functions.tracer.config import TracerSettings
from functions.tracer.sources import Sources
from shared.bots.candidate import PriorTrigger
from shared.config import config_digest
from shared.contracts import (
    DigestMessage,
    Narrative,
    RunInputs,
    RunManifest,
    SentimentScore,
    Timeframe,
    TracerRun,
    canonical_json,
    sha256_hex,
)
from shared.contracts.artifacts import RecordedTrigger
from shared.errors import ProviderError
from shared.features.frames import empty_bars_frame, validate_bars_frame
from shared.features.signal import PreparedBars, prepare_narratives
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
    settings: TracerSettings
    git_sha: str = "unknown"
    symbol: str | None = None  # overrides the config's symbol
    prior_triggers: tuple[PriorTrigger, ...] = ()  # effective triggers before as_of


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
) -> TracerResult:
    """Run one tracer cycle and return the artifacts (not yet written)."""
    settings = request.settings
    symbol = request.symbol or settings.tracer.symbol
    as_of = request.as_of
    engine = SignalEngine(settings.signal, settings.bots, registry, timer=timer)
    window = timedelta(hours=settings.signal.features.narrative_window_hours
                       + settings.signal.narratives.novelty_lookback_hours)

    bars = _fetch_bars(sources, symbol, as_of, settings.tracer.history_hours)
    narratives = _fetch_narratives(sources, symbol, as_of, window)
    scores = _score(sources, narratives) if narratives else []
    checks = (sources.check([n.headline for n in narratives])
              if narratives and len(scores) == len(narratives) else None)
    decided = _decide(engine, request, symbol, bars, narratives, scores, checks, sources)

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
        prior_triggers=tuple(RecordedTrigger.model_validate(t.model_dump())
                             for t in request.prior_triggers),
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
    parts = render_tracer_run(run_id=run_id, outcome=decided.outcome, manifest=manifest)
    tracer_run = TracerRun(
        run_id=run_id, as_of=as_of, symbol=symbol, manifest=manifest, outcome=decided.outcome,
        envelopes=decided.envelopes, forecast=decided.forecast,
        digest=DigestMessage(trace_id=run_id, parts=tuple(parts), delivery="printed"),
    )
    return TracerResult(tracer_run, inputs, bars_frame, bars_blob)


def _fetch_bars(
    sources: Sources, symbol: str, as_of: datetime, history_hours: int
) -> pd.DataFrame | None:
    try:
        frames = sources.market.bars([symbol], start=as_of - timedelta(hours=history_hours),
                                     end=as_of, timeframe=Timeframe.HOUR)
        frame = validate_bars_frame(frames[symbol], symbol=symbol)
    except ProviderError as e:
        logger.warning("bars for %s failed: %s", symbol, e)
        sources.board.fail(sources.market_provider, e)
        return None
    # Point-in-time, whatever the feed did: only bars closed by as_of.
    return frame.loc[frame["end"] <= pd.Timestamp(as_of)].reset_index(drop=True)


def _fetch_narratives(
    sources: Sources, symbol: str, as_of: datetime, window: timedelta
) -> list[Narrative] | None:
    try:
        items = sources.news.narratives([symbol], start=as_of - window, end=as_of)
    except ProviderError as e:
        logger.warning("narratives for %s failed: %s", symbol, e)
        sources.board.fail(sources.news_provider, e)
        return None
    return [n for n in items if n.fetched_at <= as_of and n.published_at <= as_of]


def _score(sources: Sources, narratives: Sequence[Narrative]) -> list[SentimentScore]:
    try:
        return sources.score([n.headline for n in narratives])
    except ProviderError as e:
        logger.warning("sentiment failed with no fallback: %s", e)
        return []


def _decide(
    engine: SignalEngine,
    request: TracerRequest,
    symbol: str,
    bars: pd.DataFrame | None,
    narratives: list[Narrative] | None,
    scores: list[SentimentScore],
    checks: list[SentimentScore | None] | None,
    sources: Sources,
) -> Decided:
    as_of = request.as_of
    board = sources.board
    if bars is None:
        return engine.fail(symbol, as_of, "PROVIDER_ERROR",
                           "no bars: the market data provider failed", board.reasons())
    if narratives is None or len(scores) != len(narratives):
        return engine.fail(symbol, as_of, "PROVIDER_ERROR", "no narratives: the news or "
                           "sentiment provider failed, which is not the same as no news",
                           board.reasons())
    max_age = pd.Timedelta(hours=request.settings.tracer.max_bar_age_hours)
    if len(bars) and bars["end"].iloc[-1] < pd.Timestamp(as_of) - max_age:
        board.degrade("DATA_STALE")
        return engine.fail(symbol, as_of, "DATA_STALE",
                           "the newest closed bar is too old to decide on")
    news = prepare_narratives(narratives, scores, request.settings.signal.narratives, checks)
    decided = engine.decide(symbol, as_of, PreparedBars.from_frame(bars), news,
                            request.prior_triggers)
    if "DATA_INSUFFICIENT_BARS" in decided.outcome.reason_codes:
        board.degrade("DATA_INSUFFICIENT_BARS")
    return decided
