"""Benchmark one universe run: wall time and peak memory at 10, 100 and 500 symbols.

Run from the repository root:

    .venv/bin/python -m bench.universe.run                       # 10 / 100 / 500 symbols
    .venv/bin/python -m bench.universe.run --sizes 100 --history-hours 336

Offline: the seeded synthetic feed and the offline scorer, one unsharded ``tb universe run``
(``run_universe``: fetch, session filter, score, decide, rank, render, validate, write) at
``--as-of`` (default 2026-03-03T18:00Z, a Tuesday in session, so equities are evaluated too:
the heavier case). The universe mixes crypto (40 %), US equities (45 %) and ETFs (15 %). By
default every symbol fetches a year of hourly history (``--history-hours 8760``); the synthetic
feed generates its series from 2018, so a year is always there.

Each size runs in a fresh subprocess, so the peak RSS (``ru_maxrss`` of that process) is the
run's own and includes the interpreter and imports (shown as the "base" row, 0 symbols).
Wall time is the run only (imports and config loading excluded), best of ``--repeats``.
Synthetic timings say nothing about live runs, whose time is spent waiting on providers.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["bench_universe", "main"]

ROOT = Path(__file__).resolve().parents[2]


def bench_universe(size: int, history_hours: int) -> Any:
    """A universe config of ``size`` symbols (a fixed mix), each fetching ``history_hours``."""
    from shared.universe.config import UniverseConfig, load_universe_config

    base = load_universe_config(ROOT / "config" / "universe.yaml")
    classes = {}
    for name, settings in base.asset_classes.items():
        classes[name.value] = {**settings.model_dump(mode="json"),
                               "history_hours": history_hours}
    symbols = []
    for i in range(size):
        slot = i % 20
        if slot < 8:
            symbols.append({"symbol": f"C{i:04d}-USD", "asset_class": "crypto",
                            "name": f"Coin {chr(65 + i % 26)}", "aliases": [f"coin{i}"]})
        elif slot < 17:
            symbols.append({"symbol": f"EQ{i:04d}", "asset_class": "us_equity",
                            "name": f"Equity {chr(65 + i % 26)}", "aliases": [f"eq{i}"]})
        else:
            symbols.append({"symbol": f"ETF{i:04d}", "asset_class": "etf",
                            "name": f"Fund {chr(65 + i % 26)}", "aliases": [f"etf{i}"]})
    data = {**base.model_dump(mode="json"), "asset_classes": classes, "symbols": symbols}
    return UniverseConfig.model_validate(data)


def _child(size: int, history_hours: int, as_of: datetime, repeats: int) -> dict[str, Any]:
    from functions.universe.app import run_universe
    from shared.pipeline.settings import load_pipeline_settings

    settings = load_pipeline_settings(ROOT / "config")
    walls, size_bytes = [], 0
    if size:
        universe = bench_universe(size, history_hours)
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                outcome = run_universe(seed=7, as_of=as_of, artifacts_dir=Path(tmp),
                                       universe=universe, settings=settings, notify=False,
                                       progress_bar=False, code_sha="bench")
                walls.append(time.perf_counter() - started)
                size_bytes = outcome.written[0].stat().st_size
                assert outcome.run is not None
                evaluated = outcome.run.counts.evaluated
    else:
        evaluated = 0
    return {"size": size, "wall_secs": min(walls) if walls else 0.0, "evaluated": evaluated,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "artifact_kb": size_bytes / 1024.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,500")
    parser.add_argument("--history-hours", type=int, default=24 * 365)
    parser.add_argument("--as-of", default="2026-03-03T18:00:00+00:00")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    as_of = datetime.fromisoformat(args.as_of).astimezone(UTC)
    if args.child is not None:
        print(json.dumps(_child(args.child, args.history_hours, as_of, args.repeats)))
        return 0
    rows = []
    for size in [0, *(int(s) for s in args.sizes.split(","))]:
        done = subprocess.run(
            [sys.executable, "-m", "bench.universe.run", "--child", str(size),
             "--history-hours", str(args.history_hours), "--as-of", args.as_of,
             "--repeats", str(args.repeats)],
            capture_output=True, text=True, check=True, cwd=ROOT)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"universe run, synthetic feed, as-of {args.as_of}, history {args.history_hours} h "
          f"per symbol, best of {args.repeats}")
    print("| symbols | evaluated | wall s | peak RSS MB | s/symbol | artifact KB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        per = row["wall_secs"] / row["size"] if row["size"] else 0.0
        label = row["size"] if row["size"] else "0 (base)"
        print(f"| {label} | {row['evaluated']} | {row['wall_secs']:.2f} | "
              f"{row['peak_rss_mb']:.0f} | {per:.4f} | {row['artifact_kb']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
