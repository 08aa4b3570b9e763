"""Reconciliation: the broker against what fills.jsonl says; any difference is a mismatch."""

from __future__ import annotations

import json
from pathlib import Path

from shared.execution.ledger import append_jsonl, read_jsonl, reconcile

FILL = {"event": "fill", "symbol": "X", "side": "buy", "qty": 2.0, "price": 100.0,
        "fee": 0.2}


def test_agreeing_books_reconcile(tmp_path: Path) -> None:
    append_jsonl(tmp_path / "fills.jsonl", [FILL])
    check = reconcile(tmp_path, 1_000.0, 1_000.0 - 200.2, {"X": 2.0})
    assert check.ok, check.detail


def test_cash_or_position_drift_is_a_mismatch(tmp_path: Path) -> None:
    append_jsonl(tmp_path / "fills.jsonl", [FILL])
    assert not reconcile(tmp_path, 1_000.0, 799.8 + 1e-6, {"X": 2.0}).ok
    detail = reconcile(tmp_path, 1_000.0, 799.8, {"X": 1.0}).detail
    assert "X: ledger 2.0 vs broker 1.0" in detail
    assert not reconcile(tmp_path, 1_000.0, 799.8, {"X": 2.0, "Y": 1.0}).ok


def test_an_unreadable_ledger_is_a_mismatch_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "fills.jsonl").write_text('{"event": "fill"}\nnot json\n', encoding="utf-8")
    check = reconcile(tmp_path, 1_000.0, 1_000.0, {})
    assert not check.ok and "unreadable" in check.detail
    (tmp_path / "fills.jsonl").write_text(json.dumps({"event": "fill"}) + "\n",
                                          encoding="utf-8")
    assert not reconcile(tmp_path, 1_000.0, 1_000.0, {}).ok


def test_appends_keep_what_was_there(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    append_jsonl(path, [{"a": 1}])
    append_jsonl(path, [{"b": 2}])
    assert read_jsonl(path) == [{"a": 1}, {"b": 2}]
