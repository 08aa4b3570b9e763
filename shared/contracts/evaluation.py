"""The evaluation snapshot artifact (``eval_runs/<kind>/<timestamp>/metrics.json``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt

from shared.contracts.base import Contract, UtcDatetime

__all__ = [
    "BootstrapSettings",
    "CalibrationBin",
    "EvalSnapshot",
    "FeedCohorts",
    "MetricsSection",
    "ObservationCounts",
]

Interval = tuple[float | None, float | None]
# An interval is null when its statistic is undefined (outcomes that never vary).
OptionalInterval = Interval | None


class CalibrationBin(Contract):
    lo: float = Field(ge=0.0, le=1.0)
    hi: float = Field(ge=0.0, le=1.0)
    count: NonNegativeInt
    mean_p: float | None
    freq_y: float | None


class MetricsSection(Contract):
    """Scores of one set of resolved forecasts (absent figures when ``n`` is 0)."""

    n: NonNegativeInt
    positives: NonNegativeInt | None = None
    brier: float | None = None
    log_loss: float | None = None
    base_rate: float | None = None
    mean_p: float | None = None
    win_rate: float | None = None
    n_calls: NonNegativeInt | None = None
    meaningful: bool | None = None
    brier_climatology: float | None = None
    brier_skill_vs_climatology: float | None = None
    brier_market: float | None = None
    brier_skill_vs_market: float | None = None
    excluded_no_climatology: NonNegativeInt | None = None
    calibration: tuple[CalibrationBin, ...] = ()
    ci: dict[str, OptionalInterval] = Field(default_factory=dict)
    note: str | None = None


class BootstrapSettings(Contract):
    level: float = Field(gt=0.0, lt=1.0)
    n_resamples: NonNegativeInt
    seed: int


class ObservationCounts(Contract):
    resolved: NonNegativeInt
    voided: NonNegativeInt
    unresolved: NonNegativeInt
    unresolved_reasons: dict[str, NonNegativeInt]


class FeedCohorts(Contract):
    """One feed's forecasts, never pooled with another feed's, split by what the run did:
    ``calls`` (a trigger took effect), ``suppressed`` (proposed, held by a gate) and
    ``no_call`` (no trigger, a failed run, or a row recorded before outcomes were kept)."""

    calls: MetricsSection
    suppressed: MetricsSection
    no_call: MetricsSection
    verdict: str = Field(min_length=1, description="the calls against climatology")
    outcome_counts: dict[str, NonNegativeInt]


class EvalSnapshot(Contract):
    schema_version: Literal["1"] = "1"
    type: Literal["eval_snapshot"] = "eval_snapshot"
    kind: str = Field(min_length=1)
    as_of: UtcDatetime
    observations: ObservationCounts
    price: MetricsSection
    last_7d: MetricsSection | None = None
    polymarket: MetricsSection | None = None
    verdict: str = Field(min_length=1)
    verdict_polymarket: str | None = None
    feeds: tuple[str, ...]
    bootstrap: BootstrapSettings
    definitions: dict[str, str]
    meaningful_min_n: NonNegativeInt
    data_warning: str | None = None
    headline_feed: str | None = Field(
        default=None, description="the feed whose calls ``price`` and ``verdict`` score")
    by_feed: dict[str, FeedCohorts] | None = None
