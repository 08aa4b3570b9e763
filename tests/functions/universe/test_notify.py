"""Progress (bar on a terminal, plain log lines elsewhere) and delivery (Telegram or print,
step summary), which never fails a run."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
import responses

from functions.universe.app import run_universe
from functions.universe.notify import deliver, find_run, write_step_summary
from functions.universe.progress import PROGRESS_LOGGER, Progress
from shared.errors import ArtifactError
from shared.render.telegram import plain_text
from tests.helpers.tree import tb
from tests.helpers.universe import AS_OF, AS_OF_TEXT, SETTINGS, copy_home, small_universe

TELEGRAM = "https://telegram.test"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEND_OK = json.loads((FIXTURES / "telegram" / "send_message.json").read_text())


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_draws_a_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    stream = _Terminal()
    progress = Progress(3, every=1, stream=stream)
    for symbol in ("A", "B", "C"):
        progress.advance(symbol)
    progress.close()
    assert "\r" in stream.getvalue() and "universe:" in stream.getvalue()
    assert "symbols done" not in stream.getvalue()


def test_progress_in_ci_logs_plain_lines_even_on_a_terminal(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("CI", "true")
    stream = _Terminal()
    with caplog.at_level(logging.INFO, logger=PROGRESS_LOGGER):
        progress = Progress(5, every=2, stream=stream)
        for symbol in "ABCDE":
            progress.advance(symbol)
        progress.close()
    assert stream.getvalue() == ""
    assert [r.getMessage() for r in caplog.records] == [
        "universe: 2/5 symbols done (last B)", "universe: 4/5 symbols done (last D)",
        "universe: 5/5 symbols done (last E)"]


def test_cli_progress_without_a_terminal_is_plain_log_lines(tmp_path: Path) -> None:
    env = copy_home(tmp_path)
    done = tb("universe", "run", "--seed", "7", "--as-of", AS_OF_TEXT, "--artifacts-dir",
              str(tmp_path / "out"), "--no-notify", env=env)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines()
             if line.startswith("INFO functions.universe.progress")]
    assert lines == [
        "INFO functions.universe.progress: universe: 10/12 symbols done (last SOL-USD)",
        "INFO functions.universe.progress: universe: 12/12 symbols done (last TSLA)",
    ]
    assert "\r" not in done.stderr and "\x1b" not in done.stderr


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    universe = small_universe(tmp_path)
    root = tmp_path / "out"
    for hour in (18, 19):
        run_universe(seed=7, as_of=AS_OF.replace(hour=hour), artifacts_dir=root,
                     universe=universe, settings=SETTINGS, notify=False, progress_bar=False,
                     code_sha="test")
    return root


def test_find_run_newest_or_by_id(artifacts: Path) -> None:
    newest = find_run(artifacts)
    assert newest.as_of == AS_OF.replace(hour=19)
    runs = sorted(p.stem for p in (artifacts / "universe_runs" / "2026-03-03").glob("*.json"))
    other = next(r for r in runs if r != newest.run_id)
    assert find_run(artifacts, other).as_of == AS_OF
    with pytest.raises(ArtifactError, match="found no run 0000000000000000"):
        find_run(artifacts, "0000000000000000")


def test_notify_prints_and_writes_the_step_summary(
        artifacts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    done = tb("universe", "notify", "--artifacts-dir", str(artifacts),
              env={"GITHUB_STEP_SUMMARY": str(summary), "TELEGRAM_BOT_TOKEN": "",
                   "TELEGRAM_CHAT_ID": ""})
    assert done.returncode == 0, done.stderr
    run = find_run(artifacts)
    assert done.stdout == "".join(f"{plain_text(part)}\n\n" for part in run.digest_parts)
    assert f"universe run {run.run_id}: printed" in done.stderr
    assert summary.read_text().startswith("### Tracer Bullet universe, 2026-03-03T19:00:00Z")


def test_step_summary_unset_writes_nothing(artifacts: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert write_step_summary(find_run(artifacts)) is False


@responses.activate
def test_deliver_sends_every_part_when_telegram_is_set(
        artifacts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("TELEGRAM_CHAT_ID", "42")
    monkeypatch.setenv("TELEGRAM_API_URL", TELEGRAM)
    monkeypatch.setenv("TB_NOTIFY", "always")
    responses.post(f"{TELEGRAM}/bot123:abc/sendMessage", json=SEND_OK)
    run = find_run(artifacts)
    assert deliver(run) == "sent"
    assert len(responses.calls) == len(run.digest_parts)
    body = json.loads(responses.calls[0].request.body or b"{}")
    assert body["parse_mode"] == "MarkdownV2" and body["text"] == run.digest_parts[0]


@responses.activate
def test_deliver_send_failure_never_raises(artifacts: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("TELEGRAM_CHAT_ID", "42")
    monkeypatch.setenv("TELEGRAM_API_URL", TELEGRAM)
    monkeypatch.setenv("TB_HTTP_MAX_RETRIES", "0")
    monkeypatch.setenv("TB_NOTIFY", "always")
    responses.post(f"{TELEGRAM}/bot123:abc/sendMessage", status=500)
    assert deliver(find_run(artifacts)) == "send_failed"


@responses.activate
def test_a_quiet_run_is_withheld_and_the_heartbeat_hour_sends_one_line(
        artifacts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the fixture's runs are at 18:00 and 19:00 with no call; notify: triggers (the default)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("TELEGRAM_CHAT_ID", "42")
    monkeypatch.setenv("TELEGRAM_API_URL", TELEGRAM)
    monkeypatch.delenv("TB_NOTIFY", raising=False)
    responses.post(f"{TELEGRAM}/bot123:abc/sendMessage", json=SEND_OK)
    run = find_run(artifacts)
    assert run.counts.triggered == 0
    assert deliver(run) == "withheld" and len(responses.calls) == 0
    monkeypatch.setenv("TB_NOTIFY", "never")
    assert deliver(run) == "withheld" and len(responses.calls) == 0
    import functions.universe.notify as notify_module
    from shared.notify import NotifyPolicy

    monkeypatch.delenv("TB_NOTIFY")
    monkeypatch.setattr(notify_module, "load_notify_policy",
                        lambda: NotifyPolicy(heartbeat_hour_utc=run.as_of.hour))
    assert deliver(run) == "heartbeat" and len(responses.calls) == 1
    text = json.loads(responses.calls[0].request.body or b"{}")["text"]
    assert "heartbeat" in text and run.run_id in text and "no call" in text
