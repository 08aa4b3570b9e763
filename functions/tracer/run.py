"""The tracer stage's pure core: fetch, score, compute features, decide, render.

``run`` does no file I/O and reads no clock: time is ``request.as_of`` and randomness is
``request.seed``. Persisting is :mod:`functions.tracer.persist`; rendering is
:mod:`shared.render.telegram`.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from functions.tracer.config import TracerConfig
from functions.tracer.sources import Sources, StatusBoard
from shared.bots.divergence import DivergenceBot
from shared.bots.runner import BotRunner
from shared.config import config_digest
from shared.contracts import (
    BotMetrics,
    DigestMessage,
    Narrative,
    ReportEnvelope,
    RunInputs,
    RunManifest,
    SentimentScore,
    Timeframe,
    TracerRun,
    canonical_json,
    sha256_hex,
)
from shared.errors import ProviderError
from shared.features.frames import empty_bars_frame, validate_bars_frame
from shared.features.signal import ScoredNarrative, compute_features
from shared.reason_codes import ReasonCodeRegistry
from shared.render.telegram import render_tracer_run
from shared.store.atomic import parquet_bytes

__all__ = ["TracerRequest", "TracerResult", "code_version", "run", "run_paths"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TracerRequest:
    as_of: datetime
    seed: int
    config: TracerConfig
    git_sha: str = "unknown"
    symbol: str | None = None  # overrides config.symbol


@dataclass(frozen=True)
class TracerResult:
    run: TracerRun
    inputs: RunInputs
    bars: pd.DataFrame  # with a ``symbol`` column, as written to Parquet
    bars_parquet: bytes


def code_version() -> str:
    try:
        return importlib.metadata.version("tracer-bullet")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def run_paths(as_of: datetime, run_id: str) -> dict[str, str]:
    """Artifact paths of a run, relative to the artifacts root."""
    base = f"runs/{as_of:%Y-%m-%d}/tracer-{run_id}"
    return {"run": f"{base}.json", "inputs": f"{base}.inputs.json", "bars": f"{base}.bars.parquet"}


def run(
    request: TracerRequest,
    *,
    sources: Sources,
    registry: ReasonCodeRegistry,
    timer: Callable[[], float] | None = None,
) -> TracerResult:
    """Run one tracer cycle and return the artifacts (not yet written)."""
    cfg = request.config
    symbol = request.symbol or cfg.symbol
    as_of = request.as_of
    board = sources.board
    runner = BotRunner(
        DivergenceBot(cfg.divergence.params), cfg.divergence.mode, registry, timer=timer
    )

    bars = _fetch_bars(sources, symbol, as_of, cfg.history_hours)
    narratives = _fetch_narratives(sources, symbol, as_of, cfg.features.narrative_window_hours)
    scores = _score(sources, narratives) if narratives else []
    envelope = _decide(runner, symbol, as_of, cfg, bars, narratives, scores, board)

    bars_frame = (bars if bars is not None else empty_bars_frame()).assign(symbol=symbol)
    bars_frame = bars_frame.loc[:, ["symbol", *[c for c in bars_frame.columns if c != "symbol"]]]
    bars_blob = parquet_bytes(bars_frame)
    effective_config = cfg.model_copy(update={"symbol": symbol}).model_dump(mode="json")
    narrative_records = tuple(narratives or ())
    inputs_digest = sha256_hex(
        canonical_json(
            {
                "bars_sha256": sha256_hex(bars_blob),
                "narratives": [n.model_dump(mode="json") for n in narrative_records],
                "sentiment": [s.model_dump(mode="json") for s in scores],
            }
        )
    )[:16]
    cfg_digest = config_digest(effective_config)
    run_id = sha256_hex(
        canonical_json(
            {
                "as_of": as_of.isoformat(),
                "code_version": code_version(),
                "config": cfg_digest,
                "feed": sources.feed_name,
                "inputs": inputs_digest,
                "seed": request.seed,
                "symbol": symbol,
            }
        )
    )[:16]
    paths = run_paths(as_of, run_id)
    inputs = RunInputs(
        run_id=run_id,
        as_of=as_of,
        feed=sources.feed_name,
        symbols=(symbol,),
        bars_file=paths["bars"],
        config=effective_config,
        narratives=narrative_records,
        sentiment=tuple(scores),
        model_calls=tuple(sources.call_log.calls),
    )
    inputs_json = canonical_json(inputs)
    reasons = board.reasons()
    manifest = RunManifest(
        run_id=run_id,
        stage="tracer",
        as_of=as_of,
        seed=request.seed,
        feed=sources.feed_name,
        git_sha=request.git_sha,
        code_version=code_version(),
        config_digest=cfg_digest,
        inputs_digest=inputs_digest,
        provider_statuses=board.ordered(),
        degraded=bool(reasons),
        degraded_reasons=reasons,
        bots=(_metrics(runner),),
        files={paths["inputs"]: sha256_hex(inputs_json), paths["bars"]: sha256_hex(bars_blob)},
    )
    parts = render_tracer_run(
        run_id=run_id, symbol=symbol, envelopes=(envelope,), manifest=manifest
    )
    tracer_run = TracerRun(
        run_id=run_id,
        as_of=as_of,
        symbol=symbol,
        manifest=manifest,
        envelopes=(envelope,),
        forecast=envelope.forecast,
        digest=DigestMessage(trace_id=run_id, parts=tuple(parts), delivery="printed"),
    )
    return TracerResult(tracer_run, inputs, bars_frame, bars_blob)


def _fetch_bars(
    sources: Sources, symbol: str, as_of: datetime, history_hours: int
) -> pd.DataFrame | None:
    try:
        frames = sources.market.bars(
            [symbol],
            start=as_of - timedelta(hours=history_hours),
            end=as_of,
            timeframe=Timeframe.HOUR,
        )
        frame = validate_bars_frame(frames[symbol], symbol=symbol)
    except ProviderError as e:
        logger.warning("bars for %s failed: %s", symbol, e)
        sources.board.fail(sources.market_provider, e)
        return None
    # Point-in-time, whatever the feed did: only bars closed by as_of.
    return frame.loc[frame["end"] <= pd.Timestamp(as_of)].reset_index(drop=True)


def _fetch_narratives(
    sources: Sources, symbol: str, as_of: datetime, window_hours: int
) -> list[Narrative] | None:
    try:
        items = sources.news.narratives(
            [symbol], start=as_of - timedelta(hours=window_hours), end=as_of
        )
    except ProviderError as e:
        logger.warning("narratives for %s failed: %s", symbol, e)
        sources.board.fail(sources.news_provider, e)
        return None
    return [n for n in items if n.fetched_at <= as_of and n.published_at <= as_of]


def _score(sources: Sources, narratives: list[Narrative]) -> list[SentimentScore]:
    try:
        return sources.score([n.headline for n in narratives])
    except ProviderError as e:
        logger.warning("sentiment failed with no fallback: %s", e)
        return []


def _decide(
    runner: BotRunner,
    symbol: str,
    as_of: datetime,
    cfg: TracerConfig,
    bars: pd.DataFrame | None,
    narratives: list[Narrative] | None,
    scores: list[SentimentScore],
    board: StatusBoard,
) -> ReportEnvelope:
    if bars is None:
        return runner.fail("PROVIDER_ERROR", "no bars: the market data provider failed",
                           as_of=as_of, symbol=symbol, codes=board.reasons())
    if narratives is None or (narratives and len(scores) != len(narratives)):
        return runner.fail("PROVIDER_ERROR", "no narratives: the news or sentiment provider "
                           "failed, which is not the same as no news", as_of=as_of,
                           symbol=symbol, codes=board.reasons())
    if len(bars) and bars["end"].iloc[-1] < pd.Timestamp(as_of) - pd.Timedelta(
        hours=cfg.max_bar_age_hours
    ):
        board.degrade("DATA_STALE")
        return runner.fail("DATA_STALE", "the newest closed bar is too old to decide on",
                           as_of=as_of, symbol=symbol)
    scored = [ScoredNarrative(n, s) for n, s in zip(narratives, scores, strict=True)]
    try:
        features = compute_features(symbol, as_of, bars, scored, cfg.features)
    except ValueError as e:
        board.degrade("DATA_INSUFFICIENT_BARS")
        return runner.fail("DATA_INSUFFICIENT_BARS", str(e), as_of=as_of, symbol=symbol)
    return runner.run(features, as_of=as_of, symbol=symbol)


def _metrics(runner: BotRunner) -> BotMetrics:
    latency = None
    if runner.timer is not None and runner.decisions_total:
        latency = round(runner.latency_ms_total / runner.decisions_total, 3)
    return BotMetrics(
        bot=runner.bot.name,
        mode=runner.mode,
        config_version=runner.config_version,
        decisions_total=runner.decisions_total,
        errors_total=runner.errors_total,
        decision_latency_ms=latency,
        heartbeat_age_ms=None,
    )


