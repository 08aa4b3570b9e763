"""eval_metrics core: sections, verdicts, cohorts and point-in-time filtering."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from functions.eval.metrics import build_snapshot, confidence_bucket, verdict
from shared.evaluation.records import Observation, ObservationStatus
from tests.helpers.eval_fixtures import T0


def _observation(k: int, *, p: float, y: int | None, market: bool = False,
                 feed: str = "synthetic", outcome: str = "triggered") -> Observation:
    as_of = T0 + timedelta(hours=k)
    return Observation(
        forecast_id=f"id-{market}-{feed}-{outcome}-{k}",
        source="polymarket" if market else "tracer_run",
        feed=feed,
        run_id="0123456789abcdef",
        symbol="m1" if market else ("BTC-USD" if k % 2 else "SPY"),
        asset_class="prediction_market" if market else ("crypto" if k % 2 else "etf"),
        bot="divergence",
        bot_version="1",
        direction="up" if p > 0.5 else "down",
        strength=abs(p - 0.5) * 2,
        as_of=as_of,
        horizon_hours=None if market else 24,
        target_at=as_of + timedelta(hours=24),
        p=p,
        y=y,
        status=ObservationStatus.VOIDED if y is None else ObservationStatus.RESOLVED,
        baseline_kind="market_price" if market else "climatology",
        baseline_p=0.5,
        baseline_n=None if market else 500,
        as_of_bar_end=None,
        as_of_close=None,
        target_bar_end=None,
        target_close=None,
        resolved_at=as_of + timedelta(hours=24),
        outcome_status="" if market else outcome,
    )


def _sample(n: int, *, skill: bool, market: bool = False) -> list[Observation]:
    rng = np.random.default_rng(4)
    out = []
    for k in range(n):
        y = int(rng.random() < 0.5)
        p = (0.8 if y else 0.2) if skill else float(rng.random())
        out.append(_observation(k, p=p, y=y, market=market))
    return out


AS_OF = T0 + timedelta(days=30)


def test_build_snapshot_skilled_signal_beats_climatology() -> None:
    snapshot = build_snapshot(_sample(200, skill=True), as_of=AS_OF, kind="weekly", n_resamples=200)
    assert snapshot.metrics.verdict.startswith("beats climatology: Brier skill")
    assert snapshot.trend_row["verdict"] == "beats climatology"
    assert (snapshot.metrics.data_warning or "").startswith("Results on synthetic")


def test_build_snapshot_noise_does_not_beat_climatology() -> None:
    snapshot = build_snapshot(_sample(200, skill=False), as_of=AS_OF, kind="daily", n_resamples=200)
    assert snapshot.metrics.verdict.startswith("does not beat climatology")


def test_build_snapshot_small_sample_not_yet_meaningful() -> None:
    snapshot = build_snapshot(_sample(20, skill=True), as_of=AS_OF, kind="daily", n_resamples=100)
    assert snapshot.metrics.verdict.startswith("not yet meaningful (n < 50)")
    assert all(row[4] == "False" for row in snapshot.cohort_rows)


def test_build_snapshot_only_uses_observations_resolved_by_as_of() -> None:
    observations = _sample(100, skill=True)
    cutoff = observations[49].resolved_at
    snapshot = build_snapshot(observations, as_of=cutoff, kind="daily", n_resamples=50)
    assert snapshot.metrics.price.n == 50


def test_build_snapshot_market_section_voided_counted() -> None:
    observations = [
        *_sample(60, skill=True),
        *_sample(60, skill=False, market=True),
        _observation(999, p=0.6, y=None, market=True),
    ]
    snapshot = build_snapshot(
        observations, as_of=AS_OF + timedelta(days=60), kind="daily", n_resamples=100
    )
    metrics = snapshot.metrics
    assert metrics.observations.model_dump() == {
        "resolved": 120,
        "voided": 1,
        "unresolved": 0,
        "unresolved_reasons": {},
    }
    assert metrics.polymarket is not None and metrics.polymarket.n == 60
    assert metrics.polymarket.brier_skill_vs_market is not None
    assert metrics.verdict_polymarket is not None
    assert metrics.verdict_polymarket.startswith("does not beat market")
    assert {row[0] for row in snapshot.calibration_rows} == {"price", "polymarket"}
    assert {row[0] for row in snapshot.cohort_rows} == {"price:synthetic:calls", "polymarket"}


def test_build_snapshot_no_observations_says_so() -> None:
    snapshot = build_snapshot([], as_of=AS_OF, kind="daily")
    assert snapshot.metrics.verdict.startswith("no resolved forecasts yet")
    assert snapshot.trend_row["n"] == "0"


def test_build_snapshot_rows_without_climatology_excluded_and_counted() -> None:
    observations = _sample(60, skill=True)
    observations[0] = replace(observations[0], baseline_p=None)
    snapshot = build_snapshot(observations, as_of=AS_OF, kind="daily", n_resamples=50)
    assert snapshot.metrics.price.excluded_no_climatology == 1
    assert snapshot.metrics.price.n == 59


@pytest.mark.parametrize(
    ("p", "bucket"),
    [
        (0.5, "0.0-0.2"),
        (0.55, "0.0-0.2"),
        (0.35, "0.2-0.4"),
        (0.95, "0.8-1.0"),
        (0.0, "0.8-1.0"),
        (1.0, "0.8-1.0"),
    ],
)
def test_confidence_bucket_fifths(p: float, bucket: str) -> None:
    assert confidence_bucket(p) == bucket


def test_verdict_undefined_when_outcomes_never_vary() -> None:
    section = {"n": 60, "brier_skill_vs_climatology": None, "ci": {}}
    assert verdict(section).startswith("undefined")


def test_feeds_never_pooled_and_the_headline_is_the_live_calls() -> None:
    rng = np.random.default_rng(9)
    rows = []
    for k in range(120):
        y = int(rng.random() < 0.5)
        rows.append(_observation(k, p=0.8 if y else 0.2, y=y, feed="live"))  # skilled calls
        rows.append(_observation(k, p=0.2 if y else 0.8, y=y, feed="replay"))  # anti-skilled
        rows.append(_observation(k, p=0.2 if y else 0.8, y=y, feed="live", outcome="no_trigger"))
    metrics = build_snapshot(rows, as_of=AS_OF, kind="daily", n_resamples=100).metrics
    assert metrics.headline_feed == "live" and metrics.price.n == 120
    assert metrics.verdict.startswith("beats climatology")
    assert metrics.by_feed is not None
    live, replay = metrics.by_feed["live"], metrics.by_feed["replay"]
    assert (live.calls.n, live.no_call.n, live.suppressed.n) == (120, 120, 0)
    assert live.outcome_counts == {"no_trigger": 120, "triggered": 120}
    assert replay.calls.n == 120 and replay.verdict.startswith("does not beat")
    assert live.no_call.brier is not None and live.no_call.brier > 0.5  # reported apart


def test_cohort_rows_are_per_feed_and_outcome_cohort() -> None:
    rows = [_observation(k, p=0.7, y=k % 2, feed=feed, outcome=outcome)
            for k in range(20) for feed in ("synthetic", "replay")
            for outcome in ("triggered", "suppressed", "no_trigger")]
    snapshot = build_snapshot(rows, as_of=AS_OF, kind="daily", n_resamples=50)
    sections = {row[0] for row in snapshot.cohort_rows}
    assert sections == {f"price:{feed}:{cohort}" for feed in ("replay", "synthetic")
                        for cohort in ("calls", "suppressed", "no_call")}
    assert snapshot.metrics.headline_feed == "replay"  # equal counts: by name
    assert snapshot.trend_row["feed"] == "replay" and snapshot.trend_row["n_no_call"] == "20"
