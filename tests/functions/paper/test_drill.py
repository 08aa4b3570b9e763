"""``tb drill``: every kill-switch trips on its recorded incident, nothing is sent after the
halt, the alert is recorded and (when Telegram is configured) delivered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner

from functions.cli import cli
from tests.helpers.provider_contract import load_fixture

SCENARIOS = ("flash-crash", "dead-feed", "error-burst", "ledger-mismatch")
EXPECTED = {"flash-crash": "HALT_PRICE_GAP", "dead-feed": "HALT_STALE_DATA",
            "error-burst": "HALT_ERROR_BURST", "ledger-mismatch": "HALT_LEDGER_MISMATCH"}


@pytest.fixture(autouse=True)
def _no_telegram(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_CHAT_ID", raising=False)


def test_every_drill_halts_and_sends_nothing_after(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["drill", "--scenario", "all", "--artifacts-dir",
                                      str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["passed"] is True
    by_name = {d["scenario"]: d for d in report["drills"]}
    assert set(by_name) == set(SCENARIOS)
    for name, drill in by_name.items():
        assert drill["halt_reason"] == EXPECTED[name]
        assert drill["orders_after_halt"] == 0
        assert drill["orders_before_halt"] > 0  # the incident strikes a trading account
        if name != "dead-feed":  # with no data there is no decision, hence no intent
            assert drill["intents_refused_after_halt"] > 0
        assert drill["alerts"] == 1 and drill["alert_delivery"] == "not_configured"
        on_disk = json.loads((tmp_path / "runs" / "drills" / f"{name}.json").read_text())
        assert on_disk == drill
        ledger = tmp_path / drill["ledger_dir"]
        events = [json.loads(x) for x in (ledger / "orders.jsonl").read_text().splitlines()]
        halted_at = json.loads((ledger / "alerts.jsonl").read_text().splitlines()[0])["as_of"]
        assert not [e for e in events if e["as_of"] > halted_at and e["event"] == "order"]
    # every file the drills wrote is a known, valid artifact for tb validate
    from shared.store.validate import validate_tree

    checked, problems = validate_tree(tmp_path)
    assert checked > 20 and problems == []


def test_without_the_incident_the_same_period_does_not_halt(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["paper", "replay", "--start", "2026-01-05T00:00:00Z",
                                      "--end", "2026-01-19T00:00:00Z", "--artifacts-dir",
                                      str(tmp_path)])
    assert json.loads(result.output)["halted"] is False


@responses.activate
def test_the_alert_goes_to_telegram_when_configured(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1000:test-token")
    monkeypatch.setenv("TELEGRAM_CHAT_ID", "42")
    sent = responses.post("https://api.telegram.org/bot1000:test-token/sendMessage",
                          json=load_fixture("telegram", "send_message"))
    result = CliRunner().invoke(cli, ["drill", "--scenario", "flash-crash",
                                      "--artifacts-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    drill = json.loads(result.output)["drills"][0]
    assert drill["alert_delivery"] == "sent"
    assert sent.call_count == 1
    body = json.loads(sent.calls[0].request.body or b"{}")
    assert "HALT_PRICE_GAP" in body["text"] and "drill" in body["text"]


def test_a_trader_that_ignored_the_halt_would_fail_the_drill(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The drill is a real check: with a risk engine that lets every order through (halt or
    # not), the exit due after the crash reaches the broker and the drill fails.
    from shared.execution.risk import RiskEngine, Verdict

    monkeypatch.setattr(RiskEngine, "check", lambda self, *a, **k: Verdict(True))
    result = CliRunner().invoke(cli, ["drill", "--scenario", "flash-crash",
                                      "--artifacts-dir", str(tmp_path)])
    assert result.exit_code == 1
    drill = json.loads(result.output)["drills"][0]
    assert drill["halt_reason"] == "HALT_PRICE_GAP"
    assert drill["orders_after_halt"] >= 1 and drill["passed"] is False
