"""The general evaluator: score any table of forecasts into one JSON-ready report.

``evaluate(table)`` returns ``n``, ``brier``, ``log_loss``, ``base_rate``,
``brier_skill_vs_climatology``, ``calibration`` (every bin, with ``lo``, ``hi``, ``count``,
``mean_p``, ``freq_y``), seeded bootstrap intervals under ``ci``, ``bad_rows``, and, when the
table has them, ``brier_skill_vs_baseline`` and per-cohort figures under ``cohorts``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from shared.errors import NoValidRowsError
from shared.evaluation.forecast_csv import ForecastTable
from shared.evaluation.intervals import DEFAULT_LEVEL, DEFAULT_RESAMPLES, bootstrap
from shared.evaluation.scoring import (
    LOG_LOSS_EPS,
    N_BINS,
    BoolArray,
    FloatArray,
    brier_skill,
    score,
    win_rate,
)

__all__ = ["MEANINGFUL_MIN_N", "NoValidRowsError", "evaluate", "figures"]

MEANINGFUL_MIN_N = 50

DEFINITIONS = {
    "brier": "mean((p - y)^2) over binary outcomes y in {0, 1}",
    "log_loss": (
        "-mean(y ln clip(p) + (1 - y) ln clip(1 - p)), "
        f"clip to [{LOG_LOSS_EPS}, 1 - {LOG_LOSS_EPS}]"
    ),
    "calibration": "equal-width bins on [0, 1], sklearn uniform binning (bin k holds (lo, hi])",
    "brier_skill": "1 - brier / brier_reference",
    "ci": "percentile bootstrap interval, rows resampled with replacement, seeded",
    "win_rate": "share of calls (p != 0.5) on the right side of 0.5",
}


def figures(
    p: FloatArray,
    y: BoolArray,
    *,
    baseline: FloatArray | None = None,
    climatology: FloatArray | None = None,
    n_bins: int = N_BINS,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """Score one group of forecasts into a JSON-ready dict.

    ``climatology`` is a per-row base rate known at forecast time; without it the sample base
    rate stands in (the caller should say so). ``baseline`` is any other per-row reference.
    """
    scores = score(p, y, n_bins=n_bins)
    y_float = y.astype(np.float64)
    if climatology is None:
        brier_clim = scores.brier_climatology
    else:
        brier_clim = float(np.mean((climatology - y_float) ** 2))
    hit_rate, n_calls = win_rate(p, y)
    intervals = bootstrap(
        p, y, climatology=climatology, baseline=baseline, n_resamples=n_resamples, seed=seed
    )
    ci: dict[str, list[float] | None] = {
        "brier": intervals.brier.as_list(),
        "brier_skill_vs_climatology": _as_list(intervals.skill_vs_climatology),
    }
    out: dict[str, Any] = {
        "n": scores.n,
        "positives": scores.positives,
        "brier": scores.brier,
        "log_loss": scores.log_loss,
        "base_rate": scores.base_rate,
        "mean_p": scores.mean_p,
        "brier_climatology": brier_clim,
        "brier_skill_vs_climatology": brier_skill(scores.brier, brier_clim),
        "win_rate": hit_rate,
        "n_calls": n_calls,
        "meaningful": scores.n >= MEANINGFUL_MIN_N,
        "calibration": [
            {"lo": b.lo, "hi": b.hi, "count": b.count, "mean_p": b.mean_p, "freq_y": b.freq_y}
            for b in scores.calibration
        ],
        "ci": ci,
    }
    if baseline is not None:
        brier_base = float(np.mean((baseline - y_float) ** 2))
        out["brier_baseline"] = brier_base
        out["brier_skill_vs_baseline"] = brier_skill(scores.brier, brier_base)
        ci["brier_skill_vs_baseline"] = _as_list(intervals.skill_vs_baseline)
    return out


def _as_list(interval: Any) -> list[float] | None:
    return None if interval is None else list(interval.as_list())


def evaluate(
    table: ForecastTable,
    *,
    n_bins: int = N_BINS,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """Score every valid row, then each cohort. Raises NoValidRowsError on zero valid rows."""
    if table.p.size == 0:
        raise NoValidRowsError(
            f"no valid rows to score ({table.rows_read} read, {len(table.bad_rows)} bad)"
        )
    report = figures(
        table.p,
        table.y,
        baseline=table.baseline,
        n_bins=n_bins,
        n_resamples=n_resamples,
        seed=seed,
    )
    notes = [
        "climatology is the sample base rate of the scored rows (only p and y are known), "
        "so brier_skill_vs_climatology is in-sample",
    ]
    if report["n"] < MEANINGFUL_MIN_N:
        notes.append(f"n < {MEANINGFUL_MIN_N}: the figures are not yet meaningful")
    report.update(
        rows_read=table.rows_read,
        n_bad=len(table.bad_rows),
        bad_rows=[{"line": row.line, "reason": row.reason} for row in table.bad_rows],
        bootstrap={"n_resamples": n_resamples, "seed": seed, "level": DEFAULT_LEVEL},
        definitions=DEFINITIONS,
        notes=notes,
        columns={
            "p": table.columns.p,
            "y": table.columns.y,
            "cohort": table.columns.cohort if table.cohort is not None else None,
            "baseline": table.columns.baseline if table.baseline is not None else None,
        },
    )
    if table.cohort is not None:
        report["cohorts"] = _cohorts(table, n_bins=n_bins, n_resamples=n_resamples, seed=seed)
    return report


def _cohorts(
    table: ForecastTable, *, n_bins: int, n_resamples: int, seed: int
) -> dict[str, dict[str, Any]]:
    assert table.cohort is not None  # narrowed by the caller
    labels = np.asarray(table.cohort, dtype=object)
    out: dict[str, dict[str, Any]] = {}
    for value in sorted(set(table.cohort)):
        rows = labels == value
        out[value] = figures(
            table.p[rows],
            table.y[rows],
            baseline=None if table.baseline is None else table.baseline[rows],
            n_bins=n_bins,
            n_resamples=n_resamples,
            seed=seed,
        )
    return out
