"""Bounded reading of committed artifacts (issue 11): ``tb validate``, the readers and
``tb index rebuild`` refuse a file over the artifact size limit without reading it, and the
index is built atomically, leaving nothing behind when it fails."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from shared.errors import ArtifactError
from shared.store import index, readers
from shared.store.index import rebuild_index
from shared.store.limits import MAX_ARTIFACT_BYTES
from shared.store.validate import check_artifact_bytes, validate_tree
from tests.helpers.eval_fixtures import T0, make_forecast, make_tracer_run, write_run


def _oversize(path: Path) -> Path:
    # A sparse file just over the limit: instant to make, and reading it would be slow.
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(MAX_ARTIFACT_BYTES + 1)
    return path


def _run(root: Path, symbol: str = "BTC-USD") -> Path:
    return write_run(root, make_tracer_run(make_forecast(symbol, T0, 0.6), as_of=T0,
                                           symbol=symbol, feed="synthetic"))


def test_validate_refuses_an_oversize_file_unread_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = _oversize(tmp_path / "runs" / "2024-03-04" / "tracer-0123456789abcdef.inputs.json")
    _oversize(tmp_path / "eval_runs" / "metrics.csv")
    read = Path.read_bytes

    def guarded(path: Path) -> bytes:
        assert path != big, "an oversize file was read"
        return read(path)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    count, problems = validate_tree(tmp_path)
    assert count == 2 and len(problems) == 2
    for problem in problems:
        assert problem.message == (f"{MAX_ARTIFACT_BYTES + 1} bytes, over the "
                                   f"{MAX_ARTIFACT_BYTES}-byte limit for one artifact (GitHub "
                                   "refuses files over 100 MB); not read")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b\n1,2\n3\n4,5,6\n", ["line 3: 1 fields, header has 2",
                                  "line 4: 3 fields, header has 2"]),
        ("", ["empty CSV (no header)"]),
        ('a,b\n"x\ny",2\n', []),
    ],
)
def test_validate_reads_csv_row_by_row_with_the_same_verdicts(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = tmp_path / "eval_runs" / "x.csv"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    _, problems = validate_tree(tmp_path)
    on_disk = [f"{p.field}: {p.message}" if p.field else p.message for p in problems]
    before_write = [f"{p.field}: {p.message}" if p.field else p.message
                    for p in check_artifact_bytes("eval_runs/x.csv", text.encode())]
    assert on_disk == before_write == expected


def test_validate_reports_invalid_utf8_in_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "eval_runs" / "x.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"a,b\n\xff,1\n")
    (problem,) = validate_tree(tmp_path)[1]
    assert problem.message.startswith("not valid CSV:")


def test_readers_refuse_an_oversize_file(tmp_path: Path, caplog: pytest.LogCaptureFixture
                                         ) -> None:
    _run(tmp_path)
    big = _oversize(tmp_path / "runs" / T0.date().isoformat() / "tracer-ffffffffffffffff.json")
    with pytest.raises(ArtifactError, match="over the 50000000-byte limit"):
        readers.read_bytes(big)
    with caplog.at_level(logging.WARNING, logger="shared.store.readers"):
        assert [run.symbol for run in readers.tracer_runs(tmp_path)] == ["BTC-USD"]
    assert any("tracer-ffffffffffffffff.json" in r.getMessage() and "not read" in r.getMessage()
               for r in caplog.records)


def test_index_rebuild_skips_an_oversize_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    _run(tmp_path, "BTC-USD")
    _run(tmp_path, "ETH-USD")
    _oversize(tmp_path / "runs" / T0.date().isoformat() / "tracer-ffffffffffffffff.json")
    db = tmp_path / ".tb-cache" / "index.sqlite"
    assert rebuild_index(tmp_path, db) == {"runs": 2, "envelopes": 2, "universe_runs": 0,
                                           "observations": 0, "paper_fills": 0,
                                           "board_bots": 0}
    assert sorted(p.name for p in db.parent.iterdir()) == ["index.sqlite"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (2,)
    conn.close()


def test_index_rebuild_failure_leaves_nothing_behind_and_the_old_index_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(tmp_path, "BTC-USD")
    db = tmp_path / ".tb-cache" / "index.sqlite"
    rebuild_index(tmp_path, db)
    before = db.read_bytes()
    _run(tmp_path, "ETH-USD")

    def broken(*args: object) -> None:
        raise MemoryError("simulated")

    monkeypatch.setattr(index, "_insert", broken)
    with pytest.raises(MemoryError):
        rebuild_index(tmp_path, db)
    assert sorted(p.name for p in db.parent.iterdir()) == ["index.sqlite"]
    assert db.read_bytes() == before


def test_index_rebuild_removes_the_temp_file_older_versions_left(tmp_path: Path) -> None:
    db = tmp_path / ".tb-cache" / "index.sqlite"
    db.parent.mkdir(parents=True)
    (db.parent / "index.tmp").write_text("left by a crash")
    rebuild_index(tmp_path, db)
    assert sorted(p.name for p in db.parent.iterdir()) == ["index.sqlite"]
