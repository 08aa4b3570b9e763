"""Startup benchmark: whole-process wall time of the commands a person types most, cold.

Run from the repository root:

    .venv/bin/python -m bench.startup.run              # 5 runs per command
    .venv/bin/python -m bench.startup.run --repeats 9

Each command runs ``--repeats`` times as a fresh process (``.venv/bin/tb ...``: interpreter
start, imports, config, the work, writing artifacts). The table shows the minimum wall time
(the machine is shared and loaded: the minimum is the least disturbed run), the minimum CPU
time (user + system of that process, which load inflates far less), and the target from
issue 14. ``tb universe run`` runs 100 symbols (40 % crypto, 45 % US equities, 15 % ETFs,
each asset class at its shipped history) from a copy of ``config/`` with that universe
(``TB_HOME``), at 2026-03-03T18:00Z (a Tuesday in session, so equities are evaluated too).
Exit 1 when a target is missed (``--no-fail`` to only print).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TB = str(Path(sys.executable).with_name("tb"))


@dataclass(frozen=True)
class Case:
    label: str
    args: tuple[str, ...]
    target_s: float | None
    universe_size: int = 0


CASES = (
    Case("tb --help", ("--help",), 0.3),
    Case("tb --version", ("--version",), 0.3),
    Case("tb run (embedded default)", ("run", "--seed", "7", "--as-of", "2026-11-20T12:00:00Z",
                                       "--no-notify", "--artifacts-dir", "{tmp}"), 1.0),
    Case("tb universe run (100 symbols)", ("universe", "run", "--seed", "7", "--as-of",
                                           "2026-03-03T18:00:00Z", "--no-notify",
                                           "--artifacts-dir", "{tmp}"), 1.5, 100),
)


def _home_with_universe(size: int, home: Path) -> None:
    """A TB_HOME whose config/universe.yaml lists ``size`` synthetic symbols."""
    shutil.copytree(ROOT / "config", home / "config")
    path = home / "config" / "universe.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    symbols = []
    for i in range(size):
        slot = i % 20
        kind, name = (("crypto", f"C{i:04d}-USD") if slot < 8 else
                      ("us_equity", f"EQ{i:04d}") if slot < 17 else ("etf", f"ETF{i:04d}"))
        symbols.append({"symbol": name, "asset_class": kind, "name": f"Synthetic {i}",
                        "aliases": [f"synthetic{i}"]})
    data["symbols"] = symbols
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _once(case: Case, env: dict[str, str]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        args = [TB, *(a.replace("{tmp}", tmp) for a in case.args)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False,
                              cwd=ROOT, timeout=600)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{case.label} failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-fail", action="store_true")
    args = parser.parse_args(argv)
    base_env = {k: v for k, v in os.environ.items()
                if k not in {"TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID", "GITHUB_STEP_SUMMARY"}}
    rows, missed = [], []
    with tempfile.TemporaryDirectory() as home:
        for case in CASES:
            env = dict(base_env)
            if case.universe_size:
                _home_with_universe(case.universe_size, Path(home))
                env["TB_HOME"] = home
            runs = [_once(case, env) for _ in range(args.repeats)]
            wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
            ok = case.target_s is None or wall <= case.target_s
            if not ok:
                missed.append(case.label)
            rows.append((case.label, wall, cpu, case.target_s, ok))
    load = os.getloadavg()[0]
    print(f"| command | wall min of {args.repeats} (s) | CPU min (s) | target (s) | met |")
    print("|---|---|---|---|---|")
    for label, wall, cpu, target, ok in rows:
        shown = f"{target:.1f}" if target is not None else ""
        print(f"| `{label}` | {wall:.2f} | {cpu:.2f} | {shown} | {'yes' if ok else 'NO'} |")
    print(f"\nload average (1 min) at the end: {load:.1f} on {os.cpu_count()} CPUs")
    return 1 if missed and not args.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
