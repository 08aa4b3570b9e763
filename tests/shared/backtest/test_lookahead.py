"""The lookahead falsifier: the real pipeline is clean on both decision paths, and a leak
planted in either (bars or headlines) is caught, by the library and by the CLI's exit code."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import shared.pipeline.decide as decide_module
from functions.cli import cli
from shared.backtest.lookahead import (
    DecisionPath,
    FutureBarsFeed,
    FutureNewsFeed,
    LookaheadReport,
    Scenario,
    check_lookahead,
    sample_times,
)
from shared.contracts import Narrative, Timeframe, validate_bars_frame
from shared.features.signal import PreparedBars, PreparedNarratives
from shared.pipeline import Sources, SymbolJob
from shared.pipeline.settings import load_pipeline_settings
from shared.pipeline.sources import HealthEvent
from shared.providers.synthetic import SyntheticFeed
from shared.reason_codes import default_registry
from shared.sentiment.offline import OfflineScorer
from shared.signal.engine import SignalEngine

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=3)
CUT = datetime(2026, 1, 7, 12, 30, tzinfo=UTC)
walk_module = sys.modules["shared.pipeline.walk"]  # the package re-exports walk() by name


def _job() -> SymbolJob:
    settings = load_pipeline_settings()
    engine = SignalEngine(settings.signal, settings.bots, default_registry())
    return SymbolJob(symbol="BTC-USD", signal=settings.signal, engine=engine,
                     history_hours=settings.tracer.history_hours,
                     max_bar_age_hours=settings.tracer.max_bar_age_hours)


def _sources(seed: int = 7) -> Sources:
    feed = SyntheticFeed(seed)
    return Sources("synthetic", feed, feed, OfflineScorer(), None)


def _check(seed: int = 7) -> LookaheadReport:
    return check_lookahead(_job(), _sources(seed), start=START, end=END, samples=20, seed=seed)


def _plant_bar_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count one bar more than had closed: the bar still open at as_of."""
    honest = PreparedBars.available

    def available(self: PreparedBars, as_of: datetime) -> int:
        return min(honest(self, as_of) + 1, len(self.end_ns))

    monkeypatch.setattr(PreparedBars, "available", available)


def _plant_news_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    """Filter headlines on their publication time only, everywhere (the fetch and the
    features): a headline published before t but fetched after t then counts at t."""

    def fetch(job: SymbolJob, as_of: datetime, sources: Sources,
              events: list[HealthEvent]) -> list[Narrative]:
        items = sources.news.narratives([job.symbol], start=as_of - decide_module.news_window(
            job.signal), end=as_of)
        return [n for n in items if n.published_at <= as_of]

    def fetched_when_published(prepare: Callable[..., PreparedNarratives]
                               ) -> Callable[..., PreparedNarratives]:
        def prepared(*args: Any, **kwargs: Any) -> PreparedNarratives:
            news = prepare(*args, **kwargs)
            return dataclasses.replace(news, fetched_ns=news.published_ns)
        return prepared

    monkeypatch.setattr(decide_module, "_fetch_narratives", fetch)
    for module in (decide_module, walk_module):
        monkeypatch.setattr(module, "prepare_narratives",
                            fetched_when_published(module.prepare_narratives))


@pytest.mark.parametrize("seed", [7, 11])
def test_the_real_pipeline_reads_nothing_after_t(seed: int) -> None:
    report = _check(seed)
    out = report.to_json()
    assert out["ok"] and out["leaks"] == [] and out["leak_count"] == 0
    assert out["samples"] == 20 and len(set(out["sample_times"])) == 20
    # Both paths and both scenarios at every sample: 2 decide_symbol calls + 2 walks.
    assert all(r["checked_decisions"] > 2 for r in out["per_sample"])
    assert out["checked_decisions"] >= 20 * 4
    assert {"divergence", "cooldown", "trend_guard"} <= set(out["bots_checked"])


def test_a_planted_bar_leak_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    _plant_bar_leak(monkeypatch)
    report = _check()
    assert not report.ok
    leaks = report.leaks
    assert all(leak.decision_time <= leak.time for leak in leaks)
    assert {leak.scenario for leak in leaks} == {Scenario.FUTURE}  # only bars were changed
    assert DecisionPath.WALK in {leak.path for leak in leaks}
    assert "divergence" in {leak.bot for leak in leaks}
    per_sample = report.to_json()["per_sample"]
    assert any(sample["differing"] for sample in per_sample)


