"""Daily dataset bars through the one decision path: freshness scales with the timeframe,
a walk step equals a run at that time, and a dataset that misses the period (or has no
news for it) is an error or a marked run, never a silent "0 triggers"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from functions.study.run import run_study
from shared.contracts import Timeframe
from shared.errors import ConfigError
from shared.pipeline import Sources, SymbolJob, decide_symbol, fetch_period, walk
from shared.pipeline.coverage import check_coverage
from shared.pipeline.decide import DecisionState, max_bar_age
from shared.pipeline.settings import DatasetFiles, load_pipeline_settings
from shared.pipeline.sources import ProviderHealth
from shared.providers.dataset import DatasetFeed, NewsSource
from shared.providers.news_loaders import NewsColumns
from shared.reason_codes import default_registry
from shared.sentiment.offline import OfflineScorer
from shared.signal.engine import SignalEngine

FIXTURES = Path(__file__).parents[2] / "fixtures" / "datasets"
TWEETS = NewsColumns(published_at="date", headline="text", symbols="symbol")


def _yahoo(path: Path, first: str = "2011-01-03", last: str = "2012-09-12") -> Path:
    # a seeded random walk on weekdays, written as a Yahoo daily CSV
    sessions = pd.bdate_range(first, last)
    rng = np.random.default_rng(5)
    close = 400 * np.exp(np.cumsum(rng.normal(0, 0.015, len(sessions))))
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for day, c in zip(sessions, close, strict=True):
        o = c * (1 + rng.normal(0, 0.004))
        lines.append(f"{day:%Y-%m-%d},{o:.4f},{max(o, c) * 1.01:.4f},{min(o, c) * 0.99:.4f},"
                     f"{c:.4f},{c * 0.9:.4f},{rng.integers(10**6, 10**7)}")
    path.write_text("\n".join(lines))
    return path


def _job(timeframe: Timeframe = Timeframe.DAY) -> SymbolJob:
    settings = load_pipeline_settings()
    engine = SignalEngine(settings.signal, settings.bots, default_registry())
    return SymbolJob(symbol="AAPL", signal=settings.signal, engine=engine, history_hours=8760,
                     max_bar_age_hours=4, timeframe=timeframe)


def _sources(tmp_path: Path, *, news: bool = True) -> Sources:
    sources = [NewsSource(FIXTURES / "stock_tweets_daily.csv", TWEETS, timedelta(hours=1))]
    feed = DatasetFeed({"AAPL": _yahoo(tmp_path / "AAPL.csv")}, sources if news else [],
                       timeframe=Timeframe.DAY, calendar="XNYS")
    return Sources("replay", feed, feed, OfflineScorer(), None, ProviderHealth(),
                   timeframe=Timeframe.DAY)


@pytest.mark.parametrize(("timeframe", "age"), [
    (Timeframe.HOUR, timedelta(hours=4)), (Timeframe.DAY, timedelta(days=4)),
    (Timeframe.MINUTE, timedelta(minutes=4))])
def test_freshness_limit_counts_bars_of_the_timeframe(timeframe: Timeframe,
                                                      age: timedelta) -> None:
    assert max_bar_age(_job(timeframe)) == age


def test_daily_bars_decided_and_each_walk_step_equals_a_run(tmp_path: Path) -> None:
    sources = _sources(tmp_path)
    job = _job()
    start = datetime(2012, 3, 1, tzinfo=UTC)
    times = [start + timedelta(days=k) for k in range(0, 40, 3)]
    period = fetch_period(job, times[0], times[-1], sources)
    walked = {step.as_of: step.decision for step in walk(job, times, period)}
    for t in times:
        run = decide_symbol(job, t, sources)
        step = walked[t]
        assert run.state is step.state, t
        if run.decided is not None and step.decided is not None:
            assert run.decided.outcome == step.decided.outcome, t
    assert any(d.state is DecisionState.DECIDED for d in walked.values())


def test_study_on_daily_bars_resolves_against_daily_closes(tmp_path: Path) -> None:
    sources = _sources(tmp_path)
    result = run_study(_job(), start=datetime(2012, 1, 3, tzinfo=UTC),
                       end=datetime(2012, 6, 29, tzinfo=UTC), sources=sources)
    assert result.decisions > 100 and not result.failed
    assert result.base_rate is not None


def test_period_outside_the_bars_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"bars for AAPL cover 2011-01-03.*lies outside"):
        check_coverage(_sources(tmp_path), "AAPL", datetime(2020, 1, 1, tzinfo=UTC),
                       datetime(2020, 6, 1, tzinfo=UTC))


def test_partial_cover_and_news_without_overlap_are_marked(tmp_path: Path) -> None:
    sources = _sources(tmp_path)
    coverage = check_coverage(sources, "AAPL", datetime(2012, 8, 1, tzinfo=UTC),
                              datetime(2012, 12, 1, tzinfo=UTC))
    assert coverage is not None
    assert coverage.codes == ("DATA_PARTIAL_COVERAGE", "DATA_NEWS_NO_OVERLAP")
    assert set(sources.board.reasons()) == {"DATA_PARTIAL_COVERAGE", "DATA_NEWS_NO_OVERLAP"}


def test_bars_only_replay_decides_and_is_marked(tmp_path: Path) -> None:
    sources = _sources(tmp_path, news=False)
    coverage = check_coverage(sources, "AAPL", datetime(2012, 3, 1, tzinfo=UTC),
                              datetime(2012, 4, 1, tzinfo=UTC))
    assert coverage is not None and coverage.codes == ("DATA_BARS_ONLY",)
    assert sources.board.reasons() == ("DATA_BARS_ONLY",)
    decision = decide_symbol(_job(), datetime(2012, 3, 6, tzinfo=UTC), sources)
    assert decision.state is DecisionState.DECIDED and decision.narratives == ()


def test_coverage_of_feeds_without_files_is_not_checked() -> None:
    from shared.providers.synthetic import SyntheticFeed

    feed = SyntheticFeed(7)
    sources = Sources("synthetic", feed, feed, OfflineScorer(), None)
    assert check_coverage(sources, "BTC-USD", datetime(2020, 1, 1, tzinfo=UTC),
                          datetime(2020, 2, 1, tzinfo=UTC)) is None


def test_dataset_config_new_keys_dump_only_when_set() -> None:
    default = DatasetFiles(bars={"BTC-USD": "a.csv"})
    assert "timeframe" not in default.model_dump() and "calendar" not in default.model_dump()
    daily = DatasetFiles.model_validate({
        "timeframe": "1d", "calendar": "XNYS",
        "bars": {"AAPL": {"path": "a.csv", "columns": {"time": "Date"}}},
        "news": [{"path": "t.csv", "columns": {"published_at": "date", "headline": "text",
                                                "symbols": "symbol"}}]})
    assert daily.timeframe is Timeframe.DAY and daily.model_dump()["timeframe"] == "1Day"
    assert daily.bar_paths() == {"AAPL": "a.csv"} and daily.news_paths() == ["t.csv"]


@pytest.mark.parametrize("bad", [
    {"timeframe": "2h"},
    {"bars": {"A": {"path": "a.csv", "columns": {"price": "Close"}}}},
    {"news": [{"path": "t.csv", "columns": {"headline": "text", "symbols": "s"}}]},
    {"news": [{"path": "t.csv", "columns": {"published_at": "d", "headline": "text"}}]},
])
def test_dataset_config_errors_name_the_problem(bad: dict[str, object]) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        DatasetFiles.model_validate(bad)
