"""The one per-symbol decision behaves the same from every stage: the tracer (``tb run``) and
the universe (``tb universe run``) see the same failure codes, run the same LLM check and
isolate the same bad headline, because both call :func:`shared.pipeline.decide_symbol`."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from functions.tracer.run import TracerRequest, TracerResult, run
from functions.universe.build import UniverseSources, build_universe_sources
from functions.universe.records import symbol_record
from shared.contracts import (
    Narrative,
    OutcomeStatus,
    ProviderState,
    ProviderStatus,
    SentimentScore,
    Timeframe,
)
from shared.contracts.universe import SymbolRecord, SymbolState
from shared.errors import TransientProviderError
from shared.pipeline import (
    DecisionState,
    ProviderHealth,
    Sources,
    SymbolJob,
    decide_symbol,
)
from shared.pipeline.build import build_offline_sources
from shared.pipeline.settings import load_pipeline_settings
from shared.providers.synthetic import SyntheticFeed
from shared.reason_codes import default_registry
from shared.sentiment.offline import OfflineScorer
from shared.signal.engine import SignalEngine
from shared.universe.config import load_universe_config

AS_OF = datetime(2026, 3, 3, 18, tzinfo=UTC)
SYMBOL = "BTC-USD"
SETTINGS = load_pipeline_settings()


class _BadBars:
    """A market feed whose bars break the contract (a negative close)."""

    name = "bad"

    def bars(self, symbols: Sequence[str], *, start: datetime, end: datetime,
             timeframe: Timeframe) -> dict[str, pd.DataFrame]:
        frames = SyntheticFeed(7).bars(symbols, start=start, end=end, timeframe=timeframe)
        return {s: f.assign(close=-f["close"]) for s, f in frames.items()}


class _OldBars:
    """Bars that stopped a day before the decision."""

    name = "old"

    def bars(self, symbols: Sequence[str], *, start: datetime, end: datetime,
             timeframe: Timeframe) -> dict[str, pd.DataFrame]:
        return SyntheticFeed(7).bars(symbols, start=start, end=end - timedelta(days=1),
                                     timeframe=timeframe)


class _DownNews:
    name = "down"

    def narratives(self, symbols: Sequence[str], *, start: datetime, end: datetime
                   ) -> list[Narrative]:
        raise TransientProviderError("news timed out", provider="news")


class _Raises:
    """Scores like the offline scorer, but raises a plain bug on headlines with a marker."""

    model_id = "raises-on-marker"

    def __init__(self, marker: str) -> None:
        self.marker, self.inner = marker, OfflineScorer()

    def score(self, texts: Sequence[str]) -> list[SentimentScore]:
        if any(self.marker in t for t in texts):
            raise ValueError(f"cannot parse {self.marker!r}")
        return self.inner.score(texts)


class _CountingChecker:
    model_id = "counting-checker"

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.inner = OfflineScorer()

    def score(self, texts: Sequence[str]) -> list[SentimentScore]:
        self.texts.extend(texts)
        return self.inner.score(texts)


def _tracer(sources: Sources) -> TracerResult:
    request = TracerRequest(as_of=AS_OF, seed=7, settings=SETTINGS, symbol=SYMBOL)
    return run(request, sources=sources, registry=default_registry())


def _universe(**changes: object) -> SymbolRecord:
    universe = load_universe_config()
    spec = next(s for s in universe.sorted_symbols() if s.symbol == SYMBOL)
    base = build_universe_sources("synthetic", seed=7, config=universe, tracer=SETTINGS)
    sources: UniverseSources = dataclasses.replace(base, polymarket=None, **changes)
    signal = universe.signal_for(SETTINGS.signal, spec)
    job = SymbolJob(symbol=SYMBOL, signal=signal,
                    engine=SignalEngine(signal, SETTINGS.bots, default_registry()),
                    history_hours=universe.history_hours(spec),
                    max_bar_age_hours=universe.max_bar_age_hours(spec),
                    calendar=universe.calendar(spec), match_terms=tuple(spec.match_terms()))
    return symbol_record(spec, job, AS_OF, sources, universe.polymarket)


def _offline(**changes: object) -> Sources:
    sources = build_offline_sources("synthetic", seed=7, config=SETTINGS)
    return dataclasses.replace(sources, board=ProviderHealth(dict(sources.board.statuses)),
                               **changes)


def test_bars_that_break_the_contract_fail_the_same_way_in_tracer_and_universe() -> None:
    result = _tracer(_offline(market=_BadBars()))
    assert result.run.outcome.status is OutcomeStatus.FAILED
    assert result.run.outcome.reason_codes[0] == "DATA_INVALID_BARS"
    assert "DATA_INVALID_BARS" in result.run.manifest.degraded_reasons
    record = _universe(market=_BadBars())
    assert record.state is SymbolState.FAILED
    assert record.reason_codes[0] == "DATA_INVALID_BARS"
    assert [e.reason_code for e in record.provider_events] == ["DATA_INVALID_BARS"]


def test_a_failed_news_provider_is_provider_error_then_its_own_code_everywhere() -> None:
    result = _tracer(_offline(news=_DownNews()))
    assert result.run.outcome.reason_codes[:2] == ("PROVIDER_ERROR", "PROVIDER_TRANSIENT")
    statuses = {s.provider: s for s in result.run.manifest.provider_statuses}
    assert statuses["synthetic"].state is ProviderState.FAILED
    record = _universe(news=_DownNews())
    assert record.reason_codes[:2] == ("PROVIDER_ERROR", "PROVIDER_TRANSIENT")
    assert record.detail == "no narratives: news timed out"
    assert "not the same as no news" in result.run.envelopes[0].rationale


def test_stale_bars_are_not_decided_on_anywhere() -> None:
    result = _tracer(_offline(market=_OldBars()))
    assert result.run.outcome.reason_codes == ("DATA_STALE",)
    assert result.run.manifest.degraded_reasons == ("DATA_STALE",)
    assert result.inputs.narratives == ()  # a stale symbol's news is not fetched
    record = _universe(market=_OldBars())
    assert record.state is SymbolState.STALE and record.reason_codes == ("DATA_STALE",)


def test_the_llm_check_runs_on_every_headline_in_tracer_and_universe() -> None:
    checker = _CountingChecker()
    result = _tracer(_offline(checker=checker))
    assert result.inputs.narratives
    assert checker.texts == [n.headline for n in result.inputs.narratives]
    assert len(result.inputs.sentiment_checks) == len(result.inputs.narratives)
    universe_checker = _CountingChecker()
    record = _universe(checker=universe_checker)
    assert record.state is SymbolState.EVALUATED
    assert len(universe_checker.texts) == record.headline_count > 0


def test_one_headline_the_scorer_raises_on_is_rejected_and_the_run_goes_on() -> None:
    plain = decide_symbol(_job(), AS_OF, _offline())
    assert plain.narratives and len(plain.narratives) >= 2
    marker = plain.narratives[0].headline
    decision = decide_symbol(_job(), AS_OF, _offline(primary_scorer=_Raises(marker)))
    assert decision.state is DecisionState.DECIDED
    kept = tuple(n for n in plain.narratives if marker not in n.headline)  # (and retellings)
    assert kept and decision.narratives == kept
    assert [e.reason_code for e in decision.events] == ["SENTIMENT_INPUT_REJECTED"]
    result = _tracer(_offline(primary_scorer=_Raises(marker)))
    assert result.run.outcome.status is not OutcomeStatus.FAILED
    assert "SENTIMENT_INPUT_REJECTED" in result.run.manifest.degraded_reasons


def _job() -> SymbolJob:
    return SymbolJob(symbol=SYMBOL, signal=SETTINGS.signal,
                     engine=SignalEngine(SETTINGS.signal, SETTINGS.bots, default_registry()),
                     history_hours=SETTINGS.tracer.history_hours,
                     max_bar_age_hours=SETTINGS.tracer.max_bar_age_hours)


@pytest.mark.parametrize(("code", "degrades"), [
    ("NEWS_FETCHED_AFTER_AS_OF", False), ("DATA_MARKET_CLOSED", False),
    ("SENTIMENT_FALLBACK_OFFLINE", True), ("PROVIDER_TRANSIENT", True),
])
def test_degraded_asks_the_registry_for_the_codes_severity(code: str, degrades: bool) -> None:
    health = ProviderHealth()
    health.statuses["news"] = ProviderStatus(provider="news", state=ProviderState.DEGRADED,
                                             reason_codes=(code,))
    health.degrade(code)
    assert (health.reasons() == (code,)) is degrades
    assert (health.reasons() == ()) is not degrades
