"""SIGKILL ``tb universe run`` / ``tb eval ingest`` at random moments; the next run repairs.

Run from the repository root:

    .venv/bin/python -m bench.crash.run              # 20 kills of each stage
    .venv/bin/python -m bench.crash.run --trials 50 --seed 3

Into one artifacts dir, each trial starts ``tb universe run`` at a new as-of hour and kills it
with SIGKILL after a uniform random delay (0 to the stage's measured wall time), then runs it
again to the end; the same for ``tb eval ingest``. After each kill it notes whether a temp file
was left and whether ``tb validate`` failed; after each next run it requires: ``tb validate``
exits 0, every CSV is rectangular with one row per key, no temp file is left. Prints a JSON
summary; exits 1 on any trial whose next run did not leave a valid tree.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.store import hygiene
from shared.store.validate import check_tree

TB = Path(sys.executable).with_name("tb")
START = datetime(2026, 3, 2, 0, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _finish(args: list[str]) -> float:
    started = time.monotonic()
    subprocess.run([str(TB), *args], check=True, capture_output=True, timeout=300)
    return time.monotonic() - started


def _kill(args: list[str], delay: float) -> None:
    child = subprocess.Popen([str(TB), *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    counts = {"kills": 0, "temp_left_by_kill": 0, "invalid_after_kill": 0,
              "invalid_after_next_run": 0, "temp_left_after_next_run": 0}
    with tempfile.TemporaryDirectory(prefix="tb-bench-crash-") as tmp:
        root = Path(tmp)
        art = ["--artifacts-dir", str(root)]
        # Wall times of a whole run, to spread the kills over the run's life.
        walls = {"universe": _finish(["universe", "run", "--seed", "7", "--no-notify",
                                      "--as-of", _stamp(START), *art]),
                 "ingest": _finish(["eval", "ingest", "--as-of",
                                    _stamp(START + timedelta(days=7)), *art])}
        for number in range(1, args.trials + 1):
            hour = START + timedelta(hours=number)
            stages = {
                "universe": ["universe", "run", "--seed", "7", "--no-notify", "--as-of",
                             _stamp(hour), *art],
                "ingest": ["eval", "ingest", "--as-of", _stamp(hour + timedelta(days=7)),
                           *art],
            }
            for name, command in stages.items():
                _kill(command, rng.uniform(0.0, walls[name]))
                counts["kills"] += 1
                counts["temp_left_by_kill"] += bool(hygiene.leftovers(root))
                counts["invalid_after_kill"] += bool(check_tree(root).problems)
                _finish(command)
                report = check_tree(root)
                counts["invalid_after_next_run"] += bool(report.problems)
                counts["temp_left_after_next_run"] += bool(hygiene.leftovers(root))
                for problem in report.problems:
                    print(f"trial {number} {name}: {problem}", file=sys.stderr)
    print(json.dumps({**counts, "walls_secs": {k: round(v, 2) for k, v in walls.items()}},
                     sort_keys=True))
    failed = counts["invalid_after_next_run"] or counts["temp_left_after_next_run"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
