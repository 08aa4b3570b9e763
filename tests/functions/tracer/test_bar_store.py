"""Bars recorded once: tracer runs write content-addressed day slices (runs/bars/<sha256>),
consecutive runs share the slices of past days, replay stays identical, and runs recorded
before the store (one bars file per run) still validate and replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.tracer.compact import compact
from functions.tracer.persist import stored_form, write_result
from functions.tracer.replay import replay_run
from functions.tracer.run import TracerRequest, run
from shared.contracts import sha256_hex
from shared.pipeline.build import build_offline_sources
from shared.pipeline.settings import load_pipeline_settings
from shared.reason_codes import default_registry
from shared.store.atomic import PendingFile, parquet_bytes
from shared.store.bars import BARS_REF, is_slice_path, join_slices, slice_bars
from shared.store.layout import tracer_run_paths
from shared.store.validate import validate_tree
from shared.store.write import json_file, write_artifacts

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 3, 2, 14, tzinfo=UTC)


def _result(as_of: datetime):  # type: ignore[no-untyped-def]
    request = TracerRequest(as_of=as_of, seed=7,
                            settings=load_pipeline_settings(ROOT / "config"))
    sources = build_offline_sources("synthetic", seed=7, config=request.settings)
    return run(request, sources=sources, registry=default_registry())


def test_consecutive_runs_share_past_day_slices_and_replay_identically(tmp_path: Path) -> None:
    first, second = _result(T0), _result(T0 + timedelta(hours=1))
    write_result(tmp_path, first)
    before = set(tmp_path.glob("runs/bars/*.parquet"))
    written = write_result(tmp_path, second)[1]
    after = set(tmp_path.glob("runs/bars/*.parquet"))
    new = after - before
    # only the window's first and last (partial) days are new bytes; full days are reused
    assert 1 <= len(new) <= 2 < len(before)
    assert {p for p in written if p.suffix == ".parquet"} == new
    for result in (first, second):
        stored = stored_form(result)
        assert stored.run.run_id == result.run.run_id  # ids digest the whole window
        assert stored.inputs.bars_file == BARS_REF
        assert not any(name.endswith(".bars.parquet") for name in stored.run.manifest.files)
        report = replay_run(result.run.run_id, tmp_path)
        assert report.identical, report.differences
    assert validate_tree(tmp_path)[1] == []


def test_a_run_recorded_with_its_bars_inline_still_validates_and_replays(tmp_path: Path) -> None:
    result = _result(T0)
    paths = tracer_run_paths(result.run.as_of, result.run.run_id)
    # the layout before the bar store, as the old write_result wrote it
    write_artifacts(tmp_path, [
        PendingFile(paths["bars"], result.bars_parquet),
        json_file(paths["inputs"], result.inputs),
        json_file(paths["run"], result.run),
    ])
    assert (tmp_path / paths["bars"]).exists() and not (tmp_path / "runs" / "bars").exists()
    assert validate_tree(tmp_path) == (3, [])
    report = replay_run(result.run.run_id, tmp_path)
    assert report.identical, report.differences


def test_a_tampered_slice_is_a_replay_difference(tmp_path: Path) -> None:
    result = _result(T0)
    write_result(tmp_path, result)
    victim = sorted(tmp_path.glob("runs/bars/*.parquet"))[-1]
    frame = pd.read_parquet(victim)
    victim.write_bytes(parquet_bytes(frame.assign(volume=frame["volume"] + 1.0)))
    report = replay_run(result.run.run_id, tmp_path)
    assert not report.identical
    assert any("sha256 does not match" in d for d in report.differences)


@settings(max_examples=25, deadline=None)
@given(hours=st.integers(min_value=0, max_value=400), offset=st.integers(0, 23))
def test_slices_rebuild_the_window_byte_for_byte(hours: int, offset: int) -> None:
    start = pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(hours=offset)
    starts = pd.date_range(start, periods=hours, freq="h", tz="UTC")
    closes = [100.0 + i for i in range(hours)]
    frame = pd.DataFrame({
        "symbol": "BTC-USD", "start": starts, "end": starts + pd.Timedelta(hours=1),
        "open": closes, "high": [c + 1 for c in closes], "low": [c - 1 for c in closes],
        "close": closes, "volume": [1.0] * hours,
    })
    if hours == 0:
        frame = frame.astype({"start": "datetime64[ns, UTC]", "end": "datetime64[ns, UTC]"})
    slices = slice_bars(frame)
    assert all(is_slice_path(f.relpath) and f.relpath.endswith(f"{sha256_hex(f.data)}.parquet")
               for f in slices)
    joined = join_slices((f.relpath, f.data) for f in slices)
    assert parquet_bytes(joined) == parquet_bytes(frame)
    assert len(slices) == max(1, len({t.date() for t in starts}))


def _old_layout(root: Path, as_of: datetime) -> str:
    result = _result(as_of)
    paths = tracer_run_paths(result.run.as_of, result.run.run_id)
    write_artifacts(root, [PendingFile(paths["bars"], result.bars_parquet),
                           json_file(paths["inputs"], result.inputs),
                           json_file(paths["run"], result.run)])
    return str(result.run.run_id)


def test_compact_moves_old_inline_bars_into_the_store_and_replay_stays_identical(
    tmp_path: Path,
) -> None:
    ids = [_old_layout(tmp_path, T0 + timedelta(hours=h)) for h in range(10)]
    recent = _old_layout(tmp_path, T0 + timedelta(days=10))
    stray = tmp_path / "runs" / "bars" / f"{'0' * 64}.parquet"  # a killed run's leftover
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"PAR1")
    as_of = T0 + timedelta(days=10, hours=1)

    dry = compact(tmp_path, as_of=as_of, keep_days=7, dry_run=True)
    assert (len(dry.runs_migrated), dry.slices_removed) == (10, 1)
    assert stray.exists() and len(list(tmp_path.glob("runs/*/*.bars.parquet"))) == 11

    done = compact(tmp_path, as_of=as_of, keep_days=7, dry_run=False)
    assert sorted(done.runs_migrated) == sorted(ids)
    assert done.bytes_after < done.bytes_before  # ten hourly runs share their past days
    assert not stray.exists()
    left = [p.name for p in tmp_path.glob("runs/*/*.bars.parquet")]
    assert left == [f"tracer-{recent}.bars.parquet"]  # younger than --keep-days: untouched
    assert validate_tree(tmp_path)[1] == []
    for run_id in [*ids, recent]:
        report = replay_run(run_id, tmp_path)
        assert report.identical, (run_id, report.differences)
    # a compacted run is byte for byte what the store writes for that run today
    fresh = tmp_path / "fresh"
    write_result(fresh, _result(T0))
    (run_file,) = fresh.glob("runs/*/tracer-*[!s].json")
    assert (tmp_path / run_file.relative_to(fresh)).read_bytes() == run_file.read_bytes()
    again = compact(tmp_path, as_of=as_of, keep_days=7, dry_run=False)
    assert (again.runs_migrated, again.slices_removed) == ([], 0)
