"""Sharding: a deterministic partition, and merging n shards equals the unsharded run, byte
for byte, over the whole artifacts tree."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.universe.app import merge_universe, run_universe
from shared.contracts.universe import UniverseRun
from shared.errors import ArtifactError, ConfigError
from shared.store.validate import validate_tree
from shared.universe.config import UniverseConfig
from shared.universe.sharding import Shard, parse_shard
from tests.helpers.tree import snapshot, tb
from tests.helpers.universe import (
    AS_OF,
    AS_OF_TEXT,
    FIXTURE,
    SETTINGS,
    copy_home,
    small_universe,
)


@given(st.lists(st.text("ABCDEFGHIJ", min_size=1, max_size=4), unique=True, max_size=40),
       st.integers(min_value=1, max_value=12), st.booleans())
def test_shards_partition_every_symbol_exactly_once(symbols: list[str], count: int,
                                                    one_based: bool) -> None:
    ordered = sorted(symbols)
    indexes = range(1, count + 1) if one_based else range(count)
    slices = [parse_shard(f"{i}/{count}").take(ordered) for i in indexes]
    flat = [s for part in slices for s in part]
    assert sorted(flat) == ordered
    assert len(flat) == len(set(flat))


@pytest.mark.parametrize("text", ["0/0", "5/4", "-1/4", "a/4", "1/", "2"])
def test_parse_shard_rejects_bad_values(text: str) -> None:
    with pytest.raises(ConfigError, match="--shard"):
        parse_shard(text)


def test_parse_shard_one_based_last_equals_zero_based_first() -> None:
    assert parse_shard("4/4").position == parse_shard("0/4").position == 0
    assert Shard(3, 4).take(list("abcdefg")) == ["d"]


def _run(root: Path, universe: UniverseConfig, shard: str | None = None,
         fixture: Path | None = FIXTURE, seed: int = 7) -> None:
    run_universe(seed=seed, as_of=AS_OF, artifacts_dir=root, universe=universe, notify=False,
                 shard=parse_shard(shard) if shard else None, polymarket_fixture=fixture,
                 progress_bar=False, settings=SETTINGS, code_sha="test")


@pytest.fixture(scope="module")
def unsharded(tmp_path_factory: pytest.TempPathFactory) -> tuple[UniverseConfig, dict[str, bytes]]:
    base = tmp_path_factory.mktemp("unsharded")
    universe = small_universe(base)
    root = base / "artifacts"
    _run(root, universe)
    count, problems = validate_tree(root)
    assert count == 2 and problems == []
    return universe, snapshot(root)


@pytest.mark.parametrize("count", [1, 2, 3, 4])
@pytest.mark.parametrize("one_based", [True, False], ids=["1-based", "0-based"])
def test_merge_of_n_shards_equals_unsharded_byte_for_byte(
        tmp_path: Path, unsharded: tuple[UniverseConfig, dict[str, bytes]], count: int,
        one_based: bool) -> None:
    universe, expected = unsharded
    indexes = range(1, count + 1) if one_based else range(count)
    for i in reversed(indexes):  # order of arrival must not matter
        _run(tmp_path, universe, f"{i}/{count}")
    partials = [p for p in snapshot(tmp_path) if "/_shards/" in p]
    assert len(partials) == count
    assert validate_tree(tmp_path)[1] == []
    merged = merge_universe(tmp_path)
    assert len(merged) == 1
    assert snapshot(tmp_path) == expected
    assert validate_tree(tmp_path)[1] == []
    assert not (tmp_path / "universe_runs" / "_shards").exists()


def test_merge_twice_is_a_no_op(tmp_path: Path,
                                unsharded: tuple[UniverseConfig, dict[str, bytes]]) -> None:
    universe, expected = unsharded
    for i in (1, 2):
        _run(tmp_path, universe, f"{i}/2")
    merge_universe(tmp_path)
    assert merge_universe(tmp_path) == []
    assert snapshot(tmp_path) == expected


def test_merge_incomplete_set_names_missing_shard_and_writes_nothing(
        tmp_path: Path, unsharded: tuple[UniverseConfig, dict[str, bytes]]) -> None:
    universe, _ = unsharded
    _run(tmp_path, universe, "1/3")
    _run(tmp_path, universe, "3/3")
    before = snapshot(tmp_path)
    with pytest.raises(ArtifactError) as info:
        merge_universe(tmp_path)
    assert "2 of 3 shards present" in str(info.value)
    assert "shard-2-of-3.json (--shard 2/3 or 2/3)" in str(info.value)
    assert snapshot(tmp_path) == before


def test_merge_inconsistent_set_names_the_field_and_keeps_partials(
        tmp_path: Path, unsharded: tuple[UniverseConfig, dict[str, bytes]]) -> None:
    universe, _ = unsharded
    _run(tmp_path, universe, "1/2")
    _run(tmp_path, universe, "2/2", seed=8)
    before = snapshot(tmp_path)
    with pytest.raises(ArtifactError, match=r"partials disagree on seed \(shard 2/2: 8, "
                       r"shard 1/2: 7\)"):
        merge_universe(tmp_path)
    assert snapshot(tmp_path) == before


def test_merge_refuses_a_partial_moved_to_the_wrong_name(
        tmp_path: Path, unsharded: tuple[UniverseConfig, dict[str, bytes]]) -> None:
    universe, _ = unsharded
    _run(tmp_path, universe, "1/2")
    (path,) = (tmp_path / "universe_runs" / "_shards").glob("*/*.json")
    shutil.move(path, path.with_name("shard-0-of-2.json"))
    with pytest.raises(ArtifactError, match="belongs at"):
        merge_universe(tmp_path)


def test_unsharded_rerun_appends_no_duplicate_metrics_row(
        tmp_path: Path, unsharded: tuple[UniverseConfig, dict[str, bytes]]) -> None:
    universe, expected = unsharded
    _run(tmp_path, universe)
    _run(tmp_path, universe)
    assert snapshot(tmp_path) == expected
    rows = list(csv.DictReader(io.StringIO(
        (tmp_path / "universe_runs" / "metrics.csv").read_text())))
    assert len(rows) == 1
    assert rows[0]["wall_secs"] == "" and rows[0]["secs_per_symbol"] == ""


def test_second_run_at_another_hour_appends_a_second_row(
        tmp_path: Path, unsharded: tuple[UniverseConfig, dict[str, bytes]]) -> None:
    universe, _ = unsharded
    _run(tmp_path, universe)
    run_universe(seed=7, as_of=AS_OF.replace(hour=19), artifacts_dir=tmp_path,
                 universe=universe, notify=False, progress_bar=False, settings=SETTINGS,
                 code_sha="test")
    rows = list(csv.DictReader(io.StringIO(
        (tmp_path / "universe_runs" / "metrics.csv").read_text())))
    assert [r["as_of"] for r in rows] == ["2026-03-03T18:00:00Z", "2026-03-03T19:00:00Z"]
    assert len({r["run_id"] for r in rows}) == 2
    assert validate_tree(tmp_path)[1] == []


def test_unsharded_artifact_holds_every_symbol_and_polymarket(
        unsharded: tuple[UniverseConfig, dict[str, bytes]]) -> None:
    universe, files = unsharded
    (name,) = [n for n in files if n.startswith("universe_runs/2026-03-03/")]
    run = UniverseRun.model_validate_json(files[name])
    assert name == f"universe_runs/2026-03-03/{run.run_id}.json"
    assert [r.symbol for r in run.symbols] == sorted(s.symbol for s in universe.symbols)
    assert all(r.outcome is not None and r.forecast is not None for r in run.symbols
               if r.state.value == "evaluated")
    for record in run.symbols:
        kept = record.outcome is not None and record.outcome.status.value in (
            "triggered", "suppressed")
        assert bool(record.envelopes) == kept
    assert run.polymarket.source == "fixture" and run.polymarket.compared >= 3
    assert run.manifest.stage == "universe" and run.manifest.files == {}
    assert len(files[name]) < 150_000
    doc = json.loads(files[name])
    assert "bars" not in json.dumps(doc["symbols"][0]).replace("bars_count", "")


def test_cli_shards_then_merge_equals_cli_unsharded(tmp_path: Path) -> None:
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    env = copy_home(tmp_path)
    done = tb("universe", "run", "--seed", "3", "--as-of", AS_OF_TEXT, "--artifacts-dir",
              str(whole), "--no-notify", env=env)
    assert done.returncode == 0, done.stderr
    assert "\ntrace " in done.stdout and "`" not in done.stdout  # plain text on a terminal
    for i in ("0", "1"):
        done = tb("universe", "run", "--seed", "3", "--as-of", AS_OF_TEXT, "--artifacts-dir",
                  str(sharded), "--shard", f"{i}/2", env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""  # a shard prints no digest
    done = tb("universe", "merge", "--artifacts-dir", str(sharded), env=env)
    assert done.returncode == 0, done.stderr
    assert snapshot(sharded) == snapshot(whole)
    done = tb("validate", "--artifacts-dir", str(sharded))
    assert done.returncode == 0, done.stdout + done.stderr
    done = tb("universe", "merge", "--artifacts-dir", str(sharded))
    assert done.returncode == 0 and "nothing to merge" in done.stderr


def test_cli_bad_shard_is_a_usage_error(tmp_path: Path) -> None:
    done = tb("universe", "run", "--as-of", AS_OF_TEXT, "--artifacts-dir", str(tmp_path),
              "--shard", "5/4")
    assert done.returncode == 2
    assert "--shard 5/4: the index must be between 0 and 4" in done.stderr
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_timings_fill_the_metrics_columns_only_when_asked(
        tmp_path: Path, unsharded: tuple[UniverseConfig, dict[str, bytes]]) -> None:
    universe, _ = unsharded
    ticks = iter(float(i) for i in range(10_000))
    for i in (1, 2):
        run_universe(seed=7, as_of=AS_OF, artifacts_dir=tmp_path, universe=universe,
                     notify=False, shard=parse_shard(f"{i}/2"), progress_bar=False,
                     settings=SETTINGS, code_sha="test", timer=lambda: next(ticks))
    (run,) = merge_universe(tmp_path)
    row = next(csv.DictReader(io.StringIO(
        (tmp_path / "universe_runs" / "metrics.csv").read_text())))
    assert row["run_id"] == run.run_id
    assert float(row["wall_secs"]) > 0 and float(row["secs_per_symbol"]) > 0
    assert all(b.decision_latency_ms is not None for b in run.manifest.bots
               if b.decisions_total)
    assert validate_tree(tmp_path)[1] == []


def test_cooldown_reads_triggers_of_earlier_universe_runs_only(
        tmp_path: Path, unsharded: tuple[UniverseConfig, dict[str, bytes]]) -> None:
    from functions.universe.persist import load_universe_prior_triggers

    universe, files = unsharded
    _run(tmp_path, universe)
    run = UniverseRun.model_validate_json(next(
        v for k, v in files.items() if k.startswith("universe_runs/2026-03-03/")))
    triggered = {r.symbol for r in run.symbols
                 if r.outcome is not None and r.outcome.status.value == "triggered"}
    assert triggered
    later = load_universe_prior_triggers(tmp_path, AS_OF + timedelta(hours=1),
                                         timedelta(hours=24))
    assert set(later) == triggered
    assert all(t.as_of == AS_OF for ts in later.values() for t in ts)
    assert load_universe_prior_triggers(tmp_path, AS_OF, timedelta(hours=24)) == {}
    assert load_universe_prior_triggers(tmp_path, AS_OF + timedelta(hours=30),
                                        timedelta(hours=24)) == {}
