"""The live lock and the Polymarket lock: each unmet condition refuses, by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.execution.live import LIVE_ENV, LIVE_ENV_VALUE, check_live, check_polymarket
from shared.execution.risk import RiskLimits, RiskState, TradingState

READY = {LIVE_ENV: LIVE_ENV_VALUE}


def _board(tmp_path: Path, earned: str | None) -> Path:
    path = tmp_path / "board.json"
    rows = [] if earned is None else [{"bot": "execution", "earned_mode": earned}]
    path.write_text(json.dumps({"bots": rows}), encoding="utf-8")
    return path


def _limits(**kw: object) -> RiskLimits:
    return RiskLimits(**{"live_max_order_notional": 25.0, **kw})  # type: ignore[arg-type]


def test_live_opens_only_when_every_condition_holds(tmp_path: Path) -> None:
    check = check_live(board_json=_board(tmp_path, "enforced"), limits=_limits(),
                       state=RiskState(), environ=READY)
    assert check.allowed and check.unmet == ()


@pytest.mark.parametrize(("board", "limits", "state", "env", "needle"), [
    ("stub", {}, TradingState.ACTIVE, READY, "not 'enforced'"),
    (None, {}, TradingState.ACTIVE, READY, "not on the readiness board"),
    ("enforced", {"live_max_order_notional": 0.0}, TradingState.ACTIVE, READY, "tiny live"),
    ("enforced", {"kill_switch_armed": False}, TradingState.ACTIVE, READY, "not armed"),
    ("enforced", {}, TradingState.HALTED, READY, "halted"),
    ("enforced", {}, TradingState.ACTIVE, {}, LIVE_ENV),
    ("enforced", {}, TradingState.ACTIVE, {LIVE_ENV: "yes"}, LIVE_ENV),
])
def test_each_unmet_condition_refuses_live(tmp_path: Path, board: str | None,
                                           limits: dict[str, object], state: TradingState,
                                           env: dict[str, str], needle: str) -> None:
    check = check_live(board_json=_board(tmp_path, board), limits=_limits(**limits),
                       state=RiskState(state=state), environ=env)
    assert not check.allowed and check.reason_code == "LIVE_LOCKED"
    assert len(check.unmet) == 1 and needle in check.unmet[0]


def test_an_absent_board_refuses_live(tmp_path: Path) -> None:
    check = check_live(board_json=tmp_path / "none.json", limits=_limits(), state=RiskState(),
                       environ=READY)
    assert not check.allowed


def test_the_committed_tree_keeps_live_locked() -> None:
    from shared.execution.risk import load_risk_config
    from shared.readiness.gates import BOARD_JSON

    check = check_live(board_json=BOARD_JSON, limits=load_risk_config().limits,
                       state=RiskState(), environ=READY)
    assert not check.allowed and len(check.unmet) >= 2


def _metrics(tmp_path: Path, **kw: object) -> Path:
    doc = {"baseline": "market", "first_as_of": "2026-01-01T00:00:00+00:00",
           "last_as_of": "2026-07-15T00:00:00+00:00", "brier_skill_vs_baseline": 0.04,
           "ci": {"brier_skill_vs_baseline": [0.01, 0.07]}, **kw}
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_polymarket_opens_on_six_months_of_skill_above_zero(tmp_path: Path) -> None:
    assert check_polymarket(_metrics(tmp_path)).allowed


@pytest.mark.parametrize(("change", "needle"), [
    ({"last_as_of": "2026-05-01T00:00:00+00:00"}, "fewer than 182"),
    ({"ci": {"brier_skill_vs_baseline": [-0.01, 0.07]}}, "interval entirely above zero"),
    ({"ci": {}}, "interval entirely above zero"),
    ({"baseline": "climatology"}, "not the market"),
])
def test_polymarket_refuses_without_the_evidence(tmp_path: Path, change: dict[str, object],
                                                 needle: str) -> None:
    check = check_polymarket(_metrics(tmp_path, **change))
    assert not check.allowed and check.reason_code == "POLYMARKET_LOCKED"
    assert any(needle in u for u in check.unmet)


def test_polymarket_refuses_when_no_evaluation_is_committed(tmp_path: Path) -> None:
    check = check_polymarket(tmp_path / "absent.json")
    assert not check.allowed and "no readable committed evaluation" in check.unmet[0]


class _Venue:
    """A broker stand-in: only ``name`` and ``live`` matter to the lock."""

    def __init__(self, name: str, live: bool) -> None:
        self.name, self.live = name, live


def test_the_door_lets_paper_through_and_refuses_live_by_name(tmp_path: Path) -> None:
    from shared.errors import LiveLocked
    from shared.execution.live import require_unlocked

    board = _board(tmp_path, "enforced")
    paper = _Venue("paper", False)
    assert require_unlocked(paper, board_json=board, limits=RiskLimits(),  # type: ignore[arg-type]
                            state=RiskState(), environ={}) is paper
    live = _Venue("alpaca-live", True)
    with pytest.raises(LiveLocked, match="LIVE_LOCKED.*tiny live"):
        require_unlocked(live, board_json=board, limits=RiskLimits(),  # type: ignore[arg-type]
                         state=RiskState(), environ=READY)
    assert require_unlocked(live, board_json=board, limits=_limits(),  # type: ignore[arg-type]
                            state=RiskState(), environ=READY) is live
    clob = _Venue("polymarket-clob", True)
    with pytest.raises(LiveLocked, match="POLYMARKET_LOCKED"):
        require_unlocked(clob, board_json=board, limits=_limits(),  # type: ignore[arg-type]
                         state=RiskState(), environ=READY,
                         polymarket_eval=tmp_path / "absent.json")
    assert require_unlocked(clob, board_json=board, limits=_limits(),  # type: ignore[arg-type]
                            state=RiskState(), environ=READY,
                            polymarket_eval=_metrics(tmp_path)) is clob
