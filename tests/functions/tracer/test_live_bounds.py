"""``tb run --live`` and ``tb universe run --live`` stay bounded in time and size against
loopback stand-ins (issue 11): a trickling provider is cut off, the run deadline ends every
pending call and the run finishes degraded with valid artifacts; an oversize answer is
refused; a long answer is recorded truncated and ``tb replay`` says it cannot replay it
byte for byte."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from functions.cli import cli
from shared.contracts import RunInputs, TracerRun
from shared.settings import uninstall_redaction
from shared.store.validate import validate_tree
from tests.helpers.live_servers import SECRETS, LiveServices, _news
from tests.helpers.loopback import RecordedRequest, Reply
from tests.helpers.trickle import TrickleServer, http_reply


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    yield
    uninstall_redaction()


def _hour(offset_hours: int = 1) -> str:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return (now + timedelta(hours=offset_hours)).isoformat().replace("+00:00", "Z")


def _invoke(args: list[str], env: dict[str, str]) -> tuple[int, float]:
    started = time.monotonic()
    done = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    uninstall_redaction()
    return done.exit_code, time.monotonic() - started


def _run_files(root: Path) -> tuple[TracerRun, RunInputs, Path]:
    (run_file,) = (p for p in root.glob("runs/*/tracer-*.json")
                   if not p.name.endswith(".inputs.json"))
    inputs_file = run_file.with_name(run_file.name.replace(".json", ".inputs.json"))
    return (TracerRun.model_validate_json(run_file.read_bytes()),
            RunInputs.model_validate_json(inputs_file.read_bytes()), inputs_file)


def _trickling(env: dict[str, str], url: str, targets: tuple[str, ...]) -> dict[str, str]:
    keys = {"alpaca": ("APCA_API_DATA_URL", "APCA_API_BASE_URL"),
            "perplexity": ("PPLX_BASE_URL",), "hf": ("TB_FINBERT_URL", "TB_LLM_URL"),
            "polymarket": ("POLYMARKET_GAMMA_URL", "POLYMARKET_CLOB_URL")}
    return {**env, **{key: url for target in targets for key in keys[target]}}


_SLOW = http_reply(json.dumps({"padding": "x" * 2000}).encode())


def test_tb_run_live_trickling_news_is_cut_at_its_deadline_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    root = tmp_path / "out"
    with LiveServices() as services, TrickleServer(_SLOW, interval_secs=0.05) as slow:
        env = _trickling(services.env(tmp_path / "cache"), slow.url, ("perplexity",))
        env["TB_HTTP_RESPONSE_DEADLINE_SECS"] = "1"
        env["TB_PPLX_READ_TIMEOUT_SECS"] = env["TB_HTTP_READ_TIMEOUT_SECS"] = "30"
        code, secs = _invoke(["run", "--live", "--seed", "7", "--as-of", _hour(),
                              "--artifacts-dir", str(root)], env)
    assert code == 0 and secs < 10
    recorded, inputs, _ = _run_files(root)
    statuses = {s.provider: s for s in recorded.manifest.provider_statuses}
    assert statuses["perplexity"].reason_codes == ("PROVIDER_DEADLINE",)
    assert "PROVIDER_DEADLINE" in recorded.manifest.degraded_reasons
    assert validate_tree(root)[1] == []


def test_tb_run_live_run_deadline_ends_every_pending_call_fast(tmp_path: Path) -> None:
    # Every data and model service trickles; the run deadline (1 s) is shorter than the
    # response deadline (20 s), so the run deadline is what ends the run's calls.
    root = tmp_path / "out"
    with LiveServices() as services, TrickleServer(_SLOW, interval_secs=0.05) as slow:
        env = _trickling(services.env(tmp_path / "cache"), slow.url,
                         ("alpaca", "perplexity", "hf"))
        env.update({"TB_RUN_DEADLINE_SECS": "1", "TB_HTTP_RESPONSE_DEADLINE_SECS": "20",
                    "TB_HTTP_READ_TIMEOUT_SECS": "30", "TB_PPLX_READ_TIMEOUT_SECS": "30"})
        code, secs = _invoke(["run", "--live", "--seed", "7", "--as-of", _hour(),
                              "--artifacts-dir", str(root)], env)
    assert code == 0 and secs < 8
    recorded, _, _ = _run_files(root)
    assert recorded.manifest.degraded
    assert "RUN_DEADLINE_EXCEEDED" in recorded.manifest.degraded_reasons
    statuses = {s.provider: s for s in recorded.manifest.provider_statuses}
    assert statuses["alpaca"].reason_codes == ("RUN_DEADLINE_EXCEEDED",)
    assert validate_tree(root)[1] == []


def test_tb_universe_run_live_run_deadline_finishes_with_what_it_has(tmp_path: Path) -> None:
    root = tmp_path / "out"
    with LiveServices() as services, TrickleServer(_SLOW, interval_secs=0.05) as slow:
        env = _trickling(services.env(tmp_path / "cache"), slow.url,
                         ("alpaca", "perplexity", "hf", "polymarket"))
        env.update({"TB_RUN_DEADLINE_SECS": "1", "TB_HTTP_RESPONSE_DEADLINE_SECS": "20",
                    "TB_HTTP_READ_TIMEOUT_SECS": "30", "TB_PPLX_READ_TIMEOUT_SECS": "30"})
        code, secs = _invoke(["universe", "run", "--live", "--seed", "7", "--as-of", _hour(),
                              "--artifacts-dir", str(root), "--no-notify"], env)
    assert code == 0 and secs < 15
    (run_file,) = root.glob("universe_runs/*/*.json")
    assert "RUN_DEADLINE_EXCEEDED" in run_file.read_text()
    assert validate_tree(root)[1] == []


def _padded(size: int) -> Any:
    def reply(request: RecordedRequest) -> Reply:
        completion = _news(request).json
        content = json.loads(completion["choices"][0]["message"]["content"])
        content["padding"] = "x" * size
        completion["choices"][0]["message"]["content"] = json.dumps(content)
        return Reply(json=completion)
    return reply


def test_tb_run_live_oversize_answer_is_refused_and_the_record_stays_small(
    tmp_path: Path,
) -> None:
    root = tmp_path / "out"
    with LiveServices() as services:
        services.servers["perplexity"].route("POST", "/chat/completions", _padded(3_000_000))
        env = {**services.env(tmp_path / "cache"), "TB_HTTP_MAX_RESPONSE_BYTES": "1000000",
               "TB_PPLX_READ_TIMEOUT_SECS": "10"}
        code, _ = _invoke(["run", "--live", "--seed", "7", "--as-of", _hour(),
                           "--artifacts-dir", str(root)], env)
    assert code == 0
    recorded, inputs, inputs_file = _run_files(root)
    statuses = {s.provider: s for s in recorded.manifest.provider_statuses}
    assert statuses["perplexity"].reason_codes == ("PROVIDER_RESPONSE_TOO_LARGE",)
    assert inputs_file.stat().st_size < 100_000
    (call,) = inputs.model_calls
    assert call.response is None and "1000000 bytes" in (call.error or "")


def test_tb_run_live_long_answer_is_recorded_truncated_and_replay_says_so(
    tmp_path: Path,
) -> None:
    root = tmp_path / "out"
    with LiveServices() as services:
        services.servers["perplexity"].route("POST", "/chat/completions", _padded(1_500_000))
        env = {**services.env(tmp_path / "cache"), "TB_PPLX_READ_TIMEOUT_SECS": "10"}
        code, _ = _invoke(["run", "--live", "--seed", "7", "--as-of", _hour(),
                           "--artifacts-dir", str(root)], env)
    assert code == 0
    recorded, inputs, inputs_file = _run_files(root)
    assert not recorded.manifest.degraded and len(inputs.narratives) == 3
    (news_call,) = (c for c in inputs.model_calls if c.provider == "perplexity")
    cut = news_call.response_truncated
    assert cut is not None and cut.chars > 1_500_000 and cut.kept_chars == 1024 * 1024
    assert len(news_call.response or "") == cut.kept_chars
    assert inputs_file.stat().st_size < 1_300_000
    assert validate_tree(root)[1] == []

    done = CliRunner().invoke(cli, ["replay", recorded.run_id, "--artifacts-dir", str(root)],
                              catch_exceptions=False)
    report = json.loads(done.output)
    assert done.exit_code == 0 and report["identical"] is True
    (note,) = report["notes"]
    assert note.startswith("model_calls[") and "cannot be replayed byte for byte" in note
    assert cut.sha256 in note
