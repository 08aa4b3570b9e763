"""Impl item 13: every bot's fixture pack through the order gate into the mock CLOB."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from shared.bots.base import Bot, BotConfig, BotDecision
from shared.bots.registry import BOTS, BotEntry
from shared.contracts import Authority, Decision, EnvelopeStatus, Mode, ReportEnvelope
from shared.execution import gate as gate_module
from shared.execution.broker import Order, OrderSide
from shared.execution.clob import MockClob
from shared.execution.clob_broker import ClobBroker
from shared.execution.fixture_pack import check_fixture_pack, run_pack, verdict
from shared.execution.gate import Dispatch, OrderGate
from shared.readiness import compute_board
from shared.readiness.evidence import REPO_ROOT, Tree
from shared.reason_codes import default_registry


def _no_type_errors(root: Path) -> dict[str, list[str]]:
    return {name: [] for name in BOTS}


@pytest.mark.parametrize("name", sorted(BOTS))
def test_every_bot_pack_passes_and_only_execute_orders_reach_the_clob(name: str) -> None:
    ok, evidence = check_fixture_pack(Tree(REPO_ROOT), name)
    run = run_pack(BOTS[name], default_registry())
    assert ok, evidence
    if run.authority is Authority.EXECUTE:
        assert run.orders_received == run.sent >= 1 and run.probe is None
        return
    assert run.orders_received == 0 and run.sent == 0
    assert run.runs == 4 * len(BOTS[name].bot_class.mode_support)
    assert run.probe is not None and run.probe.reason_code == "EXEC_AUTHORITY_REFUSED"
    assert "mock CLOB received 0 orders" in evidence


def test_a_gate_that_lets_anyone_through_fails_item_13(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    def open_door(self: OrderGate, envelope: ReportEnvelope, orders: list[Order]) -> Dispatch:
        return Dispatch(envelope.bot, len(orders),
                        acks=tuple(self.broker.submit(o) for o in orders))
    monkeypatch.setattr(gate_module.OrderGate, "_dispatch", open_door)
    ok, evidence = check_fixture_pack(Tree(REPO_ROOT), "divergence")
    assert not ok and "probe send NOT refused" in evidence


# --- an execute bot, in a temporary folder ---------------------------------------------------


class _ExecInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    symbol: str
    action: str  # open | close | hold
    position_qty: float = 0.0


class _ExecConfig(BotConfig):
    pass


class _ExecBot(Bot[_ExecInput, _ExecConfig]):
    name = "exec_probe"
    version = "1.0.0"
    authority = Authority.EXECUTE
    mode_support = frozenset({Mode.SHADOW, Mode.ADVISORY, Mode.ENFORCED})
    config_model = _ExecConfig
    input_model = _ExecInput

    def decide(self, inputs: _ExecInput) -> BotDecision:
        if inputs.action == "hold":
            return BotDecision(decision=Decision.NO_TRIGGER, reason_codes=("EXEC_HOLD",),
                               rationale="nothing to do")
        intent = 1.0 if inputs.action == "open" else -1.0
        code = "EXEC_OPEN_LONG" if intent > 0 else "EXEC_CLOSE_OPPOSITE"
        return BotDecision(decision=Decision.TRIGGER, reason_codes=(code,), rationale=code,
                           numbers={"intent": intent, "position_qty": inputs.position_qty})


def _write_pack(folder: Path, cases: dict[str, tuple[str, dict[str, Any], str]]) -> BotEntry:
    fixtures = folder / "fixtures"
    fixtures.mkdir(parents=True)
    for kind, (mode, inputs, decision) in cases.items():
        doc = {"kind": kind, "description": kind, "mode": mode, "config": {},
               "input": inputs, "expected": {"decision": decision}}
        (fixtures / f"{kind}.json").write_text(json.dumps(doc), encoding="utf-8")
    return BotEntry(_ExecBot, folder)


def test_an_execute_bots_enforced_intents_reach_the_clob_once(tmp_path: Path) -> None:
    entry = _write_pack(tmp_path, {
        "normal": ("enforced", {"symbol": "TOKEN-A", "action": "open"}, "trigger"),
        "warning": ("shadow", {"symbol": "TOKEN-A", "action": "open"}, "trigger"),
        "hard": ("advisory", {"symbol": "TOKEN-A", "action": "close", "position_qty": 20},
                 "trigger"),
        "failure": ("enforced", {"symbol": "TOKEN-A", "action": "hold"}, "no_trigger"),
    })
    run = run_pack(entry, default_registry())
    # Every fixture in shadow, advisory and enforced: the three triggers send only when
    # enforced (3 orders reach the CLOB), their shadow and advisory runs are held back (6),
    # the hold sends nothing.
    assert run.runs == 12 and run.sent == 3 and run.orders_received == 3
    assert run.refused("EXEC_NOT_ENFORCED") == 6
    acks = [a for d in run.dispatches for a in d.acks]
    assert [a.accepted for a in acks] == [True, True, True]
    assert run.duplicates == run.resubmitted == 3 and not run.crossed
    ok, evidence = verdict(run)
    assert ok, evidence
    assert "3 orders reached the mock CLOB" in evidence


def test_an_execute_bot_whose_pack_never_orders_fails(tmp_path: Path) -> None:
    entry = _write_pack(tmp_path, {
        "normal": ("enforced", {"symbol": "T", "action": "hold"}, "no_trigger")})
    ok, evidence = verdict(run_pack(entry, default_registry()))
    assert not ok and "does not exercise the venue" in evidence


def test_the_gate_refuses_by_authority_then_by_mode() -> None:
    gate = OrderGate(ClobBroker(MockClob()))
    order = Order("cid", "T", OrderSide.BUY, 10)
    base: dict[str, Any] = {
        "bot": "b", "bot_version": "1", "authority": Authority.ADVISE, "mode": Mode.ENFORCED,
        "as_of": datetime(2026, 1, 1, tzinfo=UTC), "status": EnvelopeStatus.OK,
        "decision": Decision.TRIGGER, "effective": True, "reason_codes": ("X",),
        "rationale": "r", "config_version": "0" * 16, "inputs_digest": "0" * 16}
    advise = ReportEnvelope.model_validate(base)
    assert gate.send(advise, [order]).reason_code == "EXEC_AUTHORITY_REFUSED"
    shadow = ReportEnvelope.model_validate({**base, "authority": Authority.EXECUTE,
                                            "mode": Mode.SHADOW, "effective": False})
    assert gate.send(shadow, [order]).reason_code == "EXEC_NOT_ENFORCED"
    assert gate.send(advise, []).passed and gate.sent == 0


def test_the_board_reads_item_13_from_the_harness() -> None:
    wired = compute_board(bots=["sizing"], typecheck=_no_type_errors,
                          clob_check=check_fixture_pack).bot("sizing")
    item = wired.items["impl"][12]
    assert item.number == 13 and item.passed and "received 0 orders" in item.evidence
    unwired = compute_board(bots=["sizing"], typecheck=_no_type_errors).bot("sizing")
    assert not unwired.items["impl"][12].passed
    assert "not run" in unwired.items["impl"][12].evidence
