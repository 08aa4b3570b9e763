"""``tb paper run`` (one scheduled cycle), ``tb paper rearm`` and ``tb paper status``: the
account carries over, a cycle never runs twice for one time, a halt persists until re-armed,
a ledger that does not reconcile halts (fail closed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from functions.cli import cli
from functions.paper.run import paper_status, status_line

T0 = datetime(2026, 1, 10, 20, tzinfo=UTC)


def _cycle(root: Path, when: datetime) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["paper", "run", "--as-of", when.isoformat(),
                                      "--artifacts-dir", str(root)],
                                env={"TELEGRAM_BOT_TOKEN": "", "TELEGRAM_CHAT_ID": ""})
    return result.exit_code, result.output


def test_cycles_trade_and_carry_the_account_over(tmp_path: Path) -> None:
    outputs = []
    for k in range(20):  # 2026-01-10T20 .. 2026-01-11T15: open at 00, close at the horizon
        code, out = _cycle(tmp_path, T0 + timedelta(hours=k))
        assert code == 0, out
        outputs.append(json.loads(out))
    ledger = tmp_path / "runs" / "paper"
    fills = [json.loads(x) for x in (ledger / "fills.jsonl").read_text().splitlines()]
    assert [f["side"] for f in fills] == ["buy", "sell"]
    replay = CliRunner().invoke(cli, ["paper", "replay", "--start", T0.isoformat(), "--end",
                                      (T0 + timedelta(hours=19)).isoformat(),
                                      "--artifacts-dir", str(tmp_path / "replay")])
    # the scheduled cycles and the replay of the same hours make the same fills
    replayed = [json.loads(x) for x in (tmp_path / "replay" / "runs" / "paper" / "fills.jsonl")
                .read_text().splitlines()]
    assert [(f["side"], f["price"], f["ts"]) for f in fills] == \
        [(f["side"], f["price"], f["ts"]) for f in replayed]
    assert outputs[-1]["final_equity"] == json.loads(replay.output)["final_equity"]
    assert len((ledger / "equity.csv").read_text().splitlines()) == 21


def test_a_cycle_never_runs_twice_for_one_time(tmp_path: Path) -> None:
    assert _cycle(tmp_path, T0)[0] == 0
    code, out = _cycle(tmp_path, T0)
    assert code == 1 and "already ran" in out


def test_a_halt_persists_until_rearmed(tmp_path: Path) -> None:
    assert _cycle(tmp_path, T0)[0] == 0
    ledger = tmp_path / "runs" / "paper"
    state = json.loads((ledger / "risk_state.json").read_text())
    state.update(state="halted", reason_code="HALT_PRICE_GAP", detail="test", since="x")
    (ledger / "risk_state.json").write_text(json.dumps(state))
    for k in range(1, 8):
        code, out = _cycle(tmp_path, T0 + timedelta(hours=k))
        assert code == 0 and json.loads(out)["orders"] == 0
    assert paper_status(tmp_path)["state"] == "halted"
    assert "halted (HALT_PRICE_GAP)" in status_line(tmp_path)
    status = CliRunner().invoke(cli, ["paper", "status", "--artifacts-dir", str(tmp_path)])
    assert json.loads(status.output)["halt_reason"] == "HALT_PRICE_GAP"
    rearm = CliRunner().invoke(cli, ["paper", "rearm", "--by", "alice", "--note", "checked",
                                     "--artifacts-dir", str(tmp_path)])
    assert rearm.exit_code == 0, rearm.output
    assert paper_status(tmp_path)["state"] == "active"
    assert json.loads((ledger / "rearm.jsonl").read_text())["by"] == "alice"
    again = CliRunner().invoke(cli, ["paper", "rearm", "--by", "alice",
                                     "--artifacts-dir", str(tmp_path)])
    assert again.exit_code == 1 and "not halted" in again.output


def test_a_ledger_that_does_not_reconcile_halts(tmp_path: Path) -> None:
    assert _cycle(tmp_path, T0)[0] == 0
    ledger = tmp_path / "runs" / "paper"
    account = json.loads((ledger / "account.json").read_text())
    account["cash"] += 5.0  # the account drifted from what the fills say
    (ledger / "account.json").write_text(json.dumps(account))
    code, out = _cycle(tmp_path, T0 + timedelta(hours=1))
    assert code == 0
    summary = json.loads(out)
    assert summary["halted"] and summary["halt_reason"] == "HALT_LEDGER_MISMATCH"
    assert summary["alert_delivery"] == "not_configured"
    alert = json.loads((ledger / "alerts.jsonl").read_text().splitlines()[-1])
    assert alert["code"] == "HALT_LEDGER_MISMATCH"


def test_an_unreadable_account_is_a_clear_error(tmp_path: Path) -> None:
    assert _cycle(tmp_path, T0)[0] == 0
    (tmp_path / "runs" / "paper" / "account.json").write_text("{broken")
    code, out = _cycle(tmp_path, T0 + timedelta(hours=1))
    assert code == 1 and "account" in out and "Traceback" not in out
