"""``tb replay RUN_ID``: a recorded run re-runs from its record alone, identically; a changed
or incomplete record is reported, never silently replayed."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from functions.cli import cli
from functions.tracer.replay import replay_run
from shared.contracts import RunInputs, TracerRun, canonical_json, sha256_hex
from shared.errors import ArtifactError
from shared.settings import uninstall_redaction
from tests.helpers.live_servers import SECRETS, LiveServices
from tests.helpers.tree import tb

AS_OF = "2026-03-02T14:00:00Z"
# Seed 7's synthetic feed triggers at 06:00 that day; the 07:00 run's cooldown sees it.
TRIGGER_AS_OF, NEXT_AS_OF = "2026-03-01T06:00:00Z", "2026-03-01T07:00:00Z"


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    yield
    uninstall_redaction()


def _run(root: Path, *args: str, as_of: str = AS_OF, env: dict[str, str] | None = None) -> str:
    done = CliRunner().invoke(cli, ["run", "--seed", "7", "--as-of", as_of, "--artifacts-dir",
                                    str(root), *args], env=env, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    uninstall_redaction()
    return _run_file(root, as_of).name.removeprefix("tracer-").removesuffix(".json")


def _run_file(root: Path, as_of: str) -> Path:
    day = as_of[:10]
    (path,) = (p for p in (root / "runs" / day).glob("tracer-*.json")
               if not p.name.endswith(".inputs.json"))
    return path


def _replay(root: Path, run_id: str) -> tuple[int, dict[str, Any] | None, str]:
    done = CliRunner().invoke(cli, ["replay", run_id, "--artifacts-dir", str(root)])
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = None
    return done.exit_code, report, done.output


def _inputs_path(root: Path, run_id: str) -> Path:
    (path,) = root.glob(f"runs/*/tracer-{run_id}.inputs.json")
    return path


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the replay opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# ---------------------------------------------------------------- identical


def test_replay_offline_synthetic_run_is_identical(tmp_path: Path, no_network: None) -> None:
    run_id = _run(tmp_path)
    code, report, _ = _replay(tmp_path, run_id)
    assert (code, report) == (0, {"run_id": run_id, "identical": True, "differences": []})


def test_replay_offline_run_in_a_subprocess_is_identical(tmp_path: Path) -> None:
    run_id = _run(tmp_path)
    done = tb("replay", run_id, "--artifacts-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["identical"] is True


def test_replay_with_prior_triggers_uses_the_recorded_ones(tmp_path: Path) -> None:
    first = _run(tmp_path, as_of=TRIGGER_AS_OF)
    first_run = TracerRun.model_validate_json(_run_file(tmp_path, TRIGGER_AS_OF).read_bytes())
    assert first_run.outcome.status.value == "triggered"
    done = CliRunner().invoke(cli, ["run", "--seed", "7", "--as-of", NEXT_AS_OF,
                                    "--artifacts-dir", str(tmp_path)], catch_exceptions=False)
    assert done.exit_code == 0
    second = next(p.name[7:23] for p in (tmp_path / "runs" / "2026-03-01").glob("tracer-*.json")
                  if first not in p.name and not p.name.endswith(".inputs.json"))
    inputs = RunInputs.model_validate_json(_inputs_path(tmp_path, second).read_bytes())
    assert [t.as_of for t in inputs.prior_triggers] == [first_run.as_of]
    # The prior run is gone: the replay needs nothing but the second run's own record.
    for path in tmp_path.glob(f"runs/*/tracer-{first}*"):
        path.unlink()
    code, report, _ = _replay(tmp_path, second)
    assert (code, report and report["identical"]) == (0, True)


def test_replay_run_with_timings_normalises_latencies(tmp_path: Path) -> None:
    run_id = _run(tmp_path, "--timings")
    recorded = TracerRun.model_validate_json(_run_file(tmp_path, AS_OF).read_bytes())
    assert any(b.decision_latency_ms is not None for b in recorded.manifest.bots)
    assert replay_run(run_id, tmp_path).identical is True


@pytest.mark.shared_data
def test_replay_offline_replay_feed_run_is_identical(tmp_path: Path) -> None:
    run_id = _run(tmp_path, "--feed", "replay", as_of="2022-06-15T12:00:00Z")
    assert replay_run(run_id, tmp_path).identical is True


def test_replay_live_run_needs_no_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ahead = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    as_of = ahead.isoformat().replace("+00:00", "Z")
    with LiveServices({"hf_llm": "http_500"}) as services:
        run_id = _run(tmp_path, "--live", as_of=as_of, env=services.env(tmp_path / "cache"))
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    report = replay_run(run_id, tmp_path)
    assert report.identical is True, report.differences


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("the replay opened a network connection")


# ---------------------------------------------------------------- changed or broken records


def test_replay_changed_headline_is_reported_not_identical(tmp_path: Path) -> None:
    run_id = _run(tmp_path)
    path = _inputs_path(tmp_path, run_id)
    doc = json.loads(path.read_text())
    assert doc["narratives"], "the synthetic run should have headlines"
    doc["narratives"][0]["headline"] = "Bitcoin to the moon, says nobody"
    path.write_text(canonical_json(doc))
    code, report, _ = _replay(tmp_path, run_id)
    assert code == 1 and report is not None and report["identical"] is False
    assert any("sha256 does not match" in d for d in report["differences"])
    assert any("cannot be replayed" in d and "sentiment score" in d
               for d in report["differences"])


def test_replay_changed_headline_with_forged_digest_still_differs(tmp_path: Path) -> None:
    run_id = _run(tmp_path)
    inputs_path = _inputs_path(tmp_path, run_id)
    doc = json.loads(inputs_path.read_text())
    doc["sentiment"][0]["polarity"] = -doc["sentiment"][0]["polarity"] or 0.5
    inputs_path.write_text(canonical_json(doc))
    run_path = _run_file(tmp_path, AS_OF)
    recorded = json.loads(run_path.read_text())
    rel = inputs_path.relative_to(tmp_path).as_posix()
    recorded["manifest"]["files"][rel] = sha256_hex(inputs_path.read_bytes())
    run_path.write_text(canonical_json(recorded))
    code, report, _ = _replay(tmp_path, run_id)
    assert code == 1 and report is not None and report["identical"] is False
    assert not any("sha256" in d for d in report["differences"])
    assert any(d.startswith("run/") for d in report["differences"])


def test_replay_missing_bars_file_is_a_clear_error(tmp_path: Path) -> None:
    run_id = _run(tmp_path)
    bars = sorted(tmp_path.glob("runs/bars/*.parquet"))[0]  # one day slice of its bars
    bars.unlink()
    code, report, output = _replay(tmp_path, run_id)
    assert code == 1 and report is None
    assert bars.name in output and "missing" in output


def test_replay_corrupted_run_file_is_a_clear_error(tmp_path: Path) -> None:
    run_id = _run(tmp_path)
    path = _run_file(tmp_path, AS_OF)
    path.write_text(path.read_text()[:200])
    code, _, output = _replay(tmp_path, run_id)
    assert code == 1 and path.name in output and "not a valid TracerRun" in output


def test_replay_corrupted_bars_file_is_a_clear_error(tmp_path: Path) -> None:
    run_id = _run(tmp_path)
    bars = sorted(tmp_path.glob("runs/bars/*.parquet"))[0]
    bars.write_bytes(b"PAR1 not really")
    with pytest.raises(ArtifactError, match=r"runs/bars/[0-9a-f]{64}\.parquet: not a readable"):
        replay_run(run_id, tmp_path)


@pytest.mark.parametrize("run_id", ["0123456789abcdef", "not-a-run-id"])
def test_replay_unknown_run_id_is_a_clear_error(tmp_path: Path, run_id: str) -> None:
    code, report, output = _replay(tmp_path, run_id)
    assert code == 1 and report is None
    assert run_id in output
