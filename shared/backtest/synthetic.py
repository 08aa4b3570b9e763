"""``make_gbm_ohlcv``: the benchmark bars of ``../shared/docs/backtest-conformance.md`` s. 7.

Zero-drift GBM, 1-minute bars from 2020-01-01 00:00 UTC, ``s0 = 100``, per-bar log-return
``N(-σ²/2, σ)`` with ``σ = 0.0005``, an open gap ``N(0, 0.0001)`` between the previous close and
the open (bar 0 opens at 100), high/low wicks ``exp(±|N(0, 0.0002)|)`` around max/min(open,
close), integer volume in [1, 999]. ``default_rng(seed)`` draws, in order: returns, gaps (gap[0]
forced to 0), high wicks, low wicks, volumes. Prices are not rounded. Synthetic data: it
exercises the engine and says nothing about any market.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["make_gbm_ohlcv"]

_START_NS = int(np.datetime64("2020-01-01T00:00:00", "ns").astype(np.int64))
_MINUTE_NS = 60 * 1_000_000_000


def make_gbm_ohlcv(n: int, seed: int = 42) -> dict[str, npt.NDArray[np.generic]]:
    """``n`` bars as arrays: ``time_ns`` (int64), ``open high low close`` (float64), ``volume``
    (int64)."""
    sigma = 0.0005
    rng = np.random.default_rng(seed)
    returns = rng.normal(-sigma**2 / 2, sigma, n)
    gaps = rng.normal(0.0, 0.0001, n)
    if n:
        gaps[0] = 0.0
    high_wick = np.exp(np.abs(rng.normal(0.0, 0.0002, n)))
    low_wick = np.exp(-np.abs(rng.normal(0.0, 0.0002, n)))
    volume = rng.integers(1, 1000, n)
    # open[t] = close[t-1] * exp(gap[t]); close[t] = open[t] * exp(return[t]); open[0] = 100
    log_close = np.log(100.0) + np.cumsum(gaps + returns)
    log_open = log_close - returns
    open_, close = np.exp(log_open), np.exp(log_close)
    if n:
        open_[0] = 100.0
    high = np.maximum(open_, close) * high_wick
    low = np.minimum(open_, close) * low_wick
    time_ns = _START_NS + _MINUTE_NS * np.arange(n, dtype=np.int64)
    return {"time_ns": time_ns, "open": open_, "high": high, "low": low, "close": close,
            "volume": volume.astype(np.int64)}
