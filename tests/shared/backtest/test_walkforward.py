"""Walk-forward: folds, the in-sample logistic fit, the block bootstrap, the stitched report
and the CLI interface driven from outside."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.backtest.walkforward import WindowPlan, load_workload, run_walk_forward_command
from shared.backtest.calls import Call, Segment
from shared.backtest.skill import block_bootstrap, score_segments
from shared.backtest.walkforward import fit_logistic, folds_of, report, run_walk_forward
from shared.errors import ConfigError
from tests.helpers.tree import tb

T0 = datetime(2025, 1, 1, tzinfo=UTC)
REQUIRED = ("oos_triggers", "oos_resolved", "oos_hit_rate", "oos_base_rate", "oos_brier")


def test_rolling_folds_tile_the_out_of_sample_time_and_train_before_it() -> None:
    folds = folds_of(T0, T0 + timedelta(days=100), train_days=30, test_days=30, anchored=False)
    assert [f.train_end for f in folds] == [T0 + timedelta(days=d) for d in (30, 60, 90)]
    assert folds[-1].test_end == T0 + timedelta(days=100)  # the last one is cut at the end
    for a, b in zip(folds, folds[1:], strict=False):
        assert a.test_end == b.train_end
    assert all(f.train_end - f.train_start == timedelta(days=30) for f in folds)


def test_anchored_folds_all_start_at_the_start() -> None:
    folds = folds_of(T0, T0 + timedelta(days=100), train_days=30, test_days=30, anchored=True)
    assert {f.train_start for f in folds} == {T0}


def test_a_period_shorter_than_one_window_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="shorter than one in-sample window"):
        folds_of(T0, T0 + timedelta(days=10), train_days=30, test_days=30, anchored=False)


def _call(divergence: float, up: bool, *, hours: int = 0) -> Call:
    return Call("X", T0 + timedelta(hours=hours), 1 if divergence > 0 else -1, 0.5,
                divergence, None, up, 0.01 if up else -0.01)


def test_logistic_fit_recovers_the_coefficients_of_plenty_of_data() -> None:
    rng = np.random.default_rng(0)
    d = rng.uniform(-2, 2, 20_000)
    up = rng.random(20_000) < 1 / (1 + np.exp(-(0.3 + 1.5 * d)))
    fit = fit_logistic([_call(float(x), bool(y)) for x, y in zip(d, up, strict=True)],
                       (0.0, 0.5))
    assert fit.samples == 20_000
    assert fit.intercept == pytest.approx(0.3, abs=0.05)
    assert fit.slope == pytest.approx(1.5, abs=0.08)


def test_logistic_fit_without_data_is_the_prior_and_stays_inside_the_config_bounds() -> None:
    assert (fit_logistic([], (0.2, 0.7)).intercept, fit_logistic([], (0.2, 0.7)).slope) == (
        0.2, 0.7)
    # Every call up whatever the divergence: the intercept runs off, clipped at its bound.
    fit = fit_logistic([_call(0.6, True)] * 5000, (0.0, 0.5))
    assert fit.intercept <= 3.0 and fit.slope >= 0.0


def _segment(hits: list[bool], *, polls: int = 200) -> Segment:
    times = np.array([int((T0 + timedelta(hours=i)).timestamp()) * 10**9 for i in range(polls)],
                     dtype=np.int64)
    calls = tuple(_call(0.8, hit, hours=2 * i) for i, hit in enumerate(hits))
    up = np.arange(polls) % 2 == 0
    return Segment("X", T0, T0 + timedelta(hours=polls), 12, times, np.ones(polls, bool), up,
                   calls)


def test_scores_count_hits_against_the_base_rate() -> None:
    scores = score_segments([_segment([True, True, True, False])])
    assert (scores.triggers, scores.resolved, scores.hits) == (4, 4, 3)
    assert scores.hit_rate == 0.75 and scores.base_rate == 0.5
    assert scores.z == pytest.approx((3 - 2) / 1.0)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.booleans(), min_size=5, max_size=60), st.integers(0, 10_000),
       st.integers(1, 48))
def test_block_bootstrap_is_seeded_and_brackets_the_point_estimate(
        hits: list[bool], seed: int, block: int) -> None:
    segments = [_segment(hits, polls=2 * len(hits) + 10)]
    a = block_bootstrap(segments, block_polls=block, resamples=300, seed=seed)
    b = block_bootstrap(segments, block_polls=block, resamples=300, seed=seed)
    assert a == b
    lo, hi = a["hit_rate"]
    assert 0.0 <= lo <= hi <= 1.0


def test_blocks_as_long_as_the_horizon_widen_the_interval_of_clustered_calls() -> None:
    # Calls in runs of ten equal outcomes (as overlapping horizons make them): resampling
    # single polls treats them as independent and gives a narrower interval.
    hits = ([True] * 10 + [False] * 10) * 6
    segments = [_segment(hits, polls=2 * len(hits))]
    narrow = block_bootstrap(segments, block_polls=1, resamples=2000, seed=1)["hit_rate"]
    wide = block_bootstrap(segments, block_polls=24, resamples=2000, seed=1)["hit_rate"]
    assert wide[1] - wide[0] > 1.3 * (narrow[1] - narrow[0])


def test_report_refuses_blocks_shorter_than_the_horizon() -> None:
    work = load_workload(feed="synthetic", seed=7, start=T0, end=T0 + timedelta(days=20),
                         symbols=None, synthetic_edge=None)
    folds = folds_of(T0, T0 + timedelta(days=20), train_days=10, test_days=10, anchored=False)
    result = run_walk_forward(work.jobs, work.periods, folds)
    with pytest.raises(ConfigError, match="shorter than the 12 h horizon"):
        report(result, block_hours=6, resamples=10, seed=1, poll_hours=1)


def test_in_sample_fit_reads_only_outcomes_known_by_the_end_of_the_in_sample_window() -> None:
    end = T0 + timedelta(days=75)
    work = load_workload(feed="synthetic", seed=7, start=T0, end=end, symbols=None,
                         synthetic_edge=None)
    folds = folds_of(T0, end, train_days=45, test_days=30, anchored=False)
    result = run_walk_forward(work.jobs, work.periods, folds)
    fold = result.folds[0]
    assert fold["logistic_fit"]["fitted_on_resolved_in_sample_triggers"] <= \
        fold["in_sample_triggers"]
    # The fit changes only with in-sample outcomes: replacing every bar after the
    # in-sample window's end by a flat line leaves it as it was.
    period = work.periods[0]
    cut = np.searchsorted(period.bars.end_ns, int(folds[0].train_end.timestamp()) * 10**9,
                          side="right")
    flat = period.bars.log_close.copy()
    flat[cut:] = flat[cut - 1]
    changed = type(period)(type(period.bars)(period.bars.end_ns, flat, period.bars.volume,
                                             period.bars.start_ns),
                           period.news, period.narratives, period.scores, period.events)
    again = run_walk_forward(work.jobs, (changed,), folds)
    assert again.folds[0]["logistic_fit"] == fold["logistic_fit"]
    assert again.folds[0]["params"] == fold["params"]


def test_walk_forward_report_has_every_promised_field_with_intervals_and_honesty() -> None:
    out = run_walk_forward_command(
        feed="synthetic", seed=7, start=T0, end=T0 + timedelta(days=60), symbols=None,
        synthetic_edge=None, plan=WindowPlan(30, 15, False, None, 200))
    for key in REQUIRED:
        assert key in out
    assert out["oos_resolved"] <= out["oos_triggers"]
    assert out["windows"] == len(out["folds"]) == 2
    assert out["oos_hit_rate_interval"] is None or len(out["oos_hit_rate_interval"]) == 2
    assert out["bootstrap"]["block_polls"] >= out["horizon_hours"]
    assert "not a prediction of live results" in out["note"]
    assert all("logistic_fit" in f and "params" in f for f in out["folds"])


def test_cli_walk_forward_prints_the_interface_json() -> None:
    done = tb("backtest", "walk-forward", "--feed", "synthetic", "--seed", "7", "--start",
              "2025-01-01T00:00:00Z", "--end", "2025-02-15T00:00:00Z", "--symbol", "ETH-USD",
              "--synthetic-edge", "0", "--train-days", "30", "--test-days", "15",
              "--resamples", "100")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert all(key in out for key in REQUIRED)
    assert out["symbols"] == ["ETH-USD"] and out["synthetic_edge"] == 0.0


def test_cli_walk_forward_rejects_an_end_before_the_start() -> None:
    done = tb("backtest", "walk-forward", "--start", "2025-02-01T00:00:00Z", "--end",
              "2025-01-01T00:00:00Z")
    assert done.returncode == 2 and "--end must be after --start" in done.stderr


@pytest.mark.shared_data
def test_walk_forward_runs_on_the_pinned_dataset() -> None:
    out = run_walk_forward_command(
        feed="dataset", seed=7, start=datetime(2022, 1, 1, tzinfo=UTC),
        end=datetime(2022, 3, 15, tzinfo=UTC), symbols=["BTC-USD"], synthetic_edge=None,
        plan=WindowPlan(45, 14, False, None, 100))
    assert out["feed"] == "replay" and out["windows"] >= 2
    assert out["oos_base_samples"] > 0
