"""Latency and heartbeat are always on: every tb run / tb universe run writes a telemetry
record outside the byte-identical core, with the heartbeat from the previous record."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from functions.tracer.app import run_tracer
from functions.universe.app import run_universe
from shared.bots.meter import Meter
from shared.contracts import TracerRun
from shared.store.telemetry import TELEMETRY_DIR, iter_telemetry, last_record, record_run
from tests.helpers.tree import snapshot
from tests.helpers.universe import AS_OF, small_universe

T1 = datetime(2026, 3, 2, 14, tzinfo=UTC)
METRICS = ("decisions_total", "decision_latency_ms", "heartbeat_age_ms", "errors_total",
           "config_version", "mode")


def _records(root: Path, stage: str) -> list[dict[str, object]]:
    return [r.model_dump(mode="json") for _, r in iter_telemetry(root, stage)]


def test_tb_run_records_latency_and_heartbeat_outside_the_artifacts(tmp_path: Path) -> None:
    first = run_tracer(seed=7, as_of=T1, artifacts_dir=tmp_path, notify=False)
    second = run_tracer(seed=7, as_of=T1 + timedelta(hours=1), artifacts_dir=tmp_path,
                        notify=False)
    records = _records(tmp_path, "tracer")
    assert [r["run_id"] for r in records] == [first.run.run_id, second.run.run_id]
    assert records[0]["heartbeat_age_ms"] is None  # nothing on file before the first run
    assert isinstance(records[1]["heartbeat_age_ms"], int)
    assert records[1]["previous_run_id"] == first.run.run_id
    assert {"decide", "persist", "total"} <= set(records[1]["stage_latency_ms"])  # type: ignore[arg-type]
    divergence = next(b for b in records[1]["bots"] if b["bot"] == "divergence")  # type: ignore[attr-defined]
    assert all(divergence[k] is not None for k in METRICS)
    # ... while the artifact (the byte-identical core) carries no latency
    run = TracerRun.model_validate_json(
        (tmp_path / second.paths["run"]).read_text(encoding="utf-8"))
    assert all(e.latency_ms is None for e in run.envelopes)
    assert all(m.decision_latency_ms is None for m in run.manifest.bots)


def test_telemetry_does_not_touch_the_byte_identical_core(tmp_path: Path) -> None:
    for name in ("a", "b"):
        run_tracer(seed=7, as_of=T1, artifacts_dir=tmp_path / name, notify=False)
    assert (tmp_path / "a" / TELEMETRY_DIR).is_dir()
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_tb_universe_run_records_telemetry_per_run_and_shard(tmp_path: Path) -> None:
    universe = small_universe(tmp_path)
    root = tmp_path / "out"
    run_universe(seed=7, as_of=AS_OF, artifacts_dir=root, universe=universe, notify=False,
                 progress_bar=False, code_sha="test")
    from shared.universe.sharding import Shard
    run_universe(seed=7, as_of=AS_OF, artifacts_dir=root, universe=universe, notify=False,
                 progress_bar=False, code_sha="test", shard=Shard(0, 2))
    whole = last_record(root, "universe")
    shard = last_record(root, "universe", "0/2")
    assert whole is not None and whole.shard is None and whole.bots
    assert shard is not None and shard.heartbeat_age_ms is None  # its own heartbeat line
    assert any(p.name == "universe-shard-0-of-2.jsonl"
               for p in (root / TELEMETRY_DIR).rglob("*.jsonl"))


def test_unreadable_telemetry_lines_are_skipped_not_fatal(tmp_path: Path) -> None:
    meter = Meter(clock=iter([0.0, 0.001] * 10).__next__)
    record_run(tmp_path, stage="tracer", run_id="a", as_of=T1, feed="synthetic",
               recorded_at=T1, bot_metrics=meter.bots, stage_latency_ms={"total": 1.0})
    path = next((tmp_path / TELEMETRY_DIR).rglob("tracer.jsonl"))
    path.write_text(path.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    later = record_run(tmp_path, stage="tracer", run_id="b", as_of=T1, feed="synthetic",
                       recorded_at=T1 + timedelta(seconds=90), bot_metrics=meter.bots,
                       stage_latency_ms={})
    assert later.heartbeat_age_ms == 90_000
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[-1])["run_id"] == "b" and len(lines) == 3
