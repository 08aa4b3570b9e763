"""Seeded bootstrap confidence intervals for the Brier score and Brier skill scores, and the
Wilson score interval of a hit rate.

Each resample draws ``n`` rows with replacement (one index draw per resample, shared by the
forecast and its reference, so skill intervals are paired). The interval is the percentile
interval of the resampled statistic. Same seed, same data: the same interval, bit for bit.
Cost is ``O(n_resamples * n)``; resamples are processed in chunks to bound memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from shared.evaluation.scoring import BoolArray, FloatArray

__all__ = [
    "DEFAULT_LEVEL",
    "DEFAULT_RESAMPLES",
    "PercentileInterval",
    "SkillIntervals",
    "bootstrap",
    "wilson_interval",
]

DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95
_MAX_DRAWS_PER_CHUNK = 4_000_000


@dataclass(frozen=True)
class PercentileInterval:
    """A two-sided percentile interval at ``level``."""

    lo: float
    hi: float
    level: float

    def as_list(self) -> list[float]:
        """Return ``[lo, hi]`` for JSON."""
        return [self.lo, self.hi]


@dataclass(frozen=True)
class SkillIntervals:
    """Intervals for the Brier score and the skill against each reference that was given."""

    brier: PercentileInterval
    skill_vs_climatology: PercentileInterval | None
    skill_vs_baseline: PercentileInterval | None
    n_resamples: int
    seed: int


def bootstrap(
    p: FloatArray,
    y: BoolArray,
    *,
    climatology: FloatArray | None = None,
    baseline: FloatArray | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
) -> SkillIntervals:
    """Bootstrap the Brier score and its skill against the references.

    ``climatology`` is a per-row reference forecast (the base rate known at forecast time);
    when it is None the sample base rate of each resample is used, as a general evaluator
    must. ``baseline`` is another per-row reference (for example a market price).
    """
    n = p.size
    if n == 0 or n_resamples < 1:
        raise ValueError("bootstrap needs at least one row and one resample")
    y_float = y.astype(np.float64)
    loss = (p - y_float) ** 2
    clim_loss = None if climatology is None else (climatology - y_float) ** 2
    base_loss = None if baseline is None else (baseline - y_float) ** 2
    rng = np.random.default_rng(seed)
    briers = np.empty(n_resamples)
    clim = np.empty(n_resamples)
    base = np.empty(n_resamples)
    chunk = max(1, _MAX_DRAWS_PER_CHUNK // n)
    for start in range(0, n_resamples, chunk):
        stop = min(n_resamples, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        briers[start:stop] = loss[idx].mean(axis=1)
        if clim_loss is None:
            rate = y_float[idx].mean(axis=1)
            clim[start:stop] = rate * (1.0 - rate)
        else:
            clim[start:stop] = clim_loss[idx].mean(axis=1)
        if base_loss is not None:
            base[start:stop] = base_loss[idx].mean(axis=1)
    return SkillIntervals(
        brier=_percentile(briers, level),
        skill_vs_climatology=_skill_interval(briers, clim, level),
        skill_vs_baseline=None if base_loss is None else _skill_interval(briers, base, level),
        n_resamples=n_resamples,
        seed=seed,
    )


# Resamples whose reference scores 0 (all outcomes equal) have no skill; they are dropped.
def _skill_interval(briers: FloatArray, reference: FloatArray, level: float
                    ) -> PercentileInterval | None:
    usable = reference > 0.0
    if not usable.any():
        return None
    return _percentile(1.0 - briers[usable] / reference[usable], level)


def _percentile(values: FloatArray, level: float) -> PercentileInterval:
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(values, [tail, 100.0 - tail])
    return PercentileInterval(lo=float(lo), hi=float(hi), level=level)


def wilson_interval(hits: int, n: int, *, level: float = DEFAULT_LEVEL
                    ) -> PercentileInterval | None:
    """Wilson score interval of a proportion ``hits / n``; None when ``n`` is 0.

    Unlike the normal (Wald) interval it stays inside [0, 1] and keeps its coverage for small
    ``n`` and rates near 0 or 1, which is where trigger counts live.
    Example: ``wilson_interval(8, 10)`` is about ``[0.490, 0.943]``.
    """
    if not 0 <= hits <= n:
        raise ValueError(f"need 0 <= hits <= n, got hits={hits} n={n}")
    if n == 0:
        return None
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    rate = hits / n
    denominator = 1.0 + z * z / n
    centre = (rate + z * z / (2.0 * n)) / denominator
    half = z * math.sqrt(rate * (1.0 - rate) / n + z * z / (4.0 * n * n)) / denominator
    lo = 0.0 if hits == 0 else max(0.0, centre - half)  # exact ends: no 1e-17 residue
    hi = 1.0 if hits == n else min(1.0, centre + half)
    return PercentileInterval(lo=lo, hi=hi, level=level)
