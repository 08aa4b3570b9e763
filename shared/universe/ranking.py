"""Rank a universe's outcomes into the digest's top-N: triggers first, then near-triggers.

* a **trigger** is a triggered outcome; triggers are ordered by ``rank_score``
  (``|divergence| / threshold``), highest first;
* a **near-trigger** is an evaluated outcome that did not fire (no trigger, or held back by a
  guard or the crossing rule) whose ``rank_score`` reaches ``near_trigger_ratio``.

Ties break on the symbol, so the order never depends on how the universe was sharded.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts import OutcomeStatus
from shared.contracts.universe import RankedEntry, RankKind, SymbolRecord, SymbolState

__all__ = ["is_near_trigger", "rank_records"]


def is_near_trigger(record: SymbolRecord, ratio: float) -> bool:
    outcome = record.outcome
    return (record.state is SymbolState.EVALUATED and outcome is not None
            and outcome.status in (OutcomeStatus.NO_TRIGGER, OutcomeStatus.SUPPRESSED)
            and outcome.rank_score >= ratio)


def rank_records(records: Sequence[SymbolRecord], *, top_n: int, near_trigger_ratio: float
                 ) -> tuple[RankedEntry, ...]:
    triggers = [r for r in records if r.outcome is not None
                and r.outcome.status is OutcomeStatus.TRIGGERED]
    near = [r for r in records if is_near_trigger(r, near_trigger_ratio)]
    ordered = [(RankKind.TRIGGER, r) for r in sorted(triggers, key=_key)]
    ordered += [(RankKind.NEAR_TRIGGER, r) for r in sorted(near, key=_key)]
    return tuple(
        RankedEntry(rank=i, symbol=r.symbol, kind=kind,
                    rank_score=r.outcome.rank_score if r.outcome else 0.0)
        for i, (kind, r) in enumerate(ordered[:top_n], start=1)
    )


def _key(record: SymbolRecord) -> tuple[float, str]:
    score = record.outcome.rank_score if record.outcome is not None else 0.0
    return (-score, record.symbol)
