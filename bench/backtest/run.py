"""Benchmark the reference SMA engine (issue 10's first two benchmark lines), side by side.

Run from the repository root:

    .venv/bin/python -m bench.backtest.run
    .venv/bin/python -m bench.backtest.run --others-python /tmp/sma_benchvenv/bin/python

Rows (synthetic GBM 1-minute bars of the conformance doc, section 7):

* ``sma 1M warm``: the strategy on 1,000,000 bars in memory (exact SMAs, crossings, ledger,
  trade list), best of ``--repeats``;
* ``tb cold (csv|parquet)``: the whole process ``tb backtest reference-sma`` on the same bars
  written to a file (interpreter start, imports, loading, run, JSON, trade CSV), best of 3;
* ``sweep 100 pairs``: fast 5..50 × slow 60..240 on 100,000 bars, best of ``--repeats``.

``--others-python`` names a Python of a separate environment with vectorbt and backtrader
(never project dependencies); ``bench/backtest/others.py`` runs there on the same arrays.
backtrader runs on ``--backtrader-bars`` bars (default 100,000) and the 1M figure is scaled
linearly (it is an event loop: linear in bars). Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from shared.backtest.sma import reference_sma, sweep
from shared.backtest.synthetic import make_gbm_ohlcv

ROOT = Path(__file__).resolve().parents[2]
PAIRS = [(fast, slow) for fast in range(5, 55, 5) for slow in range(60, 260, 20)]


def _best(repeats: int, job: object) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        job()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def _write_files(folder: Path, bars: dict[str, np.ndarray]) -> tuple[Path, Path]:
    import pandas as pd

    frame = pd.DataFrame({
        "timestamp": (bars["time_ns"] // 1_000_000_000),
        "open": bars["open"], "high": bars["high"], "low": bars["low"],
        "close": bars["close"], "volume": bars["volume"],
    })
    csv_path, parquet_path = folder / "gbm_1m.csv", folder / "gbm_1m.parquet"
    frame.to_csv(csv_path, index=False, float_format="%.17g")
    frame.to_parquet(parquet_path, index=False)
    return csv_path, parquet_path


def _cold(path: Path, out: Path) -> tuple[float, dict[str, object]]:
    tb = Path(sys.executable).parent / "tb"
    best, summary = float("inf"), {}
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run([str(tb), "backtest", "reference-sma", "--bars", str(path),
                               "--trades-out", str(out)], capture_output=True, text=True,
                              check=True)
        best = min(best, time.perf_counter() - start)
        summary = json.loads(done.stdout)
    return best, summary


def _other(python: str, npz: Path, mode: str, *extra: str) -> dict[str, float]:
    done = subprocess.run([python, str(ROOT / "bench/backtest/others.py"), str(npz), mode,
                           *extra], capture_output=True, text=True, check=False, timeout=900)
    if done.returncode != 0:
        return {"error": float("nan")}
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--sweep-bars", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--others-python", default=None)
    parser.add_argument("--backtrader-bars", type=int, default=100_000)
    args = parser.parse_args(argv)

    big = make_gbm_ohlcv(args.bars)
    small = make_gbm_ohlcv(args.sweep_bars)
    reference_sma(big["open"], big["close"])  # warm
    result = reference_sma(big["open"], big["close"])
    rows: list[tuple[str, str, str, str]] = []
    warm = _best(args.repeats, lambda: reference_sma(big["open"], big["close"]))
    rows.append((f"sma {args.bars:,} bars warm", f"{warm:.3f}", "<= ~0.12",
                 f"{result.trades.closed} closed trades"))
    with tempfile.TemporaryDirectory(prefix="tb-bench-backtest-") as tmp:
        folder = Path(tmp)
        csv_path, parquet_path = _write_files(folder, big)
        for label, path in (("csv", csv_path), ("parquet", parquet_path)):
            seconds, summary = _cold(path, folder / "trades.csv")
            rows.append((f"tb reference-sma cold ({label})", f"{seconds:.3f}", "< 2",
                         f"{summary['closed_trades']} closed trades"))
        sweep(small["open"], small["close"], PAIRS[:2])  # warm
        sweep_s = _best(max(1, args.repeats // 2), lambda: sweep(small["open"], small["close"],
                                                                  PAIRS))
        rows.append((f"sweep 100 pairs, {args.sweep_bars:,} bars", f"{sweep_s:.3f}", "<= 0.7",
                     ""))
        if args.others_python:
            rows.extend(_others(args, folder, big, small))
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'seconds':>8}  {'target':>8}  note")
    for name, seconds, target, note in rows:
        print(f"{name:<{width}}  {seconds:>8}  {target:>8}  {note}")
    return 0


def _others(args: argparse.Namespace, folder: Path, big: dict[str, np.ndarray],
            small: dict[str, np.ndarray]) -> list[tuple[str, str, str, str]]:
    big_npz, small_npz = folder / "big.npz", folder / "small.npz"
    np.savez(big_npz, open=big["open"], close=big["close"])
    np.savez(small_npz, open=small["open"], close=small["close"])
    python = args.others_python
    rows = []
    cold = _other(python, big_npz, "vbt-cold")
    rows.append(("vectorbt 1M first call, fresh process", f"{cold.get('seconds', 0):.3f}", "",
                 f"{cold.get('trades', '?')} closed trades (import + numba compile)"))
    warm = _other(python, big_npz, "vbt-warm")
    rows.append(("vectorbt 1M warm", f"{warm.get('seconds', 0):.3f}", "",
                 f"{warm.get('trades', '?')} closed trades"))
    swept = _other(python, small_npz, "vbt-sweep")
    rows.append(("vectorbt sweep 100 pairs", f"{swept.get('seconds', 0):.3f}", "", ""))
    n = min(args.backtrader_bars, len(big["close"]))
    bt = _other(python, big_npz, "bt", str(n))
    scaled = bt.get("seconds", 0) * len(big["close"]) / n
    rows.append((f"backtrader {n:,} bars", f"{bt.get('seconds', 0):.3f}", "",
                 f"{bt.get('trades', '?')} closed trades; 1M scaled: ~{scaled:.0f} s"))
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
