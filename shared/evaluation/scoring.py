"""Proper scores for binary forecasts: Brier, log-loss, calibration bins, base rate.

Definitions (pinned; each equals scikit-learn's to 1e-12 on the same data):

* Brier score: ``mean((p - y) ** 2)`` over binary outcomes ``y`` in {0, 1}
  (``sklearn.metrics.brier_score_loss``).
* Log-loss: ``-mean(y * ln(clip(p)) + (1 - y) * ln(clip(1 - p)))``, clip to ``[1e-15, 1 - 1e-15]``.
  scikit-learn >= 1.5 clips at the float64 machine epsilon instead; the two agree whenever
  every ``p`` lies in ``[1e-15, 1 - 1e-15]``.
* Calibration: ``n_bins`` equal-width bins on [0, 1] with scikit-learn's uniform binning,
  ``np.searchsorted(np.linspace(0, 1, n_bins + 1)[1:-1], p)`` (side ``left``: a ``p`` exactly
  on an inner edge falls in the lower bin). Every bin is listed; an empty bin has
  ``mean_p = freq_y = None`` (``calibration_curve`` drops it).

The whole set is computed in a handful of vectorised passes (one ``log`` per term, bin ids
from a multiply plus an exact edge correction instead of a binary search, one bincount for
counts and positives together), which is what makes 10 million forecasts cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

__all__ = [
    "LOG_LOSS_EPS",
    "N_BINS",
    "BinStats",
    "FloatArray",
    "BoolArray",
    "Scores",
    "as_forecast_arrays",
    "brier_skill",
    "calibration_bin_ids",
    "score",
    "win_rate",
]

N_BINS = 10
LOG_LOSS_EPS = 1e-15

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class BinStats:
    """One equal-width calibration bin: forecasts in (lo, hi] (the first bin includes 0).
    The artifact's form is :class:`shared.contracts.evaluation.CalibrationBin`."""

    lo: float
    hi: float
    count: int
    mean_p: float | None
    freq_y: float | None


@dataclass(frozen=True)
class Scores:
    """Every score of one set of forecasts. ``brier_climatology`` is the Brier score of
    always forecasting the sample base rate, ``base_rate * (1 - base_rate)``."""

    n: int
    positives: int
    brier: float
    log_loss: float
    base_rate: float
    mean_p: float
    brier_climatology: float
    calibration: tuple[BinStats, ...]

    @property
    def brier_skill_vs_climatology(self) -> float | None:
        """Brier skill against the sample base rate; None when the outcomes never vary."""
        return brier_skill(self.brier, self.brier_climatology)


def brier_skill(brier: float, brier_reference: float) -> float | None:
    """Return ``1 - brier / brier_reference``, or None when the reference scores 0."""
    if brier_reference <= 0.0:
        return None
    return 1.0 - brier / brier_reference


def as_forecast_arrays(p: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, BoolArray]:
    """Validate forecasts and outcomes; return ``p`` as float64 and ``y`` as bool.

    Raises ValueError when lengths differ, the set is empty, a ``p`` is outside [0, 1] or
    not finite, or a ``y`` is not exactly 0 or 1. Nothing is coerced.
    """
    p_arr = np.asarray(p, dtype=np.float64)
    y_arr = np.asarray(y)
    if p_arr.ndim != 1 or y_arr.ndim != 1 or p_arr.shape != y_arr.shape:
        raise ValueError("p and y must be 1-d arrays of the same length")
    if p_arr.size == 0:
        raise ValueError("no forecasts to score")
    # min/max also reject NaN: every comparison with NaN is False.
    if not (p_arr.min() >= 0.0 and p_arr.max() <= 1.0):
        raise ValueError("every p must be a finite probability in [0, 1]")
    return p_arr, _as_binary(y_arr)


# Booleans pass through; 1-byte integers are checked as bytes and viewed (no copy).
def _as_binary(y: npt.NDArray[np.generic]) -> BoolArray:
    if y.dtype == np.bool_:
        return y.astype(np.bool_, copy=False)
    if y.dtype.kind in "iu" and y.dtype.itemsize == 1:
        raw = np.ascontiguousarray(y).view(np.uint8)
        if raw.max() > 1:
            raise ValueError("every y must be 0 or 1")
        return raw.view(np.bool_)
    if y.dtype.kind not in "iuf":
        raise ValueError(f"y must be numeric 0/1, got dtype {y.dtype}")
    positive: BoolArray = np.equal(y, 1)
    if not np.all(positive | (y == 0)):
        raise ValueError("every y must be 0 or 1")
    return positive


