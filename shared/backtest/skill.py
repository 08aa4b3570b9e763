"""Out-of-sample scores of resolved calls, with circular block-bootstrap intervals.

Calls ``horizon`` apart overlap (two calls an hour apart share eleven of twelve hours of
outcome), so rows are not independent and a row bootstrap gives intervals that are too
narrow. The stitched timeline of polls is resampled in circular blocks of at least the
horizon (Politis and Romano's circular block bootstrap), each block carrying its calls and
its base-rate sample, so the dependence inside a block is kept. Same seed, same data: the
same intervals.

Point scores: hit rate, the base rate (share of polls whose close ``horizon`` later is
higher), the baseline hit rate (what a coin with that base rate scores on the same
directions), the binomial z of the hits against that baseline, Brier and log-loss of
``p_up`` (the shared evaluation metrics), and the mean sized log-return (size x direction
x log-return) the sizing bot is tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from shared.backtest.calls import Segment
from shared.evaluation.scoring import score

__all__ = ["OosScores", "block_bootstrap", "score_segments"]

_EPS = 1e-12


@dataclass(frozen=True)
class OosScores:
    triggers: int
    resolved: int
    hits: int
    hit_rate: float | None
    base_rate: float | None
    base_samples: int
    baseline_hit_rate: float | None
    z: float | None
    brier: float | None
    log_loss: float | None
    sized_return: float | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def score_segments(segments: Sequence[Segment]) -> OosScores:
    calls = [c for s in segments for c in s.calls]
    resolved = [c for c in calls if c.hit is not None]
    hits = sum(1 for c in resolved if c.hit)
    base_n = int(sum(int(s.base_valid.sum()) for s in segments))
    base_up = int(sum(int(s.base_up.sum()) for s in segments))
    base = base_up / base_n if base_n else None
    baseline = z = brier = log_loss = sized = None
    if resolved and base is not None:
        ups = sum(1 for c in resolved if c.direction > 0)
        baseline = (ups * base + (len(resolved) - ups) * (1 - base)) / len(resolved)
        z = _binomial_z(hits, len(resolved), baseline)
    if resolved:
        scored = score(np.array([c.p_up for c in resolved]),
                       np.array([bool(c.up) for c in resolved]))
        brier, log_loss = scored.brier, scored.log_loss
        sized_values = [c.direction * (c.target_size or 0.0) * (c.log_return or 0.0)
                        for c in resolved]
        sized = float(np.mean(sized_values))
    return OosScores(
        triggers=len(calls), resolved=len(resolved), hits=hits,
        hit_rate=hits / len(resolved) if resolved else None,
        base_rate=base, base_samples=base_n, baseline_hit_rate=baseline, z=z,
        brier=brier, log_loss=log_loss, sized_return=sized)


def _binomial_z(hits: int, n: int, p: float) -> float | None:
    var = n * p * (1 - p)
    return (hits - n * p) / math.sqrt(var) if var > 0 else None


@dataclass(frozen=True)
class _Timeline:
    """Per-poll sums over the stitched segments (one row per poll)."""

    base_valid: npt.NDArray[np.float64]
    base_up: npt.NDArray[np.float64]
    resolved: npt.NDArray[np.float64]
    hits: npt.NDArray[np.float64]
    up_calls: npt.NDArray[np.float64]
    brier: npt.NDArray[np.float64]
    log_loss: npt.NDArray[np.float64]


def _timeline(segments: Sequence[Segment]) -> _Timeline:
    parts: list[npt.NDArray[np.float64]] = []
    for s in segments:
        rows = np.zeros((len(s.times_ns), 7))
        rows[:, 0], rows[:, 1] = s.base_valid, s.base_up
        for c in s.calls:
            if c.hit is None:
                continue
            i = int(np.searchsorted(s.times_ns, int(c.as_of.timestamp()) * 1_000_000_000))
            if i >= len(s.times_ns):
                continue
            p, y = min(max(c.p_up, _EPS), 1 - _EPS), 1.0 if c.up else 0.0
            rows[i, 2:] += (1.0, 1.0 if c.hit else 0.0, 1.0 if c.direction > 0 else 0.0,
                            (p - y) ** 2, -(y * math.log(p) + (1 - y) * math.log(1 - p)))
        parts.append(rows)
    table = np.concatenate(parts) if parts else np.zeros((0, 7))
    return _Timeline(*(np.ascontiguousarray(table[:, k]) for k in range(7)))


def block_bootstrap(segments: Sequence[Segment], *, block_polls: int, resamples: int,
                    seed: int, level: float = 0.95) -> dict[str, Any]:
    """Percentile intervals of the hit rate, base rate, hit rate minus its baseline, Brier
    and log-loss, from a circular block bootstrap of the stitched poll timeline."""
    line = _timeline(segments)
    n = len(line.base_valid)
    out: dict[str, Any] = {"method": "circular block bootstrap of the stitched poll timeline",
                           "block_polls": block_polls, "resamples": resamples, "seed": seed,
                           "level": level, "polls": n}
    if n == 0 or resamples < 1 or line.resolved.sum() == 0:
        return out | {"hit_rate": None, "base_rate": None, "hit_rate_minus_baseline": None,
                      "brier": None, "log_loss": None}
    length = max(1, min(block_polls, n))
    blocks = math.ceil(n / length)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n, size=(resamples, blocks))

    def total(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        prefix = np.concatenate(([0.0], np.cumsum(np.concatenate((values, values)))))
        sums: npt.NDArray[np.float64] = (prefix[starts + length] - prefix[starts]).sum(axis=1)
        return sums

    base_n, base_up = total(line.base_valid), total(line.base_up)
    resolved, hits, ups = total(line.resolved), total(line.hits), total(line.up_calls)
    brier, log_loss = total(line.brier), total(line.log_loss)
    ok = (resolved > 0) & (base_n > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        base = base_up / base_n
        hit_rate = hits / resolved
        baseline = (ups * base + (resolved - ups) * (1 - base)) / resolved
        brier_mean, log_loss_mean = brier / resolved, log_loss / resolved
    return out | {
        "hit_rate": _interval(hit_rate[ok], level),
        "base_rate": _interval(base[base_n > 0], level),
        "hit_rate_minus_baseline": _interval((hit_rate - baseline)[ok], level),
        "brier": _interval(brier_mean[ok], level),
        "log_loss": _interval(log_loss_mean[ok], level),
    }


def _interval(values: npt.NDArray[np.float64], level: float) -> list[float] | None:
    if not len(values):
        return None
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(values, [tail, 100.0 - tail])
    return [float(lo), float(hi)]
