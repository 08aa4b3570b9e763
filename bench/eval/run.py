"""Benchmark scoring: ours vs a plain numpy implementation of the same formulas vs sklearn.

Run from the repository root:

    .venv/bin/python -m bench.eval.run                  # 10 million forecasts, best of 3
    .venv/bin/python -m bench.eval.run --n 1000000 --repeats 5

Every contender computes the same set on the same seeded data: Brier score, log-loss
(clipped to [1e-15, 1 - 1e-15]), base rate, Brier skill against the sample base rate, and
10 uniform calibration bins (count, mean forecast, observed frequency). Timings are the best
of ``--repeats`` runs. The table also reports the largest difference from scikit-learn.
Bootstrap intervals are not part of it (none of the contenders computes them).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss

from shared.evaluation.scoring import FloatArray, score

__all__ = ["Result", "main", "numpy_metrics", "ours_metrics", "sklearn_metrics"]

N_BINS = 10
EPS = 1e-15


@dataclass(frozen=True)
class Result:
    """The metrics one contender computed, in a comparable shape."""

    brier: float
    log_loss: float
    base_rate: float
    skill: float
    freq_y: FloatArray  # non-empty bins only, as sklearn returns them
    mean_p: FloatArray


def numpy_metrics(p: FloatArray, y: np.ndarray) -> Result:
    """The formulas written the plain way in numpy."""
    yf = y.astype(np.float64)
    brier = float(np.mean((p - yf) ** 2))
    q = np.clip(p, EPS, 1 - EPS)
    q0 = np.clip(1 - p, EPS, 1 - EPS)
    ll = float(-np.mean(yf * np.log(q) + (1 - yf) * np.log(q0)))
    base = float(yf.mean())
    skill = 1.0 - brier / float(np.mean((base - yf) ** 2))
    ids = np.searchsorted(np.linspace(0.0, 1.0, N_BINS + 1)[1:-1], p)
    count = np.bincount(ids, minlength=N_BINS)
    sum_p = np.bincount(ids, weights=p, minlength=N_BINS)
    sum_y = np.bincount(ids, weights=yf, minlength=N_BINS)
    keep = count > 0
    return Result(brier, ll, base, skill, sum_y[keep] / count[keep], sum_p[keep] / count[keep])


def sklearn_metrics(p: FloatArray, y: np.ndarray) -> Result:
    """scikit-learn's functions (its log-loss clips at float64 eps; equal inside the range)."""
    brier = float(brier_score_loss(y, p))
    ll = float(log_loss(y, p))
    base = float(np.mean(y))
    skill = 1.0 - brier / float(brier_score_loss(y, np.full(p.size, base)))
    prob_true, prob_pred = calibration_curve(y, p, n_bins=N_BINS, strategy="uniform")
    return Result(brier, ll, base, skill, prob_true, prob_pred)


def ours_metrics(p: FloatArray, y: np.ndarray) -> Result:
    """shared.evaluation.score, input validation included."""
    scores = score(p, y, n_bins=N_BINS)
    filled = [b for b in scores.calibration if b.count]
    skill = scores.brier_skill_vs_climatology
    return Result(
        scores.brier,
        scores.log_loss,
        scores.base_rate,
        float("nan") if skill is None else skill,
        np.array([b.freq_y for b in filled], dtype=np.float64),
        np.array([b.mean_p for b in filled], dtype=np.float64),
    )


def _best_of(
    fn: Callable[[FloatArray, np.ndarray], Result], p: FloatArray, y: np.ndarray, repeats: int
) -> tuple[float, Result]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(p, y)
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def _max_diff(a: Result, b: Result) -> float:
    scalars = [
        abs(a.brier - b.brier),
        abs(a.log_loss - b.log_loss),
        abs(a.base_rate - b.base_rate),
        abs(a.skill - b.skill),
    ]
    arrays = [
        float(np.max(np.abs(a.freq_y - b.freq_y))),
        float(np.max(np.abs(a.mean_p - b.mean_p))),
    ]
    return max(scalars + arrays)


def main(argv: Sequence[str] | None = None) -> int:
    """Time the three contenders and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="forecasts to score")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    p = rng.random(args.n)
    y = (rng.random(args.n) < p).astype(np.int8)
    contenders = [
        ("ours (shared.evaluation.score)", ours_metrics),
        ("plain numpy", numpy_metrics),
        ("scikit-learn", sklearn_metrics),
    ]
    timings = {name: _best_of(fn, p, y, args.repeats) for name, fn in contenders}
    numpy_secs = timings["plain numpy"][0]
    reference = timings["scikit-learn"][1]
    out = sys.stdout
    out.write(f"n = {args.n:,} forecasts, seed {args.seed}, best of {args.repeats}\n\n")
    out.write("| implementation | seconds | x numpy | max abs diff vs sklearn |\n")
    out.write("| --- | ---: | ---: | ---: |\n")
    for name, (secs, result) in timings.items():
        out.write(
            f"| {name} | {secs:.3f} | {secs / numpy_secs:.2f} | "
            f"{_max_diff(result, reference):.1e} |\n"
        )
    ours = timings["ours (shared.evaluation.score)"][0]
    ok = ours <= 1.5 * numpy_secs and ours < timings["scikit-learn"][0]
    out.write(f"\ntarget (<= 1.5x numpy and faster than sklearn): {'met' if ok else 'MISSED'}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
