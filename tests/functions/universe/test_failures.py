"""One symbol's failure never stops the others: it is recorded, and the run is degraded."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from functions.universe.app import run_universe
from functions.universe.build import UniverseSources, build_universe_sources
from shared.contracts import Narrative, ProviderState, Timeframe
from shared.contracts.universe import SymbolState, UniverseRun
from shared.errors import ProviderResponseError, TransientProviderError
from shared.providers.base import MarketFeed, NewsFeed
from shared.reason_codes import default_registry
from shared.store.validate import validate_tree
from shared.universe.calendars import SessionFeed
from shared.universe.config import UniverseConfig
from tests.helpers.universe import AS_OF, SETTINGS, small_universe


class _FaultyMarket:
    """Raises for one symbol, returns an invalid frame for another, passes the rest on."""

    def __init__(self, inner: MarketFeed, *, raising: str = "", broken: str = "",
                 exploding: str = "") -> None:
        self.inner, self.name = inner, inner.name
        self.raising, self.broken, self.exploding = raising, broken, exploding

    def bars(self, symbols: Sequence[str], *, start: datetime, end: datetime,
             timeframe: Timeframe) -> dict[str, pd.DataFrame]:
        if self.raising in symbols:
            raise TransientProviderError("503 from the bars endpoint", provider="synthetic",
                                         status_code=503)
        if self.exploding in symbols:
            raise ZeroDivisionError("a bug in a provider")
        frames = self.inner.bars(symbols, start=start, end=end, timeframe=timeframe)
        if self.broken in frames:
            frame = frames[self.broken].copy()
            frame.loc[frame.index[-1], "high"] = -1.0  # high below low: breaks the contract
            frames[self.broken] = frame
        return frames


class _FailingNews:
    def __init__(self, inner: NewsFeed, failing: str) -> None:
        self.inner, self.name, self.failing = inner, inner.name, failing

    def narratives(self, symbols: Sequence[str], *, start: datetime, end: datetime
                   ) -> list[Narrative]:
        if self.failing in symbols:
            raise ProviderResponseError("news answer did not parse", provider="synthetic")
        return self.inner.narratives(symbols, start=start, end=end)


def _sources(universe: UniverseConfig, **faults: str) -> UniverseSources:
    base = build_universe_sources("synthetic", seed=7, config=universe, tracer=SETTINGS)
    assert isinstance(base.market, SessionFeed)
    market_faults = {k: v for k, v in faults.items() if k != "news"}
    market = SessionFeed(_FaultyMarket(base.market.inner, **market_faults),
                         {s.symbol: universe.calendar(s) for s in universe.symbols}.get)
    news = _FailingNews(base.news, faults["news"]) if "news" in faults else base.news
    return dataclasses.replace(base, market=market, news=news)


def _run(tmp_path: Path, universe: UniverseConfig, sources: UniverseSources) -> UniverseRun:
    outcome = run_universe(seed=7, as_of=AS_OF, artifacts_dir=tmp_path, universe=universe,
                           settings=SETTINGS, sources=sources, notify=False, progress_bar=False,
                           code_sha="test")
    assert outcome.run is not None
    return outcome.run


def test_provider_error_and_invalid_frame_fail_one_symbol_each(tmp_path: Path) -> None:
    universe = small_universe(tmp_path)
    run = _run(tmp_path / "out", universe,
               _sources(universe, raising="ETH-USD", broken="TSLA"))
    by = {r.symbol: r for r in run.symbols}
    assert by["ETH-USD"].state is SymbolState.FAILED
    assert "PROVIDER_TRANSIENT" in by["ETH-USD"].reason_codes
    assert by["TSLA"].state is SymbolState.FAILED
    assert by["TSLA"].reason_codes == ("DATA_INVALID_BARS",)
    others = [r for s, r in by.items() if s not in ("ETH-USD", "TSLA")]
    assert all(r.state is SymbolState.EVALUATED for r in others)
    assert run.failed_symbols == ("ETH-USD", "TSLA")
    assert run.manifest.degraded
    assert {"DATA_INVALID_BARS", "PROVIDER_TRANSIENT"} <= set(run.manifest.degraded_reasons)
    market = next(s for s in run.manifest.provider_statuses if s.provider == "synthetic")
    assert market.state is ProviderState.DEGRADED
    assert market.reason_codes == ("DATA_INVALID_BARS", "PROVIDER_TRANSIENT")
    assert "ETH-USD, TSLA" in market.detail
    default_registry().check(run.manifest.degraded_reasons)
    assert validate_tree(tmp_path / "out")[1] == []
    assert "failed: ETH\\-USD, TSLA" in "\n".join(run.digest_parts)


def test_unexpected_exception_is_symbol_failed_and_logged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    universe = small_universe(tmp_path)
    with caplog.at_level(logging.ERROR, logger="functions.universe.records"):
        run = _run(tmp_path / "out", universe, _sources(universe, exploding="SOL-USD"))
    by = {r.symbol: r for r in run.symbols}
    assert by["SOL-USD"].state is SymbolState.FAILED
    assert by["SOL-USD"].reason_codes == ("SYMBOL_FAILED",)
    assert by["SOL-USD"].detail == "ZeroDivisionError: a bug in a provider"
    assert "SYMBOL_FAILED" in run.manifest.degraded_reasons
    assert sum(r.state is SymbolState.EVALUATED for r in run.symbols) == len(run.symbols) - 1
    assert any("SOL-USD failed" in r.message and r.exc_info for r in caplog.records)


def test_news_failure_is_not_no_news(tmp_path: Path) -> None:
    universe = small_universe(tmp_path)
    run = _run(tmp_path / "out", universe, _sources(universe, news="BTC-USD"))
    btc = next(r for r in run.symbols if r.symbol == "BTC-USD")
    assert btc.state is SymbolState.FAILED
    assert "PROVIDER_BAD_RESPONSE" in btc.reason_codes
    assert btc.provider_events[0].provider == "synthetic"
    assert run.manifest.degraded


def test_failures_merge_like_the_unsharded_run(tmp_path: Path) -> None:
    from functions.universe.merge import merge_all
    from shared.universe.sharding import parse_shard
    from tests.helpers.tree import snapshot

    universe = small_universe(tmp_path)
    sources = _sources(universe, raising="ETH-USD", broken="TSLA")
    _run(tmp_path / "whole", universe, sources)
    for shard in ("1/3", "2/3", "3/3"):
        run_universe(seed=7, as_of=AS_OF, artifacts_dir=tmp_path / "sharded", universe=universe,
                     settings=SETTINGS, sources=sources, shard=parse_shard(shard),
                     progress_bar=False, code_sha="test")
    merge_all(tmp_path / "sharded")
    assert snapshot(tmp_path / "sharded") == snapshot(tmp_path / "whole")
