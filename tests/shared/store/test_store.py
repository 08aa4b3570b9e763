"""The store: run identity, layout, readers, CSV append, the atomic writer, validation."""

from __future__ import annotations

import ast
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from functions.eval.persist import snapshot_json
from shared.contracts import TracerRun, canonical_json, sha256_hex
from shared.contracts.evaluation import MetricsSection
from shared.errors import ArtifactError
from shared.store import atomic, csvfile, identity, layout, readers
from shared.store.atomic import PendingFile, atomic_write_bytes
from shared.store.write import json_file, write_artifacts
from tests.helpers.eval_fixtures import T0, make_forecast, make_tracer_run, write_run

ROOT = Path(__file__).resolve().parents[3]
AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)


# -- identity ------------------------------------------------------------------------------

def test_run_id_tracer_matches_the_hand_derived_formula_and_is_pinned() -> None:
    fields = {"as_of": AS_OF, "code_version": "0.1.0", "config": "c" * 16, "feed": "synthetic",
              "inputs": "i" * 16, "seed": 7, "symbol": "BTC-USD"}
    expected = sha256_hex(canonical_json(fields))[:16]
    got = identity.run_id(as_of=AS_OF, code_version="0.1.0", config="c" * 16,
                          feed="synthetic", inputs="i" * 16, seed=7, symbol="BTC-USD")
    assert got == expected == "fd7752424f55ce47"


def test_run_id_universe_hashes_named_configs_without_a_symbol() -> None:
    configs = {"signal_bots": "a" * 16, "universe": "b" * 16}
    fields = {"as_of": AS_OF, "code_version": "0.1.0", "config": configs, "feed": "synthetic",
              "inputs": "i" * 16, "seed": 7}
    got = identity.run_id(as_of=AS_OF, code_version="0.1.0", config=configs,
                          feed="synthetic", inputs="i" * 16, seed=7)
    assert got == sha256_hex(canonical_json(fields))[:16]
    assert identity.is_run_id(got)


@pytest.mark.parametrize("field", ["as_of", "code_version", "config", "feed", "inputs", "seed"])
def test_run_id_changes_with_every_input(field: str) -> None:
    base: dict[str, object] = {"as_of": AS_OF, "code_version": "1", "config": "c", "feed": "f",
                               "inputs": "i", "seed": 1}
    changed = dict(base, **{field: AS_OF + timedelta(hours=1) if field == "as_of"
                            else 2 if field == "seed" else "other"})
    assert identity.run_id(**base) != identity.run_id(**changed)  # type: ignore[arg-type]


def test_code_version_is_the_installed_package_version() -> None:
    assert identity.code_version() != "" and identity.code_version() != "0+unknown"


def test_is_run_id_rejects_other_text() -> None:
    assert not identity.is_run_id("ABCDEF0123456789")
    assert not identity.is_run_id("abc")


# -- layout --------------------------------------------------------------------------------

def test_layout_paths() -> None:
    assert layout.tracer_run_paths(AS_OF, "ab" * 8) == {
        "run": "runs/2026-11-20/tracer-abababababababab.json",
        "inputs": "runs/2026-11-20/tracer-abababababababab.inputs.json",
        "bars": "runs/2026-11-20/tracer-abababababababab.bars.parquet",
    }
    run_file = layout.universe_run_path(AS_OF, "cd" * 8)
    assert run_file == "universe_runs/2026-11-20/" + "cd" * 8 + ".json"
    assert (layout.shard_partial_path(AS_OF, "ef" * 8, 2, 3)
            == "universe_runs/_shards/20261120T120000Z-" + "ef" * 8 + "/shard-2-of-3.json")
    assert layout.eval_snapshot_dir(AS_OF) == "eval_runs/daily/20261120T120000Z"
    assert layout.eval_snapshot_dir(AS_OF, "weekly") == "eval_runs/weekly/20261120T120000Z"
    assert layout.UNIVERSE_METRICS == "universe_runs/metrics.csv"
    paths = layout.EvalPaths(Path("/a"))
    assert paths.observations == Path("/a/eval_runs/observations.csv")
    assert paths.snapshot(AS_OF) == Path("/a/eval_runs/daily/20261120T120000Z")


