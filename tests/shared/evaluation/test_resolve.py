"""Resolving claims: price forecasts from bars, market claims from Gamma resolution records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from shared.contracts import AssetClass
from shared.evaluation.records import (
    OBSERVATION_COLUMNS,
    MarketClaim,
    MarketResolution,
    Observation,
    ObservationStatus,
    PriceClaim,
    Unresolved,
    UnresolvedReason,
    asset_class_for,
    observation_from_row,
    observation_row,
)
from shared.evaluation.resolve import (
    BarIndex,
    ResolutionPolicy,
    climatology,
    resolve_market,
    resolve_price,
)
from tests.helpers.eval_fixtures import T0, make_forecast, random_walk_bars

START = T0 - timedelta(days=40)
BARS = random_walk_bars(START, 24 * 50, seed=1)
INDEX = BarIndex.from_frame(BARS)
POLICY = ResolutionPolicy()


def _claim(as_of: datetime, *, horizon_hours: int = 24, symbol: str = "BTC-USD") -> PriceClaim:
    forecast = make_forecast(symbol, as_of, 0.6, horizon_hours=horizon_hours)
    return PriceClaim(
        source="tracer_run", run_id="0123456789abcdef", feed="frames", forecast=forecast
    )


def _close_at(t: datetime) -> float:
    return float(BARS.loc[BARS["end"] == t, "close"].iloc[0])


def test_resolve_price_due_claim_records_bars_and_outcome() -> None:
    claim = _claim(T0)
    result = resolve_price(claim, INDEX, resolved_at=T0 + timedelta(days=2), policy=POLICY)
    assert isinstance(result, Observation)
    assert result.as_of_bar_end == T0 and result.target_bar_end == T0 + timedelta(hours=24)
    assert result.as_of_close == _close_at(T0)
    assert result.target_close == _close_at(T0 + timedelta(hours=24))
    assert result.y == int(result.target_close > result.as_of_close)
    assert result.status is ObservationStatus.RESOLVED
    assert result.forecast_id == "0123456789abcdef:BTC-USD:2024-01-01T00:00:00Z:24h"
    assert result.asset_class == "crypto"


def test_resolve_price_mid_bar_as_of_uses_last_closed_bar() -> None:
    as_of = T0 + timedelta(minutes=30)
    result = resolve_price(_claim(as_of), INDEX, resolved_at=T0 + timedelta(days=2), policy=POLICY)
    assert isinstance(result, Observation)
    assert result.as_of_bar_end == T0
    assert result.target_bar_end == T0 + timedelta(hours=24)


def test_resolve_price_newest_bar_before_target_is_stale() -> None:
    frame = BARS[BARS["end"] <= T0 + timedelta(hours=10)]
    result = resolve_price(
        _claim(T0), BarIndex.from_frame(frame), resolved_at=T0 + timedelta(days=2), policy=POLICY
    )
    assert isinstance(result, Unresolved) and result.reason is UnresolvedReason.STALE_DATA


def test_resolve_price_gap_at_target_is_missing_bar() -> None:
    target = T0 + timedelta(hours=24)
    frame = BARS[(BARS["end"] <= target - timedelta(hours=3)) | (BARS["end"] > target)]
    result = resolve_price(
        _claim(T0), BarIndex.from_frame(frame), resolved_at=T0 + timedelta(days=2), policy=POLICY
    )
    assert isinstance(result, Unresolved)
    assert result.reason is UnresolvedReason.MISSING_BAR_AT_TARGET


def test_resolve_price_gap_at_as_of_is_missing_bar() -> None:
    frame = BARS[(BARS["end"] <= T0 - timedelta(hours=5)) | (BARS["end"] > T0)]
    result = resolve_price(
        _claim(T0), BarIndex.from_frame(frame), resolved_at=T0 + timedelta(days=2), policy=POLICY
    )
    assert isinstance(result, Unresolved)
    assert result.reason is UnresolvedReason.MISSING_BAR_AT_AS_OF


def test_resolve_price_no_bars_is_counted() -> None:
    result = resolve_price(_claim(T0), BarIndex.empty(), resolved_at=T0, policy=POLICY)
    assert isinstance(result, Unresolved) and result.reason is UnresolvedReason.NO_BARS


def test_resolve_price_equity_weekend_gap_tolerated() -> None:
    # SPY forecast on a Saturday: the last close is Friday's, four days of age allowed.
    saturday = datetime(2024, 1, 6, 12, tzinfo=UTC)
    frame = BARS[(BARS["end"] <= saturday - timedelta(hours=30)) | (BARS["end"] > saturday)]
    result = resolve_price(
        _claim(saturday, symbol="SPY"),
        BarIndex.from_frame(frame),
        resolved_at=saturday + timedelta(days=3),
        policy=POLICY,
    )
    assert isinstance(result, Observation)
    assert result.as_of_bar_end == saturday - timedelta(hours=30)


def test_climatology_uses_only_pairs_closed_by_as_of() -> None:
    horizon = timedelta(hours=24)
    rate, n_pairs = climatology(INDEX, T0, horizon, POLICY)
    window = BARS[(BARS["end"] >= T0 - timedelta(days=30)) & (BARS["end"] <= T0 - horizon)]
    closes = BARS.set_index("end")["close"]
    ups = [closes[t + horizon] > closes[t] for t in window["end"]]
    assert n_pairs == len(ups)
    assert rate == pytest.approx(float(np.mean(ups)))


def test_climatology_future_bars_changed_value_unchanged() -> None:
    changed = BARS.copy()
    after = changed["end"] > T0
    changed.loc[after, "close"] = changed.loc[after, "close"] * 3.0
    horizon = timedelta(hours=24)
    assert climatology(BarIndex.from_frame(changed), T0, horizon, POLICY) == climatology(
        INDEX, T0, horizon, POLICY
    )


def test_climatology_short_history_falls_back_then_none() -> None:
    policy = ResolutionPolicy(climatology_lookback=timedelta(hours=30), climatology_min_pairs=24)
    rate, n_pairs = climatology(INDEX, T0, timedelta(hours=24), policy)
    assert rate is not None and n_pairs > 24  # fell back to all earlier history
    early = START + timedelta(hours=10)
    assert climatology(INDEX, early, timedelta(hours=24), policy) == (None, 0)


def test_observation_row_round_trips() -> None:
    result = resolve_price(_claim(T0), INDEX, resolved_at=T0 + timedelta(days=2), policy=POLICY)
    assert isinstance(result, Observation)
    row = dict(zip(OBSERVATION_COLUMNS, observation_row(result), strict=True))
    assert observation_from_row(row) == result


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        ("BTC-USD", AssetClass.CRYPTO),
        ("ETH/USD", AssetClass.CRYPTO),
        ("BTCUSD", AssetClass.CRYPTO),
        ("SPY", AssetClass.ETF),
        ("AAPL", AssetClass.US_EQUITY),
    ],
)
def test_asset_class_for_symbol_classified(symbol: str, expected: AssetClass) -> None:
    assert asset_class_for(symbol) is expected


CLOSE = datetime(2026, 4, 25, 12, tzinfo=UTC)


def _market_claim(**changes: object) -> MarketClaim:
    fields: dict[str, object] = {
        "market_id": "123",
        "run_id": "0123456789abcdef",
        "decided_at": CLOSE - timedelta(days=2),
        "p": 0.7,
        "market_p": 0.6,
        "market_price_at": CLOSE - timedelta(days=2),
        "bot": "compare",
        "bot_version": "1",
    }
    fields.update(changes)
    return MarketClaim(**fields)  # type: ignore[arg-type]


def _resolution(
    prices: str, *, closed: bool = True, outcomes: str = '["Yes", "No"]'
) -> MarketResolution:
    return MarketResolution("123", closed, outcomes, prices, CLOSE)


@pytest.mark.parametrize(
    ("prices", "y"), [('["1", "0"]', 1), ('["0", "1"]', 0), ('["1.0", "0.0"]', 1)]
)
def test_resolve_market_settled_gives_outcome_and_market_baseline(prices: str, y: int) -> None:
    result = resolve_market(_market_claim(), _resolution(prices), resolved_at=CLOSE)
    assert isinstance(result, Observation)
    assert result.y == y and result.baseline_p == 0.6 and result.baseline_kind == "market_price"


def test_resolve_market_half_half_is_voided_and_kept() -> None:
    result = resolve_market(_market_claim(), _resolution('["0.5", "0.5"]'), resolved_at=CLOSE)
    assert isinstance(result, Observation)
    assert result.status is ObservationStatus.VOIDED and result.y is None


@pytest.mark.parametrize(
    ("resolution", "reason"),
    [
        (None, UnresolvedReason.NO_RESOLUTION_RECORD),
        (_resolution('["0.97", "0.03"]', closed=False), UnresolvedReason.MARKET_OPEN),
        (_resolution('["0.97", "0.03"]'), UnresolvedReason.AMBIGUOUS_OUTCOME),
        (_resolution("not json"), UnresolvedReason.BAD_RESOLUTION_RECORD),
        (_resolution('["1", "0", "0"]'), UnresolvedReason.BAD_RESOLUTION_RECORD),
    ],
)
def test_resolve_market_unsettled_counted_with_reason(
    resolution: MarketResolution | None, reason: UnresolvedReason
) -> None:
    result = resolve_market(_market_claim(), resolution, resolved_at=CLOSE)
    assert isinstance(result, Unresolved) and result.reason is reason


def test_resolve_market_price_read_after_close_rejected() -> None:
    claim = _market_claim(market_price_at=CLOSE)
    result = resolve_market(claim, _resolution('["1", "0"]'), resolved_at=CLOSE)
    assert isinstance(result, Unresolved)
    assert result.reason is UnresolvedReason.PRICE_AFTER_CLOSE


def test_bar_index_unsorted_frame_sorted() -> None:
    shuffled = BARS.sample(frac=1.0, random_state=0)
    index = BarIndex.from_frame(shuffled)
    assert np.all(np.diff(index.end_ns) > 0)
    assert isinstance(shuffled, pd.DataFrame)
