"""One bad committed file never stops a stage, and a killed write leaves nothing behind.

* Quarantine: a truncated tracer run in the cooldown window, a half ``metrics.csv`` row, a bad
  run file and a short observation row are passed over, recorded in the stage's
  ``quarantine.csv`` (``ARTIFACT_QUARANTINED``), named by ``tb validate`` (which accepts them)
  and the stage goes on, degraded.
* Crash leftovers: a writer SIGKILLed before its rename leaves its temp file; ``tb validate``
  reports it, the next run of the stage removes it (never a live writer's), and the tree is
  valid again. Killing real ``tb universe run`` / ``tb eval ingest`` processes at random moments
  leaves a tree that the next run repairs.
* Keyed tables: ``tb validate`` reports a duplicate key.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from functions.cli import cli
from shared.contracts import TracerRun
from shared.contracts.universe import UniverseRun
from shared.store import hygiene
from shared.store.validate import check_tree

T0 = "2026-03-02T12:00:00Z"
T1 = "2026-03-02T13:00:00Z"
INGEST_AT = "2026-03-09T12:00:00Z"


def _tb(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _quarantine_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------- quarantine


def test_truncated_run_in_cooldown_window_is_quarantined_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    root = tmp_path / "art"
    assert _tb("run", "--seed", "7", "--as-of", T0, "--artifacts-dir", str(root),
               "--no-notify").exit_code == 0
    (first,) = [p for p in root.glob("runs/*/tracer-*.json")
                if not p.name.endswith(".inputs.json")]
    first.write_bytes(first.read_bytes()[:200])  # a torn copy in the cooldown window

    done = _tb("run", "--seed", "7", "--as-of", T1, "--artifacts-dir", str(root), "--no-notify")

    assert done.exit_code == 0, done.output
    later = [p for p in root.glob("runs/*/tracer-*.json")
             if not p.name.endswith(".inputs.json") and p != first]
    run = TracerRun.model_validate_json(later[0].read_bytes())
    assert "ARTIFACT_QUARANTINED" in run.manifest.degraded_reasons
    status = {s.provider: s for s in run.manifest.provider_statuses}["artifacts"]
    assert first.relative_to(root).as_posix() in status.detail
    (row,) = _quarantine_rows(root / "runs" / "quarantine.csv")
    assert row["path"] == first.relative_to(root).as_posix()
    assert row["reason_code"] == "ARTIFACT_QUARANTINED" and row["found_by"] == "tracer"
    assert "not valid JSON" in row["detail"]

    report = check_tree(root)
    assert report.problems == []
    assert [p.path for p in report.quarantined] == [row["path"]]
    checked = _tb("validate", "--artifacts-dir", str(root))
    assert checked.exit_code == 0 and f"QUARANTINED {row['path']}" in checked.output

    # A re-run records nothing new (keyed by path and digest): the tree is unchanged.
    before = (root / "runs" / "quarantine.csv").read_bytes()
    assert _tb("run", "--seed", "7", "--as-of", T1, "--artifacts-dir", str(root),
               "--no-notify").exit_code == 0
    assert (root / "runs" / "quarantine.csv").read_bytes() == before


def test_half_metrics_row_is_moved_to_quarantine_and_universe_runs_go_on(
    tmp_path: Path,
) -> None:
    root = tmp_path / "art"
    assert _tb("universe", "run", "--seed", "7", "--as-of", T0, "--artifacts-dir", str(root),
               "--no-notify").exit_code == 0
    metrics = root / "universe_runs" / "metrics.csv"
    whole = metrics.read_text(encoding="utf-8")
    metrics.write_text(whole + "0123456789abcdef,2026-03-02T1", encoding="utf-8")

    done = _tb("universe", "run", "--seed", "7", "--as-of", T1, "--artifacts-dir", str(root),
               "--no-notify")

    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(metrics.read_text(encoding="utf-8"))))
    assert len(rows) == 2 and all(len(r) == len(rows[0]) for r in rows)
    assert rows[1]["degraded_reasons"] == "ARTIFACT_QUARANTINED"
    runs = [UniverseRun.model_validate_json(p.read_bytes())
            for p in root.glob("universe_runs/2026-*/*.json")]
    later = max(runs, key=lambda r: r.as_of)
    assert later.manifest.degraded_reasons == ("ARTIFACT_QUARANTINED",)
    (row,) = _quarantine_rows(root / "universe_runs" / "quarantine.csv")
    assert row["path"] == "universe_runs/metrics.csv"
    assert "0123456789abcdef,2026-03-02T1" in row["detail"]  # the row's text is kept
    assert _tb("validate", "--artifacts-dir", str(root)).exit_code == 0


def test_bad_run_file_and_short_observation_row_do_not_stop_eval_ingest(
    tmp_path: Path,
) -> None:
    root = tmp_path / "art"
    for as_of in (T0, T1):
        assert _tb("universe", "run", "--seed", "7", "--as-of", as_of, "--artifacts-dir",
                   str(root), "--no-notify").exit_code == 0
    assert _tb("eval", "ingest", "--as-of", INGEST_AT, "--artifacts-dir",
               str(root)).exit_code == 0
    observations = root / "eval_runs" / "observations.csv"
    lines = observations.read_text(encoding="utf-8").splitlines(keepends=True)
    short = lines[-1][:40]
    observations.write_text("".join(lines[:-1]) + short, encoding="utf-8")  # a torn last row
    bad_run = sorted(root.glob("universe_runs/2026-*/*.json"))[0]
    bad_run.write_text('{"type": "universe_run", "run_id": "x"}', encoding="utf-8")

    done = _tb("eval", "ingest", "--as-of", INGEST_AT, "--artifacts-dir", str(root))

    assert done.exit_code == 0, done.output
    summary = json.loads(done.output)
    assert summary["degraded"] is True
    assert summary["degraded_reasons"] == ["ARTIFACT_QUARANTINED"]
    assert set(summary["quarantined"]) == {"eval_runs/observations.csv",
                                           bad_run.relative_to(root).as_posix()}
    # The torn row left the table, and its forecast (from a good run) was resolved again.
    rows = list(csv.reader(io.StringIO(observations.read_text(encoding="utf-8"))))
    assert all(len(row) == len(rows[0]) for row in rows)
    ids = [row[0] for row in rows[1:]]
    assert len(ids) == len(set(ids)) and any(short.startswith(i[:30]) for i in ids)
    report = check_tree(root)
    assert report.problems == []
    assert [p.path for p in report.quarantined] == [bad_run.relative_to(root).as_posix()]


def test_validate_reports_a_duplicate_key(tmp_path: Path) -> None:
    table = tmp_path / "eval_runs" / "trend.csv"
    table.parent.mkdir(parents=True)
    table.write_text("as_of,kind,n\nT1,daily,3\nT1,weekly,3\nT1,daily,4\n", encoding="utf-8")

    done = _tb("validate", "--artifacts-dir", str(tmp_path))

    assert done.exit_code == 1
    assert "INVALID eval_runs/trend.csv [line 4]: duplicate key as_of,kind=T1,daily" \
        in done.output


# ---------------------------------------------------------------- crash leftovers

_STALLED_WRITER = """
import os, sys, time
from pathlib import Path
from shared.store import atomic

