"""Small public-format files for tests (seeded random walks): a Yahoo daily CSV on weekdays
and a CryptoDataDownload hourly export (banner, newest-first, unix + date columns)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def write_yahoo_daily(path: Path, first: str, last: str, *, seed: int = 5,
                      price_usd: float = 400.0) -> Path:
    """Weekdays from ``first`` to ``last`` as ``Date,Open,High,Low,Close,Adj Close,Volume``."""
    days = pd.bdate_range(first, last)
    rng = np.random.default_rng(seed)
    close = price_usd * np.exp(np.cumsum(rng.normal(0, 0.015, len(days))))
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for day, c in zip(days, close, strict=True):
        o = c * (1 + rng.normal(0, 0.004))
        lines.append(f"{day:%Y-%m-%d},{o:.4f},{max(o, c) * 1.01:.4f},{min(o, c) * 0.99:.4f},"
                     f"{c:.4f},{c * 0.9:.4f},{rng.integers(10**6, 10**7)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path


def write_cdd_hourly(path: Path, first: str, last: str, *, seed: int = 3,
                     price_usd: float = 30000.0) -> Path:
    """Every UTC hour from ``first`` to ``last`` as a CDD export, newest first, with a banner."""
    hours = pd.date_range(first, last, freq="h", tz="UTC")
    rng = np.random.default_rng(seed)
    close = price_usd * np.exp(np.cumsum(rng.normal(0, 0.006, len(hours))))
    rows = []
    for t, c in zip(hours, close, strict=True):
        o = c * (1 + rng.normal(0, 0.002))
        coin = float(rng.uniform(10, 200))
        rows.append(f"{int(t.timestamp())},{t:%Y-%m-%d %H:%M:%S},BTC/USD,{o:.2f},"
                    f"{max(o, c) * 1.003:.2f},{min(o, c) * 0.997:.2f},{c:.2f},{coin:.8f},"
                    f"{coin * c:.6f}")
    header = "unix,date,symbol,open,high,low,close,Volume BTC,Volume USD"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(["https://www.CryptoDataDownload.com", header,
                               *reversed(rows)]) + "\n")
    return path
