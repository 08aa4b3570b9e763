"""The paper trader's JSON artifacts (``runs/paper/``, ``runs/drills/``), so that
``tb validate`` checks them like every other artifact: the account, the risk state (the
persisted halt), a replay's summary and a drill's result. The ledger's event logs are JSONL
and CSV (checked as rectangular tables); these are the files read back to resume or judge.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt

from shared.contracts.base import Contract

__all__ = ["DrillResult", "KillSwitchTrip", "PaperAccount", "PaperRiskState", "PaperSummary"]

Finite = float  # Contract forbids NaN and infinity on every float


class KillSwitchTrip(Contract):
    at: str = Field(min_length=1)  # ISO-8601 decision time of the trip
    code: str = Field(pattern=r"^HALT_[A-Z_]+$")
    detail: str


class PaperAccount(Contract):
    """The paper broker's cash, positions (units) and marks at the end of the last run."""

    schema_version: Literal["1"] = "1"
    type: Literal["paper_account"] = "paper_account"
    cash: Finite
    initial_cash: Finite = Field(gt=0.0)
    positions: dict[str, Finite]
    marks: dict[str, Finite]


class PaperRiskState(Contract):
    """The risk engine's persisted state: a halt stays until a person re-arms it."""

    schema_version: Literal["1"] = "1"
    type: Literal["paper_risk_state"] = "paper_risk_state"
    state: Literal["active", "reducing", "halted"]
    reason_code: str
    detail: str
    since: str
    peak_equity: Finite
    day: str
    day_start_equity: Finite
    errors: tuple[str, ...]
    trips: tuple[KillSwitchTrip, ...]


class PaperSummary(Contract):
    """What a paper replay did. Paper results predict nothing live (``note`` says so)."""

    schema_version: Literal["1"] = "1"
    type: Literal["paper_summary"] = "paper_summary"
    run_id: str = Field(min_length=1)
    orders: NonNegativeInt
    fills: NonNegativeInt
    refused: dict[str, NonNegativeInt]
    initial_cash: Finite
    final_equity: Finite
    max_drawdown: Finite = Field(ge=0.0)
    max_gross_exposure: Finite = Field(ge=0.0)
    halted: bool
    halt_reason: str | None
    halt_detail: str | None
    kill_switch_trips: tuple[KillSwitchTrip, ...]
    orders_after_halt: NonNegativeInt
    alerts: NonNegativeInt
    reconciled: bool
    steps: NonNegativeInt
    note: str = Field(min_length=1)


class DrillResult(Contract):
    """A drill on record (``runs/drills/<scenario>.json``): the readiness board's Runtime
    item reads ``passed``, ``halted``, ``orders_after_halt`` and ``alerts``."""

    schema_version: Literal["1"] = "1"
    type: Literal["drill_result"] = "drill_result"
    scenario: Literal["flash-crash", "dead-feed", "error-burst", "ledger-mismatch"]
    incident_at: str
    start: str
    end: str
    seed: int
    expected_halt: str
    halt_reason: str | None
    halted: bool
    orders_before_halt: NonNegativeInt
    orders_after_halt: NonNegativeInt
    intents_refused_after_halt: NonNegativeInt
    alerts: NonNegativeInt
    alert_delivery: str
    passed: bool
    ledger_dir: str
