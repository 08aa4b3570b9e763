"""Scores equal scikit-learn's to 1e-12; binning matches sklearn's uniform bins exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss

from shared.evaluation import (
    LOG_LOSS_EPS,
    bootstrap,
    brier_skill,
    calibration_bin_ids,
    score,
    win_rate,
)

TOL = 1e-12


def _assert_matches_sklearn(p: np.ndarray, y: np.ndarray, n_bins: int = 10) -> None:
    scores = score(p, y, n_bins=n_bins)
    assert abs(scores.brier - brier_score_loss(y, p)) <= TOL
    assert abs(scores.log_loss - log_loss(y, p, labels=[0, 1])) <= TOL
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy="uniform")
    filled = [b for b in scores.calibration if b.count]
    assert len(filled) == len(prob_true)
    np.testing.assert_allclose([b.freq_y for b in filled], prob_true, rtol=0, atol=TOL)
    np.testing.assert_allclose([b.mean_p for b in filled], prob_pred, rtol=0, atol=TOL)
    assert scores.base_rate == pytest.approx(float(np.mean(y)), abs=TOL)
    assert sum(b.count for b in scores.calibration) == p.size


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("n", [1, 7, 1000, 100_003])
def test_score_seeded_random_data_matches_sklearn(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    y = (rng.random(n) < p).astype(np.int64)
    _assert_matches_sklearn(p, y)


@pytest.mark.parametrize("n_bins", [1, 3, 5, 7, 10, 20])
def test_score_other_bin_counts_match_sklearn(n_bins: int) -> None:
    rng = np.random.default_rng(11)
    p = rng.random(5000)
    y = (rng.random(5000) < 0.3).astype(np.int64)
    _assert_matches_sklearn(p, y, n_bins=n_bins)


def test_calibration_bin_ids_exact_edges_match_searchsorted() -> None:
    edges = np.linspace(0.0, 1.0, 11)
    p = np.concatenate(
        [edges, np.nextafter(edges, 2.0), np.nextafter(edges, -1.0), np.linspace(0, 1, 100_001)]
    ).clip(0.0, 1.0)
    expected = np.searchsorted(edges[1:-1], p)
    np.testing.assert_array_equal(calibration_bin_ids(p), expected)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=50),
    st.integers(min_value=1, max_value=25),
)
def test_calibration_bin_ids_any_probability_matches_sklearn_binning(
    values: list[float], n_bins: int
) -> None:
    p = np.asarray(values)
    expected = np.searchsorted(np.linspace(0.0, 1.0, n_bins + 1)[1:-1], p)
    np.testing.assert_array_equal(calibration_bin_ids(p, n_bins), expected)


def test_score_every_bin_listed_empty_bins_null() -> None:
    scores = score([0.05, 0.95], [0, 1])
    assert [b.count for b in scores.calibration] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert scores.calibration[3].mean_p is None and scores.calibration[3].freq_y is None
    assert (scores.calibration[0].lo, scores.calibration[0].hi) == (0.0, 0.1)


def test_score_probability_on_edge_goes_to_lower_bin() -> None:
    scores = score([0.1, 0.5, 1.0, 0.0], [0, 1, 1, 0])
    counts = [b.count for b in scores.calibration]
    assert counts[0] == 2  # 0.0 and 0.1 (on the edge: lower bin, as sklearn)
    assert counts[4] == 1  # 0.5
    assert counts[9] == 1  # 1.0


def test_score_small_example_exact_values() -> None:
    scores = score([0.8, 0.3], [1, 0])
    assert scores.brier == pytest.approx(0.065, abs=1e-15)
    assert scores.log_loss == pytest.approx(-(np.log(0.8) + np.log(0.7)) / 2, abs=1e-15)
    assert scores.brier_climatology == 0.25
    assert scores.brier_skill_vs_climatology == pytest.approx(1 - 0.065 / 0.25)


def test_score_log_loss_clips_at_1e_15() -> None:
    scores = score([0.0, 1.0], [1, 0])
    assert scores.log_loss == pytest.approx(-np.log(LOG_LOSS_EPS), rel=1e-15)


def test_score_log_loss_inside_clip_range_matches_sklearn_near_bounds() -> None:
    p = np.array([1e-15, 1e-9, 0.5, 1 - 1e-9, 1 - 1e-14])
    y = np.array([1, 0, 1, 1, 0])
    assert abs(score(p, y).log_loss - log_loss(y, p)) <= TOL


def test_score_accepts_bool_int8_and_float_outcomes_equally() -> None:
    p = np.array([0.2, 0.7, 0.9])
    results = {
        score(p, y).brier
        for y in (
            [0, 1, 1],
            np.array([0, 1, 1], dtype=np.int8),
            np.array([False, True, True]),
            [0.0, 1.0, 1.0],
        )
    }
    assert len(results) == 1


@pytest.mark.parametrize(
    ("p", "y", "match"),
    [
        ([0.5, 1.2], [0, 1], "probability"),
        ([0.5, -0.1], [0, 1], "probability"),
        ([0.5, float("nan")], [0, 1], "probability"),
        ([0.5, 0.5], [0, 2], "0 or 1"),
        ([0.5, 0.5], [0, 0.5], "0 or 1"),
        ([0.5, 0.5], np.array([0, 3], dtype=np.int8), "0 or 1"),
        ([], [], "no forecasts"),
        ([0.5], [0, 1], "same length"),
    ],
)
def test_score_invalid_input_raises_value_error(p: list[float], y: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        score(p, y)  # type: ignore[arg-type]


def test_brier_skill_zero_reference_is_none() -> None:
    assert brier_skill(0.1, 0.0) is None
    assert brier_skill(0.1, 0.2) == pytest.approx(0.5)


def test_win_rate_skips_coin_flips() -> None:
    rate, calls = win_rate(np.array([0.7, 0.3, 0.5, 0.9]), np.array([True, True, True, False]))
    assert calls == 3
    assert rate == pytest.approx(1 / 3)


def test_bootstrap_same_seed_same_interval() -> None:
    rng = np.random.default_rng(5)
    p = rng.random(300)
    y = rng.random(300) < p
    first = bootstrap(p, y, n_resamples=200, seed=3)
    second = bootstrap(p, y, n_resamples=200, seed=3)
    assert first == second
    assert first.brier.lo <= score(p, y).brier <= first.brier.hi
    assert first.skill_vs_climatology is not None
    assert first.skill_vs_climatology.lo < first.skill_vs_climatology.hi


def test_bootstrap_baseline_equal_to_forecast_has_zero_skill() -> None:
    rng = np.random.default_rng(6)
    p = rng.random(200)
    y = rng.random(200) < p
    result = bootstrap(p, y, baseline=p.copy(), n_resamples=100, seed=0)
    assert result.skill_vs_baseline is not None
    assert result.skill_vs_baseline.lo == result.skill_vs_baseline.hi == 0.0


def test_bootstrap_chunked_matches_unchunked(monkeypatch: pytest.MonkeyPatch) -> None:
    import shared.evaluation.intervals as module

    rng = np.random.default_rng(8)
    p = rng.random(100)
    y = rng.random(100) < p
    whole = bootstrap(p, y, n_resamples=50, seed=1)
    monkeypatch.setattr(module, "_MAX_DRAWS_PER_CHUNK", 250)
    assert bootstrap(p, y, n_resamples=50, seed=1) == whole
