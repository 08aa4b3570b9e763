"""Benchmark the divergence walk (issue 10's third benchmark line): one symbol, hourly bars,
every hour decided through the pipeline's walk, before (a git ref) and after (this tree).

Run from the repository root:

    .venv/bin/python -m bench.backtest.walk                 # this tree vs main, best of 3
    .venv/bin/python -m bench.backtest.walk --base HEAD~3 --repeats 5

Rows:

* ``synthetic 7y``: ``tb study``'s work (``functions.study.app.study``) on the synthetic feed,
  seed 7, 2018-01-01 to 2025-01-01 (61,369 hourly decisions), in a fresh process: the feed's
  generation, scoring, fetch, walk and resolution (imports excluded);
* ``dataset 4.2y``: the same on the dataset feed (the Bitstamp BTC 1h CryptoDataDownload
  export and the cryptonews headlines in ``$TB_DATA_DIR``), 2018-06-01 to 2022-08-01;
* ``walk only``: the same runs with the fetch (bars, headlines, scoring) left out: the
  decisions alone.

The base is exported with ``git archive`` into a temporary folder and imported from there
with this tree's virtualenv; each cell is the minimum over ``--repeats`` fresh processes (the
machine is shared: the minimum is the least disturbed run). Both trees must print the same
study JSON (on the keys both print: a newer tree may add some): the bench fails otherwise (a
faster walk that decides differently is no result).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CASES = {
    "synthetic 7y": ("synthetic", "2018-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00"),
    "dataset 4.2y": ("dataset", "2018-06-01T00:00:00+00:00", "2022-08-01T00:00:00+00:00"),
}

_CHILD = r"""
import json, sys, time
from datetime import datetime
feed, start, end = sys.argv[1], *(datetime.fromisoformat(a) for a in sys.argv[2:4])
from functions.study import app
from functions.study import run as study_run
timing = {}
real_walk = study_run.walk
def timed_walk(job, times, period):
    started, cpu = time.perf_counter(), time.process_time()
    yield from real_walk(job, times, period)
    timing["walk"] = time.perf_counter() - started
    timing["walk_cpu"] = time.process_time() - cpu
study_run.walk = timed_walk
started, cpu = time.perf_counter(), time.process_time()
out = app.study(feed=feed, seed=7, start=start, end=end, symbol=None, synthetic_edge=None)
total, total_cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"total": total, "walk": timing["walk"], "total_cpu": total_cpu,
                  "walk_cpu": timing["walk_cpu"], "decisions": out["decisions"], "study": out}))
"""


def _export(ref: str, folder: Path) -> Path:
    """``ref``'s tree, as committed, in ``folder``."""
    archive = folder / "base.tar"
    subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), ref], cwd=ROOT,
                   check=True)
    tree = folder / "tree"
    tree.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def _run(tree: Path, case: str) -> dict[str, object]:
    feed, start, end = CASES[case]
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    env.setdefault("TB_DATA_DIR", str(ROOT.parent / "shared" / "data"))
    done = subprocess.run([sys.executable, "-c", _CHILD, feed, start, end], cwd=tree, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{case} in {tree} failed:\n{done.stderr[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _best(tree: Path, case: str, repeats: int) -> dict[str, object]:
    runs = [_run(tree, case) for _ in range(repeats)]
    best: dict[str, object] = {"decisions": runs[0]["decisions"], "study": runs[0]["study"]}
    for key in ("total", "walk", "total_cpu", "walk_cpu"):
        best[key] = min(float(r[key]) for r in runs)  # type: ignore[arg-type]
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="main", help="git ref to compare with (default main)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="tb-walk-bench-") as tmp:
        trees = {f"before ({args.base})": _export(args.base, Path(tmp)), "after (tree)": ROOT}
        for case in args.cases:
            results = {label: _best(tree, case, args.repeats) for label, tree in trees.items()}
            # The keys both trees print (a newer tree may add some, e.g. coverage).
            common = set.intersection(*(set(r["study"]) for r in results.values()))  # type: ignore[call-overload]
            studies = {json.dumps({k: r["study"][k] for k in sorted(common)},  # type: ignore[index]
                                  sort_keys=True) for r in results.values()}
            if len(studies) != 1:
                raise SystemExit(f"{case}: the trees decide differently:\n" + "\n".join(studies))
            for label, r in results.items():
                rows.append((case, label, int(r["decisions"]),  # type: ignore[call-overload]
                             *(float(r[k]) for k in ("total", "walk", "total_cpu",  # type: ignore[arg-type]
                                                     "walk_cpu"))))
    header = ("case", "tree", "decisions", "study s", "decisions/s", "walk s", "walk dec/s",
              "study cpu s", "walk cpu s", "walk dec/cpu s")
    print(f"| {' | '.join(header)} |")
    print("|" + "---|" * len(header))
    for case, label, decisions, total, walked, total_cpu, walk_cpu in rows:
        print(f"| {case} | {label} | {decisions:,} | {total:.2f} | {decisions / total:,.0f} | "
              f"{walked:.2f} | {decisions / walked:,.0f} | {total_cpu:.2f} | {walk_cpu:.2f} | "
              f"{decisions / walk_cpu:,.0f} |")
    print(f"\nMinimum of {args.repeats} fresh processes per cell (imports excluded; wall and "
          "process CPU time, the latter less disturbed by a loaded machine); both trees "
          "printed identical study JSON.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
