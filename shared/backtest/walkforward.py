"""Walk-forward: parameters fitted in-sample, judged on the out-of-sample window after it.

The period is cut into folds: an in-sample window (rolling: the last ``train_days``;
anchored: everything from the start) followed by an out-of-sample window of ``test_days``.
In each fold, on in-sample data only:

1. optionally, a tuner picks the bots' parameters (``tune_fold``; see
   :mod:`shared.backtest.tuning`);
2. the divergence bot's logistic ``p_up`` coefficients (``logistic_intercept``,
   ``logistic_slope`` in ``config/bots/divergence.yaml``) are fitted to the in-sample
   triggers' resolved outcomes (maximum a posteriori, with the configured values as the
   prior's mean, so a fold with few triggers stays near the prior);

then the out-of-sample window is walked with those parameters and scored. The folds' out-of-
sample windows do not overlap; stitched, they are the report, with circular block-bootstrap
intervals (:mod:`shared.backtest.skill`). Decisions are the pipeline's walk
(:func:`shared.pipeline.walk`) over a period fetched once per symbol.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from shared.backtest.calls import Call, Overrides, Segment, job_with, walk_segments
from shared.backtest.skill import block_bootstrap, score_segments
from shared.bots.base import search_space
from shared.bots.divergence import DivergenceConfig
from shared.contracts import format_utc
from shared.errors import ConfigError
from shared.pipeline import Period, Sources, SymbolJob, fetch_period

__all__ = [
    "HONESTY",
    "Fold",
    "LogisticFit",
    "WalkForwardResult",
    "fetch_periods",
    "fit_logistic",
    "folds_of",
    "report",
    "run_walk_forward",
]

HONESTY = ("Walk-forward on past or synthetic data: a measurement of the past, not a "
           "prediction of live results. Synthetic data carries a planted relation "
           "(shared/providers/synthetic.py).")

MAX_HORIZON_HOURS = int(search_space(DivergenceConfig)["horizon_hours"].high)
PRIOR_SD = 1.0  # the logistic prior's spread around the configured coefficients


@dataclass(frozen=True)
class Fold:
    index: int
    train_start: datetime
    train_end: datetime  # = test_start
    test_end: datetime

    def to_json(self) -> dict[str, Any]:
        return {"fold": self.index, "in_sample": [format_utc(self.train_start),
                                                   format_utc(self.train_end)],
                "out_of_sample": [format_utc(self.train_end), format_utc(self.test_end)]}


def folds_of(start: datetime, end: datetime, *, train_days: float, test_days: float,
             anchored: bool) -> list[Fold]:
    """Consecutive out-of-sample windows of ``test_days`` after a first in-sample window of
    ``train_days``; the last one is cut at ``end``. ConfigError when not even one fits."""
    train, test = timedelta(days=train_days), timedelta(days=test_days)
    if train <= timedelta(0) or test <= timedelta(0):
        raise ConfigError("walk-forward windows must be positive")
    folds: list[Fold] = []
    test_start = start + train
    while test_start < end:
        folds.append(Fold(len(folds) + 1, start if anchored else test_start - train,
                          test_start, min(test_start + test, end)))
        test_start += test
    if not folds:
        raise ConfigError(f"the period {format_utc(start)} .. {format_utc(end)} is shorter "
                          f"than one in-sample window ({train_days:g} days) plus some "
                          "out-of-sample time")
    return folds


@dataclass(frozen=True)
class LogisticFit:
    intercept: float
    slope: float
    samples: int
    prior: tuple[float, float]

    def to_json(self) -> dict[str, Any]:
        return {"logistic_intercept": self.intercept, "logistic_slope": self.slope,
                "fitted_on_resolved_in_sample_triggers": self.samples,
                "prior_mean": list(self.prior), "prior_sd": PRIOR_SD}


def fit_logistic(calls: Sequence[Call], prior: tuple[float, float]) -> LogisticFit:
    """MAP fit of ``P(up) = sigmoid(a + b * divergence)`` on resolved calls, with a
    Gaussian prior (mean ``prior``, sd :data:`PRIOR_SD`), clipped to the config bounds.
    Newton's method: the penalised log-likelihood is strictly concave."""
    rows = [(c.divergence, 1.0 if c.up else 0.0) for c in calls if c.up is not None]
    theta0 = np.array(prior, dtype=np.float64)
    theta = theta0.copy()
    if rows:
        x = np.array([[1.0, d] for d, _ in rows])
        y = np.array([v for _, v in rows])
        ridge = np.eye(2) / PRIOR_SD**2
        for _ in range(50):
            p = 1.0 / (1.0 + np.exp(-(x @ theta)))
            grad = x.T @ (p - y) + ridge @ (theta - theta0)
            hess = (x * (p * (1 - p))[:, None]).T @ x + ridge
            delta = np.linalg.solve(hess, grad)
            theta = theta - delta
            if float(np.abs(delta).max()) < 1e-10:
                break
    space = search_space(DivergenceConfig)
    lo_a, hi_a = space["logistic_intercept"].low, space["logistic_intercept"].high
    lo_b, hi_b = space["logistic_slope"].low, space["logistic_slope"].high
    return LogisticFit(intercept=float(min(max(theta[0], lo_a), hi_a)),
                       slope=float(min(max(theta[1], lo_b), hi_b)),
                       samples=len(rows), prior=(float(prior[0]), float(prior[1])))


