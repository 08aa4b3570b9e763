"""The fast walk decides exactly as before, to the bit.

* :class:`BarWindows` (window statistics computed once per period over sliding windows)
  equals the per-decision numpy calls on every row;
* :func:`compute_features` equals the per-decision computation it replaced (kept here as
  the oracle, verbatim from before the window table) at every hour of long synthetic and
  dataset periods, field by field (floats compared with ``==``: equal bits);
* the walk over a long period equals :func:`decide_symbol` (the single-time run: its own
  fetch, its own bars) at sampled times and at every trigger, on every field of every
  envelope, the outcome and the forecast.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.backtest.lookahead import decision_differences
from shared.contracts import OutcomeStatus, PriorTrigger, SignalFeatures
from shared.features.signal import (
    BarWindows,
    FeatureParams,
    PreparedBars,
    PreparedNarratives,
    compute_features,
    epoch_ns,
)
from shared.pipeline import (
    Period,
    Sources,
    SymbolJob,
    decide_symbol,
    fetch_period,
    prior_window,
    walk,
)
from shared.pipeline.build import build_offline_sources
from shared.pipeline.settings import load_pipeline_settings
from shared.reason_codes import default_registry
from shared.signal.engine import SignalEngine

SYNTHETIC = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 7, 1, tzinfo=UTC))
DATASET = (datetime(2021, 10, 1, tzinfo=UTC), datetime(2022, 3, 1, tzinfo=UTC))


def _job() -> SymbolJob:
    settings = load_pipeline_settings()
    engine = SignalEngine(settings.signal, settings.bots, default_registry())
    return SymbolJob(symbol="BTC-USD", signal=settings.signal, engine=engine,
                     history_hours=settings.tracer.history_hours,
                     max_bar_age_hours=settings.tracer.max_bar_age_hours)


def _sources(feed: str, seed: int = 7) -> Sources:
    return build_offline_sources(feed, seed=seed, config=load_pipeline_settings())


def _reference_features(symbol: str, as_of: datetime, bars: PreparedBars,
                        news: PreparedNarratives, params: FeatureParams) -> SignalFeatures:
    """compute_features before the window table (the bar part verbatim; the narrative part
    is unchanged and shared)."""
    from shared.features.signal import _narrative_features

    n = bars.available(as_of)
    log_close = bars.log_close[:n]
    volume = bars.volume[:n]
    returns = np.diff(log_close[-(params.vol_window_bars + 1):])
    realized_vol = max(float(np.std(returns, ddof=1)) if len(returns) > 1 else 0.0, 1e-6)
    k = min(params.move_lookback_bars, n - 1)
    price_return = float(log_close[-1] - log_close[-1 - k])
    t = min(params.trend_lookback_bars, n - 1)
    trend_z = float(log_close[-1] - log_close[-1 - t]) / (realized_vol * math.sqrt(t))
    recent = volume[-params.participation_bars:]
    norm = volume[-params.vol_window_bars: -params.participation_bars]
    norm_level = float(np.median(norm)) if len(norm) else 0.0
    participation = float(np.mean(recent)) / norm_level if norm_level > 0 else 0.0
    return SignalFeatures(
        symbol=symbol, as_of=as_of, price_return=price_return, realized_vol=realized_vol,
        move_z=price_return / (realized_vol * math.sqrt(k)), participation=participation,
        trend_z=trend_z, bars_used=n,
        last_bar_end=pd.Timestamp(int(bars.end_ns[n - 1]), tz="UTC").to_pydatetime(),
        **_narrative_features(as_of, news, params),
    )


def _hours(start: datetime, end: datetime) -> list[datetime]:
    return [start + timedelta(hours=h) for h in range(int((end - start) / timedelta(hours=1)))]


def _features_equal_the_reference(period: Period, job: SymbolJob, times: list[datetime]
                                  ) -> int:
    params = job.signal.features
    compared = 0
    for t in times:
        bars = period.bars.between(t - timedelta(hours=job.history_hours), t)
        if bars.available(t) < params.min_bars:
            continue
        fast = compute_features(job.symbol, t, bars, period.news, params)
        assert fast == _reference_features(job.symbol, t, bars, period.news, params), t
        compared += 1
    return compared


@settings(max_examples=60, deadline=None)
@given(size=st.integers(2, 400), window=st.integers(2, 200), recent=st.integers(1, 80),
       seed=st.integers(0, 2**32 - 1))
def test_bar_windows_equal_the_per_window_numpy_calls(size: int, window: int, recent: int,
                                                      seed: int) -> None:
    rng = np.random.default_rng(seed)
    log_close = np.cumsum(rng.normal(0.0, 0.01, size)) + 9.0
    volume = rng.lognormal(0.0, 1.5, size) * (rng.random(size) > 0.1)  # zeros too
    table = BarWindows.of(log_close, volume, window, recent)
    for end in range(size + 1):
        full = window > recent and end > window
        assert np.isnan(table.return_std[end]) != full
        if full:
            returns = np.diff(log_close[:end][-(window + 1):])
            assert table.return_std[end] == np.std(returns, ddof=1)
            assert table.volume_norm[end] == np.median(volume[:end][-window:-recent])
            assert table.volume_recent[end] == np.mean(volume[:end][-recent:])


def test_a_copy_of_a_view_reads_its_own_windows() -> None:
    bars = PreparedBars(np.arange(400, dtype="int64"), np.linspace(1.0, 2.0, 400),
                        np.ones(400), np.arange(400, dtype="int64") - 1)
    view = bars.between(datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC))
    assert view.origin is bars
    copy = dataclasses.replace(view, log_close=view.log_close * 2.0)
    assert copy.origin is None and copy.offset == 0


def test_features_equal_the_per_decision_computation_on_synthetic_hours() -> None:
    job = _job()
    start, end = SYNTHETIC
    period = fetch_period(job, start, end, _sources("synthetic"))
    assert _features_equal_the_reference(period, job, _hours(start, end)) > 4000


@pytest.mark.shared_data
def test_features_equal_the_per_decision_computation_on_dataset_hours() -> None:
    job = _job()
    start, end = DATASET
    period = fetch_period(job, start, end, _sources("dataset"))
    assert len(period.narratives) > 100  # the period has news: narrative features are live
    assert _features_equal_the_reference(period, job, _hours(start, end)) > 3000


def _walk_equals_single_runs(feed: str, start: datetime, end: datetime, seed: int) -> None:
    job, sources = _job(), _sources(feed, seed)
    times = _hours(start, end)
    steps = list(walk(job, times, fetch_period(job, start, end, sources)))
    triggers = [PriorTrigger(symbol=job.symbol, direction=s.decision.decided.outcome.direction,
                             as_of=s.as_of)
                for s in steps if s.decision.decided is not None
                and s.decision.decided.outcome.status is OutcomeStatus.TRIGGERED
                and s.decision.decided.outcome.direction is not None]
    rng = np.random.default_rng(seed)
    picked = set(rng.choice(len(steps), 40, replace=False).tolist())
    picked |= {i for i, s in enumerate(steps) if s.as_of in {p.as_of for p in triggers}}
    picked |= {i + 1 for i in picked if i + 1 < len(steps)}  # the hour after (already active)
    window = prior_window(job.engine.bots)
    statuses = set()
    for i in sorted(picked):
        t = steps[i].as_of
        prior = tuple(p for p in triggers if t - window <= p.as_of < t)
        alone = decide_symbol(dataclasses.replace(job, prior_triggers=prior), t, sources)
        assert decision_differences(alone, steps[i].decision) == [], t
        if alone.decided is not None:
            statuses.add(alone.decided.outcome.status)
    assert OutcomeStatus.TRIGGERED in statuses and OutcomeStatus.NO_TRIGGER in statuses


@pytest.mark.parametrize("seed", [7, pytest.param(11, marks=pytest.mark.slow)])
def test_the_walk_equals_single_runs_at_sampled_synthetic_hours(seed: int) -> None:
    _walk_equals_single_runs("synthetic", *SYNTHETIC, seed)


@pytest.mark.shared_data
def test_the_walk_equals_single_runs_at_sampled_dataset_hours() -> None:
    _walk_equals_single_runs("dataset", *DATASET, 7)


def test_epoch_ns_is_pandas_nanoseconds() -> None:
    for value in (datetime(2024, 2, 29, 12, 30, 1, 123456, tzinfo=UTC),
                  datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                  datetime(2024, 1, 1, 5, 0), pd.Timestamp("2024-01-01T00:00:00.000000001Z")):
        assert epoch_ns(value) == pd.Timestamp(value).as_unit("ns").value


@pytest.mark.parametrize("feed", ["synthetic", pytest.param("dataset",
                                                            marks=pytest.mark.shared_data)])
def test_precomputed_narrative_features_equal_the_per_time_ones(feed: str) -> None:
    job = _job()
    start, end = SYNTHETIC if feed == "synthetic" else DATASET
    period = fetch_period(job, start, end, _sources(feed))
    params = job.signal.features
    # whole hours and times between bar closes, as a walk or a run may ask
    times = [t + timedelta(minutes=17 * (i % 3)) for i, t in enumerate(_hours(start, end))]
    fresh = dataclasses.replace(period.news)  # a copy holds no precomputed features
    period.news.precompute([epoch_ns(t) for t in times], params)
    with_headlines = 0
    for t in times:
        fast = compute_features(job.symbol, t, period.bars, period.news, params)
        assert fast == compute_features(job.symbol, t, period.bars, fresh, params), t
        with_headlines += fast.headline_count > 0
    assert with_headlines > 1000
