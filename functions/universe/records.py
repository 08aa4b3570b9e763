"""One symbol of a universe run: the pipeline's decision (:func:`~shared.pipeline.decide_symbol`:
session check, fetch, score, decide), then Polymarket, gathered into a :class:`SymbolRecord`.

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
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from functions.universe.build import UniverseSources
from shared.contracts import (
    OutcomeStatus,
    canonical_json,
    sha256_hex,
)
from shared.contracts.universe import ProviderEvent, SymbolPolymarket, SymbolRecord, SymbolState
from shared.errors import ProviderError
from shared.features.signal import (
    PreparedBars,
    PreparedNarratives,
    compute_features,
)
from shared.pipeline import DecisionState, SymbolJob, decide_symbol
from shared.signal.engine import Decided
from shared.universe.calendars import trading_hours
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

__all__ = ["symbol_record"]

logger = logging.getLogger(__name__)
_KEPT = (OutcomeStatus.TRIGGERED, OutcomeStatus.SUPPRESSED)


@dataclass
class _Trace:
    # What one symbol met on its way, gathered into its record at the end.
    events: list[ProviderEvent] = field(default_factory=list)
    digest_parts: dict[str, Any] = field(default_factory=dict)


def symbol_record(spec: UniverseSymbol, job: SymbolJob, as_of: datetime,
                  sources: UniverseSources, rules: PolymarketRules) -> SymbolRecord:
    """The symbol's record: :func:`~shared.pipeline.decide_symbol`, then Polymarket. Never
    raises: an unexpected error becomes a failed record with ``SYMBOL_FAILED`` (logged with
    its traceback), so the other symbols go on."""
    trace = _Trace()
    try:
        return _record_of(spec, job, as_of, sources, rules, trace)
    except Exception as e:  # the per-symbol boundary: one symbol never stops the others
        logger.exception("universe: %s failed", spec.symbol)
        decided = job.engine.fail(spec.symbol, as_of, "SYMBOL_FAILED",
                                  f"{type(e).__name__}: {e}"[:480])
        return _record(spec, job, decided, trace, detail=f"{type(e).__name__}: {e}")


def _record_of(spec: UniverseSymbol, job: SymbolJob, as_of: datetime,
               sources: UniverseSources, rules: PolymarketRules, trace: _Trace
               ) -> SymbolRecord:
    decision = decide_symbol(job, as_of, sources)
    trace.events.extend(ProviderEvent(provider=e.provider, reason_code=e.reason_code,
                                      detail=e.detail[:300]) for e in decision.events)
    bars = decision.bars
    if bars is not None:
        trace.digest_parts["bars"] = _frame_digest(bars)
    if decision.state is DecisionState.STALE:
        return _stale(spec, job, trace, decision.reason_code, decision.detail, bars=bars)
    assert decision.decided is not None
    if decision.state is DecisionState.FAILED:
        return _record(spec, job, decision.decided, trace, detail=decision.detail)
    assert decision.narratives is not None and decision.prepared_bars is not None
    assert decision.prepared_news is not None
    trace.digest_parts |= {"narratives": list(decision.narratives),
                           "sentiment": list(decision.scores),
                           "prior_triggers": job.prior_triggers}
    if decision.checks is not None:
        trace.digest_parts["sentiment_checks"] = decision.checks
    decided = decision.decided
    polymarket = None
    if sources.polymarket is not None and decided.outcome.status is not OutcomeStatus.FAILED:
        polymarket = _polymarket(spec, job, as_of, sources, rules, decision.prepared_bars,
                                 decision.prepared_news, trace)
    return _record(spec, job, decided, trace, bars=bars, headlines=len(decision.narratives),
                   polymarket=polymarket)


def _polymarket(spec: UniverseSymbol, job: SymbolJob, as_of: datetime,
                sources: UniverseSources, rules: PolymarketRules, bars: PreparedBars,
                news: PreparedNarratives, trace: _Trace) -> SymbolPolymarket:
    assert sources.polymarket is not None
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


def _inputs_digest(symbol: str, trace: _Trace, status: str) -> str:
    payload = {"symbol": symbol, "status": status, **trace.digest_parts}
    return sha256_hex(canonical_json(payload))[:16]


def _stale(spec: UniverseSymbol, job: SymbolJob, trace: _Trace, code: str, why: str,
           bars: pd.DataFrame | None = None) -> SymbolRecord:
    return SymbolRecord(
        symbol=spec.symbol, asset_class=spec.asset_class, name=spec.name,
        state=SymbolState.STALE, reason_codes=(code,), detail=why, outcome=None,
        inputs_digest=_inputs_digest(spec.symbol, trace, code),
        last_bar_end=bars["end"].iloc[-1].to_pydatetime() if bars is not None and len(bars)
        else None,
        bars_count=len(bars) if bars is not None else 0,
        provider_events=tuple(trace.events),
    )


def _record(spec: UniverseSymbol, job: SymbolJob, decided: Decided, trace: _Trace, *,
            bars: pd.DataFrame | None = None, headlines: int = 0,
            polymarket: SymbolPolymarket | None = None, detail: str = "") -> SymbolRecord:
    outcome = decided.outcome
    failed = outcome.status is OutcomeStatus.FAILED
    return SymbolRecord(
        symbol=spec.symbol, asset_class=spec.asset_class, name=spec.name,
        state=SymbolState.FAILED if failed else SymbolState.EVALUATED,
        reason_codes=outcome.reason_codes, detail=detail[:300], outcome=outcome,
        forecast=decided.forecast,
        envelopes=decided.envelopes if outcome.status in _KEPT else (),
        inputs_digest=_inputs_digest(spec.symbol, trace, outcome.status.value),
        last_bar_end=bars["end"].iloc[-1].to_pydatetime() if bars is not None and len(bars)
        else None,
        bars_count=len(bars) if bars is not None else 0, headline_count=headlines,
        provider_events=tuple(trace.events), polymarket=polymarket,
    )
