"""Burn-in: scheduled cycles against faulty loopback services, with runs killed mid-flight.

Run from the repository root:

    .venv/bin/python -m bench.burnin.run --runs 48 --fault-rate 0.3 --kill-rate 0.1 --seed 7

Each cycle is one hour of the schedule: ``tb run --live`` (tracer at :17) against the loopback
stand-ins of every service (``tests.helpers.live_servers``) with, per service and cycle, a
random fault drawn with probability ``--fault-rate`` from timeouts (``slow``), refused
connections (``down``), 5xx, 429, garbage, wrong shapes, 401 and a 500-then-healthy flake.
With probability ``--kill-rate`` the run is a real subprocess killed with SIGKILL after a
random delay (a planted miss when it dies before its run file); with probability
``--skip-rate`` the cycle is not run at all (a planted miss). Every 6 cycles an offline
``tb universe run``, every 24 (and at the end) ``tb eval ingest`` + ``tb eval run`` with the
loopback Alpaca for resolution; at the end ``tb check``, ``tb validate`` and ``tb status``.

Reports (JSON): cycles, faults injected by kind, kills, crashes (an unexpected exit code or a
traceback on stderr of a run that was not killed), invalid artifacts (``tb validate``), lost
rows (a forecast due by the last ingest that is neither in ``observations.csv`` nor in
``unresolved.csv``) and duplicated rows (a key twice in a keyed table), the degraded ratio of
the tracer runs, missed runs detected by ``tb status`` against those planted, wall time.
Exit 1 when crashes, invalid artifacts, lost or duplicated rows are not all zero.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.helpers.live_servers import TARGETS, LiveServices

TB = Path(sys.executable).with_name("tb")
START = datetime(2026, 3, 2, 0, 17, tzinfo=UTC)  # the tracer's cron fires at :17
FAULT_KINDS = ("slow", "down", "http_500", "http_429", "garbage", "wrong_shape", "http_401",
               "flaky_500")


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tb(args: list[str], env: dict[str, str], kill_after: float | None = None
        ) -> tuple[int | None, str]:
    """Run ``tb args``; ``kill_after`` seconds: SIGKILL it then (None: to the end)."""
    proc = subprocess.Popen([str(TB), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=kill_after if kill_after is not None else 300)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return None, ""
    return proc.returncode, err


def _crashed(code: int | None, err: str, allowed: tuple[int, ...] = (0,)) -> bool:
    return code is not None and (code not in allowed or "Traceback (most recent" in err)


def _keyed_duplicates(root: Path) -> int:
    dupes = 0
    for name, key in (("eval_runs/observations.csv", "forecast_id"),
                      ("universe_runs/metrics.csv", "run_id")):
        path = root / name
        if path.exists():
            with path.open(newline="") as f:
                keys = Counter(row[key] for row in csv.DictReader(f))
            dupes += sum(n - 1 for n in keys.values() if n > 1)
    return dupes


def _lost_rows(root: Path, ingested_to: datetime) -> int:
    known: set[str] = set()
    for name in ("eval_runs/observations.csv", "eval_runs/unresolved.csv"):
        path = root / name
        if path.exists():
            with path.open(newline="") as f:
                known |= {row["run_id"] for row in csv.DictReader(f) if row.get("run_id")}
    lost = 0
    for run_file in (root / "runs").glob("*/tracer-*.json"):
        if run_file.name.endswith(".inputs.json"):
            continue
        doc = json.loads(run_file.read_text())
        forecast = doc.get("forecast")
        if forecast is None:
            continue
        due = datetime.fromisoformat(forecast["as_of"].replace("Z", "+00:00")) + timedelta(
            hours=forecast["horizon_hours"])
        if due <= ingested_to and doc["run_id"] not in known:
            lost += 1
    return lost


def burnin(runs: int, fault_rate: float, kill_rate: float, skip_rate: float, seed: int,
           root: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    faults: Counter[str] = Counter()
    kills = planted = crashes = 0
    crash_notes: list[str] = []
    started = time.monotonic()
    cache = root / ".tb-cache"
    last = START
    for cycle in range(runs):
        as_of = START + timedelta(hours=cycle)
        last = as_of
        chosen = {t: rng.choice(FAULT_KINDS) for t in TARGETS if rng.random() < fault_rate}
        faults.update(chosen.values())
        with LiveServices(faults=chosen) as services:
            env = {**os.environ, **services.env(cache)}
            if cycle > 0 and rng.random() < skip_rate:
                planted += 1  # the schedule fired, nothing ran
            else:
                kill = rng.uniform(0.3, 2.5) if cycle > 0 and rng.random() < kill_rate else None
                code, err = _tb(["run", "--live", "--seed", str(seed), "--as-of", _stamp(as_of),
                                 "--artifacts-dir", str(root), "--no-notify"], env, kill)
                if code is None:
                    kills += 1
                    planted += 0 if _has_run_at(root, as_of) else 1
                elif _crashed(code, err):
                    crashes += 1
                    crash_notes.append(f"tb run {_stamp(as_of)}: exit {code}: {err[-300:]}")
            if cycle % 6 == 5:
                code, err = _tb(["universe", "run", "--seed", str(seed), "--as-of",
                                 _stamp(as_of), "--artifacts-dir", str(root), "--no-notify"],
                                {**os.environ, "TB_CACHE_DIR": str(cache)})
                if _crashed(code, err):
                    crashes += 1
                    crash_notes.append(f"tb universe run: exit {code}: {err[-300:]}")
            if cycle % 24 == 23 or cycle == runs - 1:
                for args in (["eval", "ingest"], ["eval", "run", "--bootstrap", "50"]):
                    code, err = _tb([*args, "--as-of", _stamp(as_of), "--artifacts-dir",
                                     str(root)], env)
                    if _crashed(code, err):
                        crashes += 1
                        crash_notes.append(f"tb {' '.join(args)}: exit {code}: {err[-300:]}")
    end = last + timedelta(minutes=45)  # past the last fire's window (39 min), before the next
    quiet = {**os.environ, "TB_CACHE_DIR": str(cache)}
    code, err = _tb(["check", "--as-of", _stamp(end), "--no-alert", "--artifacts-dir",
                     str(root)], quiet)
    if _crashed(code, err, allowed=(0, 1)):  # 1: a critical check failed (not a crash)
        crashes += 1
        crash_notes.append(f"tb check: exit {code}: {err[-300:]}")
    validate = subprocess.run([str(TB), "validate", "--artifacts-dir", str(root)],
                              capture_output=True, text=True, check=False)
    invalid = sum(1 for line in validate.stdout.splitlines() if line.startswith("INVALID"))
    if validate.returncode != 0 and invalid == 0:
        invalid = 1
    status = json.loads(subprocess.run(
        [str(TB), "status", "--as-of", _stamp(end), "--json", "--artifacts-dir", str(root)],
        capture_output=True, text=True, check=True).stdout)
    tracer = status["stages"]["tracer"]
    run_docs = [json.loads(p.read_text()) for p in (root / "runs").glob("*/tracer-*.json")
                if not p.name.endswith(".inputs.json")]
    degraded = sum(1 for d in run_docs if d["manifest"]["degraded"])
    return {
        "command": (f"python -m bench.burnin.run --runs {runs} --fault-rate {fault_rate} "
                    f"--kill-rate {kill_rate} --skip-rate {skip_rate} --seed {seed}"),
        "cycles": runs,
        "faults_injected": sum(faults.values()),
        "faults_by_kind": dict(sorted(faults.items())),
        "kills": kills,
        "crashes": crashes,
        "crash_notes": crash_notes[:5],
        "invalid_artifacts": invalid,
        "validate_exit": validate.returncode,
        "lost_rows": _lost_rows(root, last),
        "duplicated_rows": _keyed_duplicates(root),
        "tracer_runs": len(run_docs),
        "degraded_runs": degraded,
        "degraded_ratio": round(degraded / len(run_docs), 4) if run_docs else None,
        "missed_runs_planted": planted,
        "missed_runs_detected": tracer["missed_runs"],
        "wall_s": round(time.monotonic() - started, 1),
    }


def _has_run_at(root: Path, as_of: datetime) -> bool:
    for path in (root / "runs").glob(f"{as_of:%Y-%m-%d}/tracer-*.json"):
        if path.name.endswith(".inputs.json"):
            continue
        doc = json.loads(path.read_text())
        ran = datetime.fromisoformat(doc["as_of"].replace("Z", "+00:00"))
        if abs(ran - as_of) < timedelta(minutes=30):
            return True
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.burnin.run", description=__doc__)
    parser.add_argument("--runs", type=int, default=48, help="cycles (hours of schedule)")
    parser.add_argument("--fault-rate", type=float, default=0.3,
                        help="chance per service and cycle of a fault")
    parser.add_argument("--kill-rate", type=float, default=0.1,
                        help="chance per cycle that the run is SIGKILLed mid-run")
    parser.add_argument("--skip-rate", type=float, default=0.05,
                        help="chance per cycle that the run does not happen (planted miss)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--artifacts-dir", type=Path, default=None,
                        help="where to run (default: a fresh temporary folder)")
    args = parser.parse_args(argv)
    if args.runs < 1 or not all(0 <= r <= 1 for r in (args.fault_rate, args.kill_rate,
                                                      args.skip_rate)):
        parser.error("--runs >= 1 and rates in [0, 1]")
    with tempfile.TemporaryDirectory(prefix="tb-burnin-") as tmp:
        root = args.artifacts_dir or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        report = burnin(args.runs, args.fault_rate, args.kill_rate, args.skip_rate,
                        args.seed, root)
    print(json.dumps(report, indent=2, sort_keys=True))
    bad = (report["crashes"], report["invalid_artifacts"], report["lost_rows"],
           report["duplicated_rows"])
    return 0 if bad == (0, 0, 0, 0) else 1


if __name__ == "__main__":
    sys.exit(main())