def test_days_between_covers_every_folder_of_a_window() -> None:
    assert layout.days_between(AS_OF - timedelta(hours=37), AS_OF) == [
        date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]


def test_store_imports_no_stage_or_decision_code() -> None:
    forbidden = ("functions", "shared.pipeline", "shared.signal", "shared.bots")
    for path in sorted((ROOT / "shared" / "store").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"


# -- readers -------------------------------------------------------------------------------

def _runs(root: Path) -> list[str]:
    return sorted(run.symbol for run in readers.tracer_runs(root))


def test_readers_skip_half_written_and_invalid_files_with_a_warning(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good = write_run(tmp_path, make_tracer_run(make_forecast("BTC-USD", T0, 0.6), as_of=T0,
                                               symbol="BTC-USD", feed="synthetic"))
    day = good.parent
    (day / "tracer-half.json").write_text(good.read_text()[:120])
    (day / "tracer-invalid.json").write_text(json.dumps({"type": "tracer_run", "run_id": 1}))
    (day / ".tracer-x.json.abc.tmp").write_text("{")  # an atomic writer's temp file
    (day / "latest.json").write_text(json.dumps({"run_id": "x"}))  # another type: quiet
    with caplog.at_level(logging.WARNING, logger="shared.store.readers"):
        assert _runs(tmp_path) == ["BTC-USD"]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert any("tracer-half.json: not valid JSON, half-written" in w for w in warnings)
    assert any("tracer-invalid.json: invalid tracer_run" in w for w in warnings)


def test_readers_filter_by_day(tmp_path: Path) -> None:
    for hours, symbol in ((0, "BTC-USD"), (48, "ETH-USD")):
        at = T0 + timedelta(hours=hours)
        write_run(tmp_path, make_tracer_run(None, as_of=at, symbol=symbol, feed="synthetic"))
    assert _runs(tmp_path) == ["BTC-USD", "ETH-USD"]
    later = readers.tracer_runs(tmp_path, days=[(T0 + timedelta(days=2)).date()])
    assert [r.symbol for r in later] == ["ETH-USD"]
    assert readers.tracer_runs(tmp_path / "nothing") == []


def test_read_artifact_names_the_file_when_invalid_or_missing(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"type": "tracer_run"}))
    with pytest.raises(ArtifactError, match=r"x\.json: not a valid TracerRun record"):
        readers.read_artifact(path, TracerRun)
    with pytest.raises(ArtifactError, match="missing"):
        readers.read_bytes(tmp_path / "absent.json")


def test_find_tracer_run_by_id(tmp_path: Path) -> None:
    run = make_tracer_run(None, as_of=T0, symbol="BTC-USD", feed="synthetic")
    path = write_run(tmp_path, run)
    assert readers.find_tracer_run(tmp_path, run.run_id) == path
    with pytest.raises(ArtifactError, match="no recorded run"):
        readers.find_tracer_run(tmp_path, "0" * 16)


# -- the atomic writer ---------------------------------------------------------------------

