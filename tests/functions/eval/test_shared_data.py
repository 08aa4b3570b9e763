"""The evaluator on real resolved forecasts (ForecastBench) and real Gamma resolutions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss

from functions.cli.eval import group
from shared.evaluation import score
from shared.evaluation.records import (
    MarketClaim,
    MarketResolution,
    Observation,
    Unresolved,
    UnresolvedReason,
    parse_utc,
)
from shared.evaluation.resolve import resolve_market
from tests.helpers.data import data_file

pytestmark = pytest.mark.shared_data

FORECASTBENCH = "forecastbench-prediction-markets/market_questions_resolved.csv"
GAMMA = "polymarket-gamma-resolved-snapshot-2026-04/resolved_markets.csv"


@pytest.fixture(scope="module")
def forecastbench_report() -> dict[str, Any]:
    path = data_file(FORECASTBENCH)
    result = CliRunner().invoke(
        group,
        [
            "metrics",
            "--forecasts",
            str(path),
            "--p-column",
            "freeze_value",
            "--y-column",
            "resolved_to",
            "--cohort-column",
            "source",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.output)
    return parsed


def _assert_same_as_sklearn(figures: dict[str, Any], p: np.ndarray, y: np.ndarray) -> None:
    assert figures["n"] == p.size
    assert abs(figures["brier"] - brier_score_loss(y, p)) <= 1e-12
    assert abs(figures["log_loss"] - log_loss(y, p)) <= 1e-12
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
    filled = [b for b in figures["calibration"] if b["count"]]
    np.testing.assert_allclose([b["freq_y"] for b in filled], prob_true, rtol=0, atol=1e-12)
    np.testing.assert_allclose([b["mean_p"] for b in filled], prob_pred, rtol=0, atol=1e-12)


def test_forecastbench_all_rows_match_sklearn(forecastbench_report: dict[str, Any]) -> None:
    frame = pd.read_csv(data_file(FORECASTBENCH))
    assert forecastbench_report["bad_rows"] == []
    _assert_same_as_sklearn(
        forecastbench_report,
        frame["freeze_value"].to_numpy(),
        frame["resolved_to"].to_numpy().astype(int),
    )


@pytest.mark.parametrize(
    ("source", "brier", "log_loss_ref", "base_rate"),
    [
        ("polymarket", 0.0837, 0.268, 0.267),
        ("manifold", 0.0870, 0.287, 0.357),
        ("metaculus", 0.1398, 0.436, 0.295),
        ("infer", 0.0788, 0.252, 0.152),
    ],
)
def test_forecastbench_per_source_matches_sklearn_and_reference(
    forecastbench_report: dict[str, Any],
    source: str,
    brier: float,
    log_loss_ref: float,
    base_rate: float,
) -> None:
    frame = pd.read_csv(data_file(FORECASTBENCH))
    rows = frame[frame["source"] == source]
    figures = forecastbench_report["cohorts"][source]
    _assert_same_as_sklearn(
        figures, rows["freeze_value"].to_numpy(), rows["resolved_to"].to_numpy().astype(int)
    )
    # The reference numbers SOURCE.md reports, at the precision it reports them.
    assert figures["brier"] == pytest.approx(brier, abs=5e-5)
    assert figures["log_loss"] == pytest.approx(log_loss_ref, abs=1e-3)
    assert figures["base_rate"] == pytest.approx(base_rate, abs=5e-4)
    assert figures["meaningful"] is True


def _gamma_rows() -> pd.DataFrame:
    return pd.read_csv(data_file(GAMMA))


def _resolution(row: pd.Series) -> MarketResolution:
    prices = '["1", "0"]' if row["yes_resolved"] == 1 else '["0", "1"]'
    return MarketResolution(
        market_id=str(row["market_id"]),
        closed=True,
        outcomes='["Yes", "No"]',
        outcome_prices=prices,
        closed_time=parse_utc(row["closed_time"]),
    )


def _claim(row: pd.Series, market_p: float, price_at_close: bool) -> MarketClaim:
    closed = parse_utc(row["closed_time"])
    read_at = closed if price_at_close else closed - timedelta(days=1)
    return MarketClaim(
        market_id=str(row["market_id"]),
        run_id="0123456789abcdef",
        decided_at=read_at - timedelta(hours=1) if not price_at_close else read_at,
        p=0.5,
        market_p=market_p,
        market_price_at=read_at,
        bot="polymarket_compare",
        bot_version="1",
    )


def test_gamma_resolutions_give_the_recorded_outcome() -> None:
    rows = _gamma_rows()
    # The pre-resolution proxy from SOURCE.md: the price about a day earlier.
    proxy = rows["last_trade_price"] - rows["one_day_price_change"]
    inside = rows[(proxy > 0) & (proxy < 1)]
    observations = [
        resolve_market(
            _claim(row, float(p), price_at_close=False),
            _resolution(row),
            resolved_at=parse_utc("2026-04-27T00:00:00Z"),
        )
        for (_, row), p in zip(inside.iterrows(), proxy[inside.index], strict=True)
    ]
    assert all(isinstance(item, Observation) for item in observations)
    y = np.array([item.y for item in observations if isinstance(item, Observation)])
    np.testing.assert_array_equal(y, inside["yes_resolved"].to_numpy())
    market = np.array([item.baseline_p for item in observations if isinstance(item, Observation)])
    assert len(observations) == 4368
    assert score(market, y).brier == pytest.approx(0.112, abs=5e-4)


def test_gamma_last_trade_price_rejected_as_leaking_the_label() -> None:
    rows = _gamma_rows().head(200)
    results = [
        resolve_market(
            _claim(row, float(row["last_trade_price"]), price_at_close=True),
            _resolution(row),
            resolved_at=parse_utc("2026-04-27T00:00:00Z"),
        )
        for _, row in rows.iterrows()
    ]
    assert all(
        isinstance(item, Unresolved) and item.reason is UnresolvedReason.PRICE_AFTER_CLOSE
        for item in results
    )