def test_a_planted_headline_leak_is_caught_on_both_paths(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _plant_news_leak(monkeypatch)
    leaks = _check().leaks
    late = {leak.path for leak in leaks if leak.scenario is Scenario.LATE}
    assert late == {DecisionPath.DECIDE, DecisionPath.WALK}
    assert {"forecast", "outcome", "divergence"} <= {leak.bot for leak in leaks}


def test_the_cli_exits_1_on_a_planted_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["backtest", "check-lookahead", "--start", START.isoformat(), "--end",
            END.isoformat()]
    clean = CliRunner().invoke(cli, args)
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.output)["ok"] is True
    _plant_bar_leak(monkeypatch)
    leaky = CliRunner().invoke(cli, args)
    assert leaky.exit_code == 1, leaky.output
    out = json.loads(leaky.output)
    assert out["ok"] is False and out["leak_count"] > 0
    assert {"time", "decision_time", "path", "scenario", "bot", "field"} <= set(out["leaks"][0])


@pytest.mark.parametrize("args", [
    ["--samples", "5"],
    ["--feed", "dataset"],  # no default period for a dataset
    ["--start", "2026-01-05T00:00:00Z", "--end", "2026-01-05T00:00:00Z"],
    ["--start", "2026-01-05T00:00:00Z", "--end", "2026-01-05T10:00:00Z"],  # < 20 hours
    ["--start", "not-a-time"],
])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["backtest", "check-lookahead", *args])
    assert result.exit_code == 2, result.output


def test_sample_times_are_seeded_distinct_and_in_range() -> None:
    times = sample_times(START, END, 20, 7)
    assert times == sample_times(START, END, 20, 7) != sample_times(START, END, 20, 8)
    assert len(set(times)) == 20 and times == sorted(times)
    assert all(START <= t <= END for t in times)
    assert any(t.minute for t in times) and any(not t.minute for t in times)


def test_the_bar_wrapper_changes_only_bars_closing_after_the_cut() -> None:
    inner = SyntheticFeed(7)
    first = CUT - timedelta(days=2)

    def bars(feed: SyntheticFeed | FutureBarsFeed, end: datetime) -> pd.DataFrame:
        return feed.bars(["BTC-USD"], start=first, end=end, timeframe=Timeframe.HOUR)["BTC-USD"]

    real = bars(inner, CUT)
    changed = bars(FutureBarsFeed(inner, CUT, seed=7), CUT)
    validate_bars_frame(changed, symbol="BTC-USD")  # still a valid frame
    past = changed["end"] <= pd.Timestamp(CUT)
    assert len(changed) > len(real) and past.sum() == len(real)  # it over-delivers
    pd.testing.assert_frame_equal(changed[past].reset_index(drop=True), real)
    future = changed[~past]
    honest = bars(inner, CUT + timedelta(days=3))[~past.to_numpy()]
    assert (future["close"].to_numpy() != honest["close"].to_numpy()).all()
    assert (future["volume"].to_numpy() != honest["volume"].to_numpy()).any()


@pytest.mark.parametrize("scenario", list(Scenario))
def test_the_news_wrapper_keeps_what_was_fetched_by_the_cut(scenario: Scenario) -> None:
    inner = SyntheticFeed(7)
    start = CUT - timedelta(days=2)
    real = inner.narratives(["BTC-USD"], start=start, end=CUT)
    changed = FutureNewsFeed(inner, CUT, seed=7, scenario=scenario).narratives(
        ["BTC-USD"], start=start, end=CUT)
    assert [n for n in changed if n.fetched_at <= CUT] == real
    after = [n for n in changed if n.fetched_at > CUT]
    assert any(n.published_at <= CUT for n in after)  # published before, fetched after
    if scenario is Scenario.FUTURE:
        assert any(n.published_at > CUT for n in after)
    assert changed == sorted(changed, key=lambda n: (n.fetched_at, n.narrative_id))
