"""Forecast evaluation: proper scores, calibration, bootstrap intervals, resolution of claims."""

from shared.evaluation.evaluator import MEANINGFUL_MIN_N, NoValidRowsError, evaluate, figures
from shared.evaluation.forecast_csv import (
    BadRow,
    ColumnNames,
    ForecastTable,
    MissingColumnError,
    read_forecasts,
)
from shared.evaluation.intervals import (
    PercentileInterval,
    SkillIntervals,
    bootstrap,
    wilson_interval,
)
from shared.evaluation.records import (
    MarketClaim,
    MarketResolution,
    Observation,
    ObservationStatus,
    PriceClaim,
    Unresolved,
    UnresolvedReason,
)
from shared.evaluation.resolve import BarIndex, ResolutionPolicy, resolve_market, resolve_price
from shared.evaluation.scoring import (
    LOG_LOSS_EPS,
    N_BINS,
    BinStats,
    Scores,
    as_forecast_arrays,
    brier_skill,
    calibration_bin_ids,
    score,
    win_rate,
)

__all__ = [
    "LOG_LOSS_EPS",
    "MEANINGFUL_MIN_N",
    "N_BINS",
    "BadRow",
    "BarIndex",
    "BinStats",
    "ColumnNames",
    "ForecastTable",
    "MarketClaim",
    "MarketResolution",
    "MissingColumnError",
    "NoValidRowsError",
    "Observation",
    "ObservationStatus",
    "PercentileInterval",
    "PriceClaim",
    "ResolutionPolicy",
    "Scores",
    "SkillIntervals",
    "Unresolved",
    "UnresolvedReason",
    "as_forecast_arrays",
    "bootstrap",
    "brier_skill",
    "calibration_bin_ids",
    "evaluate",
    "figures",
    "read_forecasts",
    "resolve_market",
    "resolve_price",
    "score",
    "wilson_interval",
    "win_rate",
]