@cache
def _edge_tables(n_bins: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    below = edges[:-1].copy()
    below[0] = -np.inf
    above = edges[1:].copy()
    above[-1] = np.inf
    return edges, below, above


def calibration_bin_ids(p: FloatArray, n_bins: int = N_BINS) -> npt.NDArray[np.intp]:
    """Bin index of each forecast, identical to scikit-learn's uniform binning.

    ``floor(p * n_bins)`` is right except within an ulp or so of an edge; comparing each
    forecast with the exact ``np.linspace`` edges of its candidate bin corrects those.
    """
    edges, below, above = _edge_tables(n_bins)
    ids = np.multiply(p, n_bins).astype(np.intp)
    np.clip(ids, 0, n_bins - 1, out=ids)
    move_down = p <= below.take(ids)  # on or below the lower edge: sklearn puts it lower
    move_up = p > above.take(ids)
    ids -= move_down
    ids += move_up
    return ids


def _calibration(
    p: FloatArray, y: BoolArray, n_bins: int
) -> tuple[tuple[BinStats, ...], int]:
    edges, _, _ = _edge_tables(n_bins)
    ids = calibration_bin_ids(p, n_bins)
    ids <<= 1
    ids += y
    count_by_label = np.bincount(ids, minlength=2 * n_bins).reshape(n_bins, 2)
    ids >>= 1
    sum_p = np.bincount(ids, weights=p, minlength=n_bins)
    bins = []
    for k in range(n_bins):
        count = int(count_by_label[k].sum())
        positives = int(count_by_label[k, 1])
        bins.append(
            BinStats(
                lo=float(edges[k]),
                hi=float(edges[k + 1]),
                count=count,
                mean_p=float(sum_p[k] / count) if count else None,
                freq_y=positives / count if count else None,
            )
        )
    return tuple(bins), int(count_by_label[:, 1].sum())


# As sklearn: clip p and 1 - p separately (so p = 1 costs exactly -ln(eps)), one log each.
def _log_loss(p: FloatArray, y_float: FloatArray) -> float:
    buffer = np.clip(p, LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS)
    log_p = np.log(buffer)
    np.subtract(1.0, p, out=buffer)
    np.clip(buffer, LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS, out=buffer)
    log_not_p = np.log(buffer, out=buffer)
    # np.sum of products, never np.dot: BLAS sums in a kernel-dependent order, which would
    # make the committed metrics differ in their last bits between machines.
    total = (
        float(np.sum(y_float * log_p)) + float(log_not_p.sum())
        - float(np.sum(y_float * log_not_p))
    )
    return -total / p.size


def score(p: npt.ArrayLike, y: npt.ArrayLike, *, n_bins: int = N_BINS) -> Scores:
    """Score binary forecasts ``p`` against outcomes ``y`` (validated, never coerced).

    Example: ``score([0.8, 0.3], [1, 0]).brier == 0.065``.
    """
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    p_arr, y_arr = as_forecast_arrays(p, y)
    n = p_arr.size
    y_float = y_arr.astype(np.float64)
    diff = p_arr - y_float
    brier = float(np.sum(diff * diff)) / n  # not np.dot: see _log_loss
    calibration, positives = _calibration(p_arr, y_arr, n_bins)
    base_rate = positives / n
    return Scores(
        n=n,
        positives=positives,
        brier=brier,
        log_loss=_log_loss(p_arr, y_float),
        base_rate=base_rate,
        mean_p=float(p_arr.mean()),
        brier_climatology=base_rate * (1.0 - base_rate),
        calibration=calibration,
    )


def win_rate(p: FloatArray, y: BoolArray) -> tuple[float | None, int]:
    """Share of directional calls that came true, and how many calls there were.

    A call is ``p > 0.5`` (up/yes) or ``p < 0.5`` (down/no); ``p == 0.5`` makes no call.
    """
    calls = p != 0.5
    n_calls = int(np.count_nonzero(calls))
    if n_calls == 0:
        return None, 0
    hits = np.count_nonzero(calls & ((p > 0.5) == y))
    return hits / n_calls, n_calls
