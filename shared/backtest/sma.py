"""The reference strategy of ``../shared/docs/backtest-conformance.md``: long-only SMA crossover.

``SMA_n(t) = fl(fsum(close[t-n+1..t]) / n)`` with ``fsum`` the correctly rounded float64 sum
(Python's :func:`math.fsum`), computed here for every ``t`` at once with an exact fixed-point
accumulator over the float64 closes:

* each close is ``m × 2**(e-53)`` with an integer mantissa ``m < 2**53`` (:func:`numpy.frexp`);
  on the common exponent grid of the series it is the integer ``S = m << (e - e_min)``, split
  into two 32-bit-aligned limbs ``S = H × 2**32 + L``;
* window sums of ``H`` and of ``L`` are differences of prefix sums in uint64 (wrap-around in
  the prefix sums cancels: the window sums themselves fit), so they are exact;
* after carrying ``L``'s high bits into ``H``, ``fl(float(H) × 2**32 + float(L))`` is one
  IEEE addition of two exactly representable numbers, i.e. the correctly rounded sum; scaling
  by ``2**(e_min-53)`` is exact.

That needs ``H``'s window sum below ``2**53``: closes spanning less than about ``2**(31 -
log2(n))`` (over 8 million to 1 for ``n = 240``). Wider ranges take a running Python-integer
sum, converted with CPython's correctly rounded integer division: slower, same result.

Signals are sign changes of ``diff = SMA_fast - SMA_slow`` against the last **non-zero**
diff (an exact tie neither fires nor resets the memory); orders are targets of 1 unit (cross-up)
or 0 (cross-down) handed to :func:`shared.backtest.ledger.execute_targets`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shared.backtest.ledger import Costs, FloatArray, IntArray, LedgerResult, execute_targets

__all__ = ["Crossings", "WindowMeans", "crossings", "reference_sma", "sweep"]

_LIMB = 32
_LOW_MASK = np.uint64((1 << _LIMB) - 1)


class WindowMeans:
    """Exact ``fl(fsum(window) / n)`` of one series for any window length ``n``."""

    def __init__(self, values: FloatArray) -> None:
        values = np.asarray(values, dtype=np.float64)
        if len(values) and not (np.isfinite(values).all() and (values > 0).all()):
            raise ValueError("window means need finite positive values")
        self._values = values
        self._size = len(values)
        if not self._size:
            return
        fraction, exponent = np.frexp(values)
        mantissa = (fraction * 2.0**53).astype(np.uint64)
        self._exponent_min = int(exponent.min())
        shift = (exponent - self._exponent_min).astype(np.uint64)
        self._span = int(shift.max())
        self._mantissa, self._shift = mantissa, shift
        self._high_prefix: npt.NDArray[np.uint64] | None = None

    def _prefix_sums(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        if self._high_prefix is None:
            m, shift = self._mantissa, self._shift
            limb = np.uint64(_LIMB)
            if self._span < _LIMB:  # the common case: every close's shift is below a limb
                low = (m << shift) & _LOW_MASK
                high = m >> (limb - shift)
            else:
                below = shift < limb
                low = np.where(below, (m << np.minimum(shift, limb - np.uint64(1))) & _LOW_MASK,
                               np.uint64(0))
                high = np.where(below, m >> np.where(below, limb - shift, np.uint64(0)),
                                m << np.where(below, np.uint64(0), shift - limb))
            zero = np.zeros(1, dtype=np.uint64)
            self._high_prefix = np.concatenate((zero, np.cumsum(high, dtype=np.uint64)))
            self._low_prefix = np.concatenate((zero, np.cumsum(low, dtype=np.uint64)))
        return self._high_prefix, self._low_prefix

    def sums(self, n: int) -> FloatArray:
        """``fsum(values[t-n+1..t])`` for ``t >= n-1`` (NaN before)."""
        if n < 1:
            raise ValueError(f"window must be >= 1, got {n}")
        out = np.full(self._size, np.nan)
        if self._size < n:
            return out
        if self._span + n.bit_length() + (53 - _LIMB) + 1 > 53:
            out[n - 1:] = self._sums_python(n)
            return out
        high_prefix, low_prefix = self._prefix_sums()
        high = high_prefix[n:] - high_prefix[:-n]
        low = low_prefix[n:] - low_prefix[:-n]
        high = high + (low >> np.uint64(_LIMB))
        low = low & _LOW_MASK
        total = high.astype(np.float64) * float(1 << _LIMB) + low.astype(np.float64)
        out[n - 1:] = np.ldexp(total, self._exponent_min - 53)
        return out

    def means(self, n: int) -> FloatArray:
        """``SMA_n = fl(fsum(window) / n)`` for ``t >= n-1`` (NaN before)."""
        result: FloatArray = self.sums(n) / float(n)
        return result

    def _sums_python(self, n: int) -> list[float]:
        # exact running sum in Python integers; int / int is correctly rounded in CPython
        scale = self._exponent_min - 53
        ints = [m << s for m, s in zip(self._mantissa.tolist(), self._shift.tolist(),
                                       strict=True)]

        def to_float(total: int) -> float:
            return total / (1 << -scale) if scale < 0 else float(total << scale)

        running = sum(ints[: n - 1])
        result = []
        for t in range(n - 1, self._size):
            running += ints[t]
            result.append(to_float(running))
            running -= ints[t - n + 1]
        return result


@dataclass(frozen=True)
class Crossings:
    """Signal bars: ``up`` where diff turns > 0 after a negative last non-zero diff,
    ``down`` the reverse (ascending bar indices)."""

    up: IntArray
    down: IntArray


def crossings(diff: FloatArray) -> Crossings:
    """Sign-change crossings of ``diff`` (NaN = undefined) with the last-non-zero tie rule."""
    diff = np.asarray(diff, dtype=np.float64)
    defined = ~np.isnan(diff)
    sign = np.where(defined, np.sign(np.where(defined, diff, 0.0)), 0.0)
    index = np.arange(len(sign))
    last_nonzero = np.maximum.accumulate(np.where(sign != 0.0, index, -1))
    memory = np.zeros(len(sign))
    if len(sign) > 1:
        before = last_nonzero[:-1]
        memory[1:] = np.where(before >= 0, sign[np.maximum(before, 0)], 0.0)
    up = np.flatnonzero((sign > 0) & (memory < 0)).astype(np.int64)
    down = np.flatnonzero((sign < 0) & (memory > 0)).astype(np.int64)
    return Crossings(up, down)


def _orders(found: Crossings) -> tuple[IntArray, FloatArray]:
    bars = np.concatenate((found.up, found.down))
    targets = np.concatenate((np.ones(len(found.up)), np.zeros(len(found.down))))
    order = np.argsort(bars, kind="stable")
    return bars[order], targets[order]


def reference_sma(
    open_: FloatArray,
    close: FloatArray,
    *,
    fast: int = 10,
    slow: int = 30,
    initial_cash: float = 100_000.0,
    costs: Costs | None = None,
    means: WindowMeans | None = None,
) -> LedgerResult:
    """Run the reference long-only SMA(fast/slow) crossover through the ledger.

    ``means`` may be passed to share the exact accumulator between runs on the same closes.
    """
    if not 1 <= fast < slow:
        raise ValueError(f"need 1 <= fast < slow, got fast={fast} slow={slow}")
    means = means or WindowMeans(close)
    diff = means.means(fast) - means.means(slow)
    signal_bar, target = _orders(crossings(diff))
    return execute_targets(open_, close, signal_bar, target, initial_cash=initial_cash,
                           costs=costs or Costs())


def sweep(
    open_: FloatArray,
    close: FloatArray,
    pairs: Iterable[tuple[int, int]],
    *,
    initial_cash: float = 100_000.0,
    costs: Costs | None = None,
) -> dict[tuple[int, int], LedgerResult]:
    """:func:`reference_sma` for every ``(fast, slow)`` pair; each window's means computed once."""
    means = WindowMeans(close)
    cache: dict[int, FloatArray] = {}

    def mean(n: int) -> FloatArray:
        if n not in cache:
            cache[n] = means.means(n)
        return cache[n]

    results = {}
    for fast, slow in pairs:
        if not 1 <= fast < slow:
            raise ValueError(f"need 1 <= fast < slow, got fast={fast} slow={slow}")
        signal_bar, target = _orders(crossings(mean(fast) - mean(slow)))
        results[(fast, slow)] = execute_targets(open_, close, signal_bar, target,
                                                initial_cash=initial_cash,
                                                costs=costs or Costs())
    return results
