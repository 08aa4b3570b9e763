"""Recorded incidents the drills replay against the paper path (``tb drill``).

Each incident changes what the paper session sees from its start time on, the way the real
failure would: a flash crash (one bar falls by ``crash`` of its price), a dead feed (no bar
closes any more and no decision can be made), a burst of provider errors (every decision
fails with ``PROVIDER_ERROR``), a ledger mismatch (the broker's cash no longer agrees with
its fills). The kill-switch that must trip is named in :data:`EXPECTED_HALT`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shared.execution.paper import FillBar, PaperBroker
from shared.pipeline import DecisionState, SymbolDecision

__all__ = ["EXPECTED_HALT", "Incident", "DrillScenario"]


class DrillScenario(StrEnum):
    FLASH_CRASH = "flash-crash"
    DEAD_FEED = "dead-feed"
    ERROR_BURST = "error-burst"
    LEDGER_MISMATCH = "ledger-mismatch"


EXPECTED_HALT: dict[DrillScenario, str] = {
    DrillScenario.FLASH_CRASH: "HALT_PRICE_GAP",
    DrillScenario.DEAD_FEED: "HALT_STALE_DATA",
    DrillScenario.ERROR_BURST: "HALT_ERROR_BURST",
    DrillScenario.LEDGER_MISMATCH: "HALT_LEDGER_MISMATCH",
}


@dataclass
class Incident:
    scenario: DrillScenario
    at: datetime
    crash: float = 0.4
    _done: bool = field(default=False, repr=False)
    _last_end: datetime | None = field(default=None, repr=False)

    def apply(self, as_of: datetime, bar: FillBar | None, last_end: datetime | None,
              decision: SymbolDecision | None, broker: PaperBroker
              ) -> tuple[FillBar | None, datetime | None, SymbolDecision | None]:
        if as_of < self.at:
            self._last_end = last_end
            return bar, last_end, decision
        kind = self.scenario
        if kind is DrillScenario.FLASH_CRASH and bar is not None and not self._done:
            self._done = True
            low = bar.close * (1.0 - self.crash)
            return dataclasses.replace(bar, close=low), last_end, decision
        if kind is DrillScenario.DEAD_FEED:
            return None, self._last_end, None
        if kind is DrillScenario.ERROR_BURST and decision is not None:
            failed = dataclasses.replace(decision, state=DecisionState.FAILED,
                                         reason_code="PROVIDER_ERROR",
                                         detail="drill: provider error burst")
            return bar, last_end, failed
        if kind is DrillScenario.LEDGER_MISMATCH and not self._done:
            self._done = True
            broker.cash += 1.0  # the venue's cash drifts from the ledger's fills
        return bar, last_end, decision
