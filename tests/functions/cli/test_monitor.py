"""tb status and tb check driven from outside: committed runs in, JSON and exit codes out."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner

from functions.cli import cli
from shared.contracts import TracerRun, format_utc
from tests.helpers.eval_fixtures import make_forecast, make_tracer_run, write_run

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 3, 2, tzinfo=UTC)
NOW = T0 + timedelta(days=2, hours=1)
TELEGRAM = "https://telegram.example.test"


def _run(as_of: datetime, *, degraded: bool = False) -> TracerRun:
    forecast = make_forecast("BTC-USD", as_of, 0.6)
    run = make_tracer_run(forecast, as_of=as_of, symbol="BTC-USD", feed="synthetic")
    if degraded:
        manifest = run.manifest.model_copy(update={"degraded": True,
                                                   "degraded_reasons": ("DATA_STALE",)})
        run = run.model_copy(update={"manifest": manifest})
    return run


def _repo(root: Path, *, skip: set[int] = frozenset(), degraded: set[int] = frozenset()  # type: ignore[assignment]
          ) -> Path:
    shutil.copytree(ROOT / ".github" / "workflows", root / ".github" / "workflows")
    for h in range(49):
        if h not in skip:
            write_run(root, _run(T0 + timedelta(hours=h, minutes=17), degraded=h in degraded))
    return root


def _tb(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_CHAT_ID", "TB_PAUSED", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


def test_status_json_reports_each_stage(tmp_path: Path) -> None:
    root = _repo(tmp_path, skip={20, 21}, degraded={47})
    code, out = _tb("status", "--artifacts-dir", str(root), "--as-of", format_utc(NOW), "--json")
    assert code == 0
    doc = json.loads(out)
    tracer = doc["stages"]["tracer"]
    assert tracer["last_run"] == "2026-03-04T00:17:00Z" and tracer["age_s"] == 43 * 60
    assert tracer["missed_runs"] == 2
    assert tracer["degraded_ratio_24h"] == pytest.approx(1 / 24)
    assert {"last_run", "age_s", "missed_runs", "degraded_ratio_24h"} <= set(
        doc["stages"]["universe"])
    assert doc["stages"]["universe"]["last_run"] is None
    assert doc["pause"]["paused"] is False
    assert "telegram" in doc["keys"]["providers"]


def test_status_keys_named_never_valued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PPLX_API_KEY", "pplx-super-secret-value")
    code, out = _tb("status", "--artifacts-dir", str(tmp_path), "--as-of", format_utc(NOW),
                    "--json")
    assert code == 0 and "super-secret" not in out
    keys = json.loads(out)["keys"]
    assert keys["variables_set"] == ["PPLX_API_KEY"] and keys["providers"]["perplexity"] is True


def test_status_screen_and_pause_switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)
    (root / "config").mkdir()
    (root / "config" / "pause.yaml").write_text("paused: true\nreason: provider outage\n")
    code, out = _tb("status", "--artifacts-dir", str(root), "--as-of", format_utc(NOW))
    assert code == 0 and "PAUSED: provider outage" in out and "tracer" in out
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out = _tb("status", "--artifacts-dir", str(root), "--gate")
    assert (code, out) == (0, "paused=true\n")
    assert "provider outage" in summary.read_text()
    (root / "config" / "pause.yaml").write_text("paused: false\n")
    assert _tb("status", "--artifacts-dir", str(root), "--gate") == (0, "paused=false\n")
    monkeypatch.setenv("TB_PAUSED", "true")
    assert _tb("status", "--artifacts-dir", str(root), "--gate") == (0, "paused=true\n")


def test_check_passes_and_writes_its_report(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    code, out = _tb("check", "--artifacts-dir", str(root), "--as-of", format_utc(NOW),
                    "--no-alert", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["ok"] is True and report["exit_code"] == 0
    assert json.loads((root / "eval_runs" / "checks" / "2026-03-04.json").read_text()) == report
    code, out = _tb("validate", "--artifacts-dir", str(root))
    assert code == 0, out  # the report is itself a valid artifact


def test_check_critical_failure_exits_1_and_alerts_telegram(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, degraded={3, 30, 40})  # 3 of 49 runs degraded: over the 1% budget
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("TELEGRAM_CHAT_ID", "42")
    monkeypatch.setenv("TELEGRAM_API_URL", TELEGRAM)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        mocked.post(f"{TELEGRAM}/bot123:abc/sendMessage",
                    json={"ok": True, "result": {"message_id": 1, "date": 0,
                                                 "chat": {"id": 42, "type": "private"}}})
        code, out = _tb("check", "--artifacts-dir", str(root), "--as-of", format_utc(NOW),
                        "--json")
        sent = json.loads(mocked.calls[0].request.body or b"{}")
    assert code == 1
    report = json.loads(out)
    assert report["worst"] == "critical" and "degraded_ratio_7d" in report["failing"]
    assert report["alerts"] == {"summary": "written", "telegram": "sent"}
    assert "[critical] degraded_ratio_7d" in sent["text"]
    assert "| degraded_ratio_7d | **no** | critical |" in summary.read_text()


def test_check_budget_is_env_tunable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path, degraded={3, 30, 40})
    monkeypatch.setenv("TB_DEGRADED_BUDGET", "0.2")
    code, out = _tb("check", "--artifacts-dir", str(root), "--as-of", format_utc(NOW),
                    "--no-alert", "--no-write")
    assert code == 0, out
    monkeypatch.setenv("TB_DEGRADED_BUDGET", "lots")
    code, _ = _tb("check", "--artifacts-dir", str(root), "--no-alert", "--no-write")
    assert code == 2


def test_check_invalid_artifact_is_critical(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    bad = root / "runs" / "2026-03-02" / "tracer-0000000000000000.json"
    bad.write_text('{"type": "tracer_run"}')
    code, out = _tb("check", "--artifacts-dir", str(root), "--as-of", format_utc(NOW),
                    "--no-alert", "--no-write")
    assert code == 1
    assert "FAIL critical artifacts_valid: 8 problems" in out
