"""Concurrent ``tb eval ingest`` from two checkouts of one remote: duplicate keys after merge.

Run from the repository root:

    .venv/bin/python -m bench.concurrency.run                 # 10 trials
    .venv/bin/python -m bench.concurrency.run --legacy        # the plain row union, to compare

Each trial makes a bare repo (the remote) holding three universe runs, clones it twice, and
runs ``tb eval ingest`` at two different as-of times, one per clone, each followed by
``python autocommit.py --stage eval-ingest --path eval_runs``, both pipelines at once. The two
ingests resolve the same forecasts (their rows differ in ``resolved_at``), so the second push
always meets a rebase conflict on ``eval_runs/observations.csv``. Then it counts, in the
remote's tip, the rows of every keyed table (:mod:`shared.store.tables`) whose key an earlier
row holds, and runs ``tb validate`` on a fresh clone. ``--legacy`` resolves conflicts by the
plain row union autocommit used before the tables were keyed. Prints one line per trial and
a JSON summary; exits 1 when any trial left a duplicate or an invalid tree.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shared.store.tables import KEYED_TABLES, duplicate_keys

ROOT = Path(__file__).resolve().parents[2]
TB = Path(sys.executable).with_name("tb")
RUN_TIMES = ("2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z", "2026-03-02T14:00:00Z")
INGEST_TIMES = ("2026-03-09T12:00:00Z", "2026-03-09T13:00:00Z")
_LEGACY = ("import sys, autocommit; autocommit.table_for = lambda name: None; "
           "sys.exit(autocommit.main(sys.argv[1:]))")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return _run(["git", *args], cwd, env)


def _pipeline(clone: Path, as_of: str, env: dict[str, str], legacy: bool) -> None:
    _run([str(TB), "eval", "ingest", "--as-of", as_of, "--artifacts-dir", "."], clone, env)
    commit = ["--stage", "eval-ingest", "--path", "eval_runs", "--run-id", as_of,
              "--backoff-secs", "0.2"]
    if legacy:
        _run([sys.executable, "-c", _LEGACY, *commit], clone, env)
    else:
        _run([sys.executable, str(ROOT / "autocommit.py"), *commit], clone, env)


def trial(work: Path, env: dict[str, str], *, legacy: bool) -> dict[str, object]:
    """One trial in ``work``; returns the duplicate count per table and validate's verdict."""
    bare, seed = work / "remote.git", work / "seed"
    _git(work, env, "init", "-q", "--bare", "-b", "main", str(bare))
    _git(work, env, "clone", "-q", str(bare), str(seed))
    for as_of in RUN_TIMES:
        _run([str(TB), "universe", "run", "--seed", "7", "--as-of", as_of, "--artifacts-dir",
              ".", "--no-notify"], seed, env)
    _git(seed, env, "add", "-A")
    _git(seed, env, "commit", "-q", "-m", "seed")
    _git(seed, env, "push", "-q", "origin", "HEAD:main")
    clones = [work / "a", work / "b"]
    for clone in clones:
        _git(work, env, "clone", "-q", str(bare), str(clone))
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda pair: _pipeline(pair[0], pair[1], env, legacy),
                      zip(clones, INGEST_TIMES, strict=True)))
    check = work / "check"
    _git(work, env, "clone", "-q", str(bare), str(check))
    duplicates = {}
    for spec in KEYED_TABLES:
        path = check / spec.path
        if path.is_file():
            duplicates[spec.path] = len(duplicate_keys(spec, path.read_text(encoding="utf-8")))
    valid = subprocess.run([str(TB), "validate", "--artifacts-dir", "."], cwd=check, env=env,
                           capture_output=True, text=True, check=False).returncode == 0
    commits = int(_git(check, env, "rev-list", "--count", "main").strip())
    return {"duplicates": duplicates, "valid": valid, "commits": commits}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--legacy", action="store_true",
                        help="merge conflicts by plain row union (the old autocommit)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tb-bench-concurrency-") as tmp:
        env = {**os.environ, "GIT_CONFIG_GLOBAL": str(Path(tmp) / "gitconfig"),
               "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "bench",
               "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "bench",
               "GIT_COMMITTER_EMAIL": "bench@example.com", "PYTHONPATH": str(ROOT)}
        env.pop("AUTOCOMMIT_TOKEN", None)
        results = []
        for number in range(1, args.trials + 1):
            work = Path(tmp) / f"trial-{number}"
            work.mkdir()
            result = trial(work, env, legacy=args.legacy)
            results.append(result)
            print(f"trial {number}: duplicates {result['duplicates']} valid={result['valid']} "
                  f"commits={result['commits']}", flush=True)
    with_duplicates = sum(1 for r in results if any(r["duplicates"].values()))  # type: ignore[attr-defined]
    total = sum(sum(r["duplicates"].values()) for r in results)  # type: ignore[attr-defined]
    invalid = sum(1 for r in results if not r["valid"])
    print(json.dumps({"merge": "row union (legacy)" if args.legacy else "by key",
                      "trials": args.trials, "trials_with_duplicates": with_duplicates,
                      "duplicate_rows": total, "invalid_trees": invalid}, sort_keys=True))
    return 1 if with_duplicates or invalid else 0


if __name__ == "__main__":
    sys.exit(main())