TuneFold = Callable[[Sequence[SymbolJob], Sequence[Period], Fold], dict[str, dict[str, float]]]
"""In-sample tuner of one fold: returns the overrides to use in it."""


@dataclass
class WalkForwardResult:
    symbols: tuple[str, ...]
    start: datetime
    end: datetime
    folds: list[dict[str, Any]] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)


def fetch_periods(jobs: Sequence[SymbolJob], start: datetime, end: datetime,
                  sources: Sources) -> list[Period]:
    """Each symbol's period, fetched once, with bars to ``end`` plus the longest horizon
    the search space allows (to resolve calls, never to decide)."""
    return [fetch_period(job, start, end, sources,
                         bars_until=end + timedelta(hours=MAX_HORIZON_HOURS))
            for job in jobs]


def run_walk_forward(jobs: Sequence[SymbolJob], periods: Sequence[Period], folds: Sequence[Fold],
                     *, base: Overrides | None = None,
                     tune_fold: TuneFold | None = None) -> WalkForwardResult:
    """Run every fold (see the module docstring) and keep its out-of-sample segments."""
    result = WalkForwardResult(tuple(j.symbol for j in jobs), folds[0].train_start,
                               folds[-1].test_end)
    for fold in folds:
        overrides = _merge(base or {}, tune_fold(jobs, periods, fold) if tune_fold else {})
        tuned = [job_with(job, overrides) for job in jobs]
        in_sample = [seg for job, period in zip(tuned, periods, strict=True)
                     for seg in walk_segments(job, period, [fold.train_start, fold.train_end],
                                              resolve_by=fold.train_end)]
        divergence = tuned[0].engine.bots.divergence
        fit = fit_logistic([c for s in in_sample for c in s.calls],
                           (divergence.logistic_intercept, divergence.logistic_slope))
        fitted = _merge(overrides, {"divergence": {"logistic_intercept": fit.intercept,
                                                   "logistic_slope": fit.slope}})
        out = [seg for job, period in zip(jobs, periods, strict=True)
               for seg in walk_segments(job_with(job, fitted), period,
                                        [fold.train_end, fold.test_end])]
        result.segments.extend(out)
        scores = score_segments(out)
        result.folds.append(fold.to_json() | {
            "params": {bot: dict(sorted(p.items())) for bot, p in sorted(fitted.items())},
            "logistic_fit": fit.to_json(),
            "in_sample_triggers": sum(len(s.calls) for s in in_sample),
            "out_of_sample": {k: scores.to_json()[k] for k in
                              ("triggers", "resolved", "hits", "hit_rate", "base_rate")},
        })
    return result


def report(result: WalkForwardResult, *, block_hours: int | None, resamples: int, seed: int,
           poll_hours: int) -> dict[str, Any]:
    """The stitched out-of-sample report (the interface ``tb backtest walk-forward`` prints).
    ``block_hours`` None: twice the longest horizon walked."""
    horizon = max((s.horizon_hours for s in result.segments), default=0)
    block_hours = block_hours if block_hours is not None else max(1, 2 * horizon)
    if block_hours < horizon:
        raise ConfigError(f"bootstrap blocks of {block_hours} h are shorter than the "
                          f"{horizon} h horizon: overlapping outcomes would look independent")
    scores = score_segments(result.segments)
    intervals = block_bootstrap(result.segments, block_polls=math.ceil(block_hours / poll_hours),
                                resamples=resamples, seed=seed)
    return {
        "symbols": list(result.symbols),
        "start": format_utc(result.start), "end": format_utc(result.end),
        "horizon_hours": horizon,
        "oos_triggers": scores.triggers,
        "oos_resolved": scores.resolved,
        "oos_hits": scores.hits,
        "oos_hit_rate": scores.hit_rate,
        "oos_hit_rate_interval": intervals["hit_rate"],
        "oos_base_rate": scores.base_rate,
        "oos_base_rate_interval": intervals["base_rate"],
        "oos_base_samples": scores.base_samples,
        "oos_baseline_hit_rate": scores.baseline_hit_rate,
        "oos_hit_rate_minus_baseline_interval": intervals["hit_rate_minus_baseline"],
        "oos_z": scores.z,
        "oos_brier": scores.brier,
        "oos_brier_interval": intervals["brier"],
        "oos_log_loss": scores.log_loss,
        "oos_log_loss_interval": intervals["log_loss"],
        "oos_sized_return": scores.sized_return,
        "bootstrap": {k: intervals[k] for k in
                      ("method", "block_polls", "resamples", "seed", "level", "polls")},
        "windows": len(result.folds),
        "folds": result.folds,
        "note": HONESTY,
    }


def _merge(a: Overrides, b: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    out = {k: dict(v) for k, v in a.items()}
    for bot, params in b.items():
        out.setdefault(bot, {}).update(params)
    return out