def stall(fd):  # the bytes are written; stop before the rename, as a kill would find it
    print("written", flush=True)
    time.sleep(600)

atomic.os.fsync = stall
atomic.atomic_write_bytes(Path(sys.argv[1]), b"forecast_id,y\\n" + b"f,1\\n" * 2_000_000)
"""


def _stalled_writer(target: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", _STALLED_WRITER, str(target)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "written"
    return child


def test_sigkilled_write_leaves_a_temp_file_that_validate_reports_and_next_run_removes(
    tmp_path: Path,
) -> None:
    root = tmp_path / "art"
    target = root / "eval_runs" / "observations.csv"
    child = _stalled_writer(target)
    (temp,) = hygiene.leftovers(root)
    assert temp.name.startswith(".observations.csv.") and temp.stat().st_size > 1_000_000

    # While its writer lives, the temp file is never taken for a leftover.
    assert hygiene.remove_leftovers(root, "eval_runs") == []
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.stdout is not None
    child.stdout.close()

    assert not target.exists() and temp.exists()
    checked = _tb("validate", "--artifacts-dir", str(root))
    assert checked.exit_code == 1
    assert "temp file left by an interrupted write" in checked.output
    assert _tb("eval", "ingest", "--as-of", INGEST_AT, "--artifacts-dir",
               str(root)).exit_code == 0
    assert not temp.exists() and hygiene.leftovers(root) == []
    assert _tb("validate", "--artifacts-dir", str(root)).exit_code == 0


def test_orphaned_siblings_are_named_without_failing(tmp_path: Path) -> None:
    root = tmp_path / "art"
    assert _tb("run", "--seed", "7", "--as-of", T0, "--artifacts-dir", str(root),
               "--no-notify").exit_code == 0
    (run_file,) = [p for p in root.glob("runs/*/tracer-*.json")
                   if not p.name.endswith(".inputs.json")]
    run_file.unlink()  # killed between the siblings and the run file

    done = _tb("validate", "--artifacts-dir", str(root))

    assert done.exit_code == 0
    stem = run_file.relative_to(root).as_posix()[: -len(".json")]
    assert list(root.glob("runs/bars/*.parquet"))  # slices are shared, never orphans
    assert f"ORPHANED {stem}.inputs.json" in done.output


def _kill_at_random(args: list[str], rng: random.Random) -> None:
    exe = Path(sys.executable).with_name("tb")
    child = subprocess.Popen([str(exe), *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.2, 2.5))
    child.send_signal(signal.SIGKILL)
    child.wait()


@pytest.mark.timeout(600)
def test_sigkill_at_any_moment_then_next_run_leaves_a_valid_tree(tmp_path: Path) -> None:
    # The external check of issue 11: SIGKILL at any moment of `tb universe run` / `tb eval
    # ingest` into one artifacts dir, then the next run of the stage: `tb validate` accepts
    # the tree, every CSV is whole, no temp file is left.
    root = tmp_path / "art"
    art = ["--artifacts-dir", str(root)]
    rng = random.Random(11)
    hours = [f"2026-03-02T{h:02d}:00:00Z" for h in range(8, 14)]
    for number, hour in enumerate(hours):
        _kill_at_random(["universe", "run", "--seed", "7", "--as-of", hour, "--no-notify",
                         *art], rng)
        assert _tb("universe", "run", "--seed", "7", "--as-of", hour, "--no-notify",
                   *art).exit_code == 0
        ingest_at = f"2026-03-0{3 + number}T12:00:00Z"
        _kill_at_random(["eval", "ingest", "--as-of", ingest_at, *art], rng)
        assert _tb("eval", "ingest", "--as-of", ingest_at, *art).exit_code == 0
        report = check_tree(root)
        assert report.problems == [], report.problems
        assert hygiene.leftovers(root) == []
    metrics = list(csv.DictReader(io.StringIO(
        (root / "universe_runs" / "metrics.csv").read_text(encoding="utf-8"))))
    assert len(metrics) == len(hours)
