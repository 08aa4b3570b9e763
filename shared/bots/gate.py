"""Common shape of a gate bot's decision (pass or block, with its evidence)."""

from __future__ import annotations

from shared.bots.base import BotDecision
from shared.contracts import Decision, Evidence

__all__ = ["gate"]


def gate(*, block: bool, code: str, rationale: str, line: str,
         numbers: dict[str, float]) -> BotDecision:
    """Block or pass with one reason code and one evidence line carrying ``numbers``."""
    return BotDecision(
        decision=Decision.BLOCK if block else Decision.PASS,
        reason_codes=(code,),
        rationale=rationale,
        evidence=(Evidence(line=line, numbers=numbers),),
        numbers=numbers,
    )
