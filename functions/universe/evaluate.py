"""One symbol of a universe run: session check, fetch, score, decide, Polymarket.

Everything a symbol's record holds depends only on that symbol's inputs (its bars, headlines,
prior triggers and markets), never on which other symbols share its process: that is what
makes a merge of shards equal to the unsharded run. Provider problems are recorded on the
symbol (``provider_events``), and the run's provider statuses are derived from them later.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from functions.universe.build import UniverseSources
from shared.contracts import (
    Narrative,
    OutcomeStatus,
    SentimentScore,
    Timeframe,
    canonical_json,
    sha256_hex,
)
from shared.contracts.frames import validate_bars_frame
from shared.contracts.signal import PriorTrigger
from shared.contracts.universe import ProviderEvent, SymbolPolymarket, SymbolRecord, SymbolState
from shared.errors import ConfigError, ContractViolation, ProviderError
from shared.features.signal import (
    PreparedBars,
    PreparedNarratives,
    compute_features,
    prepare_narratives,
)
from shared.signal.config import SignalConfig
from shared.signal.engine import Decided, SignalEngine
from shared.universe.calendars import SessionState, trading_hours
from shared.universe.config import PolymarketRules, UniverseSymbol
from shared.universe.polymarket import (
    MarketRecord,
    PriceObservation,
    SymbolMarket,
    evaluate_markets,
    mentions,
    parse_threshold,
    quality_exclusion,
)

__all__ = ["SymbolJob", "evaluate_symbol"]

logger = logging.getLogger(__name__)
_KEPT = (OutcomeStatus.TRIGGERED, OutcomeStatus.SUPPRESSED)
_SESSION_CODES = {SessionState.CLOSED: ("DATA_MARKET_CLOSED", "the exchange is closed"),
                  SessionState.OPENING: ("DATA_SESSION_OPENING",
                                         "no bar of this session has closed yet")}


@dataclass(frozen=True)
class SymbolJob:
    """One symbol with its effective config."""

    spec: UniverseSymbol
    signal: SignalConfig
    engine: SignalEngine
    history_hours: int
    max_bar_age_hours: int
    calendar: str | None
    prior_triggers: tuple[PriorTrigger, ...] = ()


@dataclass
class _Trace:
    # What one symbol met on its way, gathered into its record at the end.
    events: list[ProviderEvent] = field(default_factory=list)
    digest_parts: dict[str, Any] = field(default_factory=dict)

    def event(self, provider: str, code: str, detail: str) -> None:
        self.events.append(ProviderEvent(provider=provider, reason_code=code,
                                         detail=detail[:300]))


def evaluate_symbol(job: SymbolJob, as_of: datetime, sources: UniverseSources,
                    rules: PolymarketRules) -> SymbolRecord:
    """The symbol's record. Never raises: an unexpected error becomes a failed record with
    ``SYMBOL_FAILED`` (logged with its traceback), so the other symbols go on."""
    trace = _Trace()
    try:
        return _evaluate(job, as_of, sources, rules, trace)
    except Exception as e:  # the per-symbol boundary: one symbol never stops the others
        logger.exception("universe: %s failed", job.spec.symbol)
        return _failed(job, as_of, trace, "SYMBOL_FAILED", f"{type(e).__name__}: {e}")


def _evaluate(job: SymbolJob, as_of: datetime, sources: UniverseSources,
              rules: PolymarketRules, trace: _Trace) -> SymbolRecord:
    spec = job.spec
    if job.calendar is not None:
        state = trading_hours(job.calendar, as_of).state(as_of)
        if state in _SESSION_CODES:
            code, why = _SESSION_CODES[state]
            return _stale(job, trace, code, why)
    try:
        bars = _bars(job, as_of, sources)
    except ProviderError as e:
        trace.event(sources.market_provider, e.reason_code, str(e))
        return _failed(job, as_of, trace, e.reason_code, f"no bars: {e}")
    except ContractViolation as e:
        trace.event(sources.market_provider, "DATA_INVALID_BARS", str(e))
        return _failed(job, as_of, trace, "DATA_INVALID_BARS", str(e))
    except ConfigError as e:  # an offline feed with nothing recorded for this symbol
        return _failed(job, as_of, trace, "DATA_NO_SOURCE", str(e))
    trace.digest_parts["bars"] = _frame_digest(bars)
    newest = bars["end"].iloc[-1] if len(bars) else None
    if newest is not None and newest < pd.Timestamp(as_of) - pd.Timedelta(
            hours=job.max_bar_age_hours):
        return _stale(job, trace, "DATA_STALE", "the newest closed bar is older than the "
                      "freshness limit", bars=bars)
    try:
        narratives = _narratives(job, as_of, sources)
    except ProviderError as e:
        trace.event(sources.news_provider, e.reason_code, str(e))
        return _failed(job, as_of, trace, e.reason_code, f"no narratives: {e}")
    scores = _score(sources, narratives, trace)
    if scores is None:
        return _failed(job, as_of, trace, "PROVIDER_ERROR",
                       "the sentiment model failed with no fallback")
    news = prepare_narratives(narratives, scores, job.signal.narratives)
    prepared = PreparedBars.from_frame(bars)
    trace.digest_parts |= {"narratives": narratives, "sentiment": scores,
                           "prior_triggers": job.prior_triggers}
    decided = job.engine.decide(spec.symbol, as_of, prepared, news, job.prior_triggers)
    polymarket = None
    if sources.polymarket is not None and decided.outcome.status is not OutcomeStatus.FAILED:
        polymarket = _polymarket(job, as_of, sources, rules, prepared, news, trace)
    return _record(job, decided, trace, bars=bars, headlines=len(narratives),
                   polymarket=polymarket)


def _bars(job: SymbolJob, as_of: datetime, sources: UniverseSources) -> pd.DataFrame:
    symbol = job.spec.symbol
    frames = sources.market.bars([symbol], start=as_of - timedelta(hours=job.history_hours),
                                 end=as_of, timeframe=Timeframe.HOUR)
    if symbol not in frames:
        raise ContractViolation(f"the market feed returned no frame for {symbol}")
    frame = validate_bars_frame(frames[symbol], symbol=symbol)
    # Point-in-time, whatever the feed did: only bars closed by as_of.
    return frame.loc[frame["end"] <= pd.Timestamp(as_of)].reset_index(drop=True)


def _narratives(job: SymbolJob, as_of: datetime, sources: UniverseSources) -> list[Narrative]:
    features, weights = job.signal.features, job.signal.narratives
    window = timedelta(hours=features.narrative_window_hours + weights.novelty_lookback_hours)
    spec = job.spec
    items = sources.news.narratives([spec.symbol], start=as_of - window, end=as_of)
    terms = spec.match_terms()
    return [n for n in items if n.published_at <= as_of and n.fetched_at <= as_of
            and (spec.symbol in n.symbols or mentions(n.headline, terms))]


def _score(sources: UniverseSources, narratives: Sequence[Narrative], trace: _Trace
           ) -> list[SentimentScore] | None:
    if not narratives:
        return []
    texts = [n.headline for n in narratives]
    try:
        return sources.primary_scorer.score(texts)
    except ProviderError as e:
        trace.event(sources.sentiment_provider, e.reason_code, str(e))
        if sources.fallback_scorer is None:
            return None
        trace.event(sources.sentiment_provider, "SENTIMENT_FALLBACK_OFFLINE",
                    "scored by the offline fallback")
        return sources.fallback_scorer.score(texts)


def _polymarket(job: SymbolJob, as_of: datetime, sources: UniverseSources,
                rules: PolymarketRules, bars: PreparedBars, news: PreparedNarratives,
                trace: _Trace) -> SymbolPolymarket:
    assert sources.polymarket is not None
    spec = job.spec
    terms = spec.market_terms()
    try:
        markets = sources.polymarket.discover(spec.symbol, spec.queries(), as_of)
        history: dict[str, list[PriceObservation]] = {}
        for market in _candidates(markets, terms, as_of, rules):
            token = market.yes_token
            if token is not None and token not in history:
                history[token] = sources.polymarket.history(token, as_of)
    except ProviderError as e:
        failure = ProviderEvent(provider="polymarket", reason_code=e.reason_code,
                                detail=str(e)[:300])
        return SymbolPolymarket(failure=failure)
    trace.digest_parts["polymarket"] = {"markets": sorted(markets, key=lambda m: m.market_id),
                                        "history": dict(sorted(history.items()))}
    features = compute_features(spec.symbol, as_of, bars, news, job.signal.features)
    spot = math.exp(float(bars.log_close[bars.available(as_of) - 1]))
    state = SymbolMarket(symbol=spec.symbol, as_of=as_of, spot_usd=spot,
                         vol_hourly=features.realized_vol,
                         narrative_score=features.narrative_score,
                         hours_to=_model_clock(job.calendar, as_of))
    return evaluate_markets(state, markets, history, terms, rules)


def _candidates(markets: Sequence[MarketRecord], terms: Sequence[str], as_of: datetime,
                rules: PolymarketRules) -> list[MarketRecord]:
    # Only markets that could qualify get their price history fetched.
    return sorted((m for m in markets if mentions(m.question, terms)
                   and quality_exclusion(m, as_of, rules) is None
                   and parse_threshold(m.question) is not None),
                  key=lambda m: m.market_id)


def _model_clock(calendar: str | None, as_of: datetime) -> Any:
    # Hours the model integrates volatility over: wall-clock for 24/7, trading hours otherwise.
    if calendar is None:
        return lambda end: max((end - as_of).total_seconds() / 3600.0, 0.0)
    hours = trading_hours(calendar, as_of)
    return lambda end: hours.session_hours_between(as_of, end)


def _frame_digest(frame: pd.DataFrame) -> str:
    blocks = [frame[c].to_numpy("datetime64[ns]" if c in ("start", "end") else "float64")
              for c in ("start", "end", "open", "high", "low", "close", "volume")]
    data = b"".join(np.ascontiguousarray(b).tobytes() for b in blocks)
    return sha256_hex(data)


def _inputs_digest(job: SymbolJob, trace: _Trace, status: str) -> str:
    payload = {"symbol": job.spec.symbol, "status": status, **trace.digest_parts}
    return sha256_hex(canonical_json(payload))[:16]


def _stale(job: SymbolJob, trace: _Trace, code: str, why: str,
           bars: pd.DataFrame | None = None) -> SymbolRecord:
    spec = job.spec
    return SymbolRecord(
        symbol=spec.symbol, asset_class=spec.asset_class, name=spec.name,
        state=SymbolState.STALE, reason_codes=(code,), detail=why, outcome=None,
        inputs_digest=_inputs_digest(job, trace, code),
        last_bar_end=bars["end"].iloc[-1].to_pydatetime() if bars is not None and len(bars)
        else None,
        bars_count=len(bars) if bars is not None else 0,
        provider_events=tuple(trace.events),
    )


def _failed(job: SymbolJob, as_of: datetime, trace: _Trace, code: str, why: str
            ) -> SymbolRecord:
    decided = job.engine.fail(job.spec.symbol, as_of, code, why[:480] or code)
    return _record(job, decided, trace, detail=why)


def _record(job: SymbolJob, decided: Decided, trace: _Trace, *,
            bars: pd.DataFrame | None = None, headlines: int = 0,
            polymarket: SymbolPolymarket | None = None, detail: str = "") -> SymbolRecord:
    spec, outcome = job.spec, decided.outcome
    failed = outcome.status is OutcomeStatus.FAILED
    return SymbolRecord(
        symbol=spec.symbol, asset_class=spec.asset_class, name=spec.name,
        state=SymbolState.FAILED if failed else SymbolState.EVALUATED,
        reason_codes=outcome.reason_codes, detail=detail[:300], outcome=outcome,
        forecast=decided.forecast,
        envelopes=decided.envelopes if outcome.status in _KEPT else (),
        inputs_digest=_inputs_digest(job, trace, outcome.status.value),
        last_bar_end=bars["end"].iloc[-1].to_pydatetime() if bars is not None and len(bars)
        else None,
        bars_count=len(bars) if bars is not None else 0, headline_count=headlines,
        provider_events=tuple(trace.events), polymarket=polymarket,
    )