def test_atomic_write_fsyncs_the_file_before_the_rename(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(str(Path(f"/proc/self/fd/{fd}").readlink()) if Path("/proc/self/fd").is_dir()
                      else str(fd))
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    target = tmp_path / "a" / "out.json"
    atomic_write_bytes(target, b"{}\n")
    assert target.read_bytes() == b"{}\n"
    assert synced, "nothing was fsynced"
    if Path("/proc/self/fd").is_dir():
        assert Path(synced[0]).name.startswith(".out.json.")  # the temp file, before rename
        assert synced[-1] == str(target.parent)  # then the folder, so the rename is durable
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.json"]


def test_atomic_write_failure_leaves_no_temp_file_and_the_old_content(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old\n")

    def broken(fd: int) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(atomic.os, "fsync", broken)
    with pytest.raises(OSError, match="I/O error"):
        atomic_write_bytes(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_artifacts_validates_everything_before_writing_anything(tmp_path: Path) -> None:
    run = make_tracer_run(None, as_of=T0, symbol="BTC-USD", feed="synthetic")
    good = json_file(layout.tracer_run_paths(T0, run.run_id)["run"], run)
    bad = PendingFile("runs/2024-01-01/tracer-bad.json", b'{"type": "tracer_run"}')
    with pytest.raises(ArtifactError, match=r"refusing to write a test batch:\n.*tracer-bad"):
        write_artifacts(tmp_path, [good, bad], label="a test batch")
    assert list(tmp_path.iterdir()) == []
    assert write_artifacts(tmp_path, [good]) == [tmp_path / good.relpath]


# -- CSV -----------------------------------------------------------------------------------

HEADER = ("key", "value")


def test_append_rows_skips_known_keys_and_keeps_existing_bytes(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    assert csvfile.append_rows(path, HEADER, [{"key": "a", "value": "1"}], key=("key",)) == 1
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # an edit that lost the last newline
    rows = [{"key": "a", "value": "9"}, {"key": "b", "value": "2"}, {"key": "b", "value": "3"}]
    assert csvfile.append_rows(path, HEADER, rows, key=("key",)) == 1
    assert path.read_text() == "key,value\na,1\nb,2\n"
    assert csvfile.append_rows(path, HEADER, rows, key=("key",)) == 0


def test_append_rows_refuses_another_header(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("other,header\n")
    with pytest.raises(ArtifactError, match="unexpected header"):
        csvfile.append_rows(path, HEADER, [{"key": "a", "value": "1"}], key=("key",))
    assert path.read_text() == "other,header\n"


def test_upsert_rows_replaces_by_key_and_sorts(tmp_path: Path) -> None:
    path = tmp_path / "trend.csv"
    csvfile.upsert_rows(path, HEADER, [{"key": "b", "value": "1"}], key=("key",))
    csvfile.upsert_rows(path, HEADER, [{"key": "a", "value": "1"}], key=("key",))
    csvfile.upsert_rows(path, HEADER, [{"key": "b", "value": "2"}], key=("key",))
    assert path.read_text() == "key,value\na,1\nb,2\n"


_APPENDER = """
import sys
from pathlib import Path
from shared.store.csvfile import append_rows
path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(count):
    append_rows(path, ("key", "value"), [{"key": f"{name}-{i}", "value": str(i)}], key=("key",))
"""


def test_append_rows_from_two_processes_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "eval_runs" / "observations.csv"
    count = 60
    procs = [subprocess.Popen([sys.executable, "-c", _APPENDER, str(path), name, str(count)],
                              cwd=ROOT) for name in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    rows = csvfile.read_rows(path)
    assert len(rows) == 2 * count
    assert {r["key"] for r in rows} == {f"{n}-{i}" for n in "ab" for i in range(count)}
    assert path.read_text().count("key,value") == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["observations.csv"]


# -- the evaluation snapshot contract --------------------------------------------------------

def test_eval_snapshot_accepts_an_undefined_interval() -> None:
    section = MetricsSection.model_validate_json(json.dumps(
        {"n": 3, "brier_skill_vs_climatology": None,
         "ci": {"brier": [0.1, 0.2], "brier_skill_vs_climatology": None}}))
    assert section.ci["brier_skill_vs_climatology"] is None


def test_snapshot_json_leaves_sections_that_do_not_apply_absent() -> None:
    from functions.eval.metrics import build_snapshot

    snapshot = build_snapshot([], as_of=AS_OF, kind="daily")
    doc = json.loads(snapshot_json(snapshot.metrics))
    assert doc["schema_version"] == "1" and doc["type"] == "eval_snapshot"
    assert doc["price"] == {"n": 0, "excluded_no_climatology": 0}
    assert doc["last_7d"] == {"n": 0}
    assert "polymarket" not in doc and "data_warning" not in doc
