"""Benchmark the tuner (issue 10's last benchmark line): a 100-trial Optuna run of the
divergence bot over 7 years x 3 synthetic symbols, on 2 cores (two worker processes sharing
one journal study), wall time and peak memory.

Run from the repository root (prints a table):

    .venv/bin/python -m bench.backtest.tuning                   # the full 100 trials
    .venv/bin/python -m bench.backtest.tuning --trials 6        # a sample, extrapolated

Peak memory is the largest resident set of any worker (``ru_maxrss`` of the children).
With fewer trials than 100 the table also shows the linear extrapolation to 100 (pruned
trials are cheaper, so a longer run tends to be faster per trial than a short sample).
Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SYMBOLS = ("BTC-USD", "ETH-USD", "SOL-USD")
TARGET_SECONDS = 300.0


def run(trials: int, workers: int, start: str, end: str) -> tuple[float, float]:
    """Wall seconds and peak worker RSS (MiB) of ``workers`` processes sharing one study."""
    tb = Path(sys.executable).parent / "tb"
    with tempfile.TemporaryDirectory(prefix="tb-bench-tune-") as tmp:
        storage = f"journal:{Path(tmp) / 'study.journal'}"
        args = [str(tb), "backtest", "tune", "--bot", "divergence", "--feed", "synthetic",
                "--start", start, "--end", end, "--trials", str(trials), "--sampler", "tpe",
                "--seed", "7", "--storage", storage, "--study-name", "bench", "--no-write",
                "--resamples", "200", "--artifacts-dir", tmp]
        for symbol in SYMBOLS:
            args += ["--symbol", symbol]
        begin = time.perf_counter()
        procs = [subprocess.Popen([*args, "--worker", str(i)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for i in range(workers)]
        errors = [p.communicate()[1] for p in procs]
        seconds = time.perf_counter() - begin
        if any(p.returncode for p in procs):
            raise SystemExit("tune failed:\n" + "\n".join(errors))
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kib / 1024.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--start", default="2018-07-01T00:00:00Z")
    parser.add_argument("--end", default="2025-07-01T00:00:00Z")
    args = parser.parse_args(argv)
    seconds, peak = run(args.trials, args.workers, args.start, args.end)
    rows = [(f"tune {args.trials} trials, 7 y x 3 symbols, {args.workers} workers",
             f"{seconds:.1f}", f"<= {TARGET_SECONDS:.0f}" if args.trials == 100 else "",
             f"peak RSS {peak:.0f} MiB per worker")]
    if args.trials != 100:
        rows.append(("  extrapolated to 100 trials", f"{seconds * 100 / args.trials:.0f}",
                     f"<= {TARGET_SECONDS:.0f}", "linear in trials"))
    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'seconds':>8}  {'target':>8}  note")
    for name, secs, target, note in rows:
        print(f"{name:<{width}}  {secs:>8}  {target:>8}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
