"""The promotion ladder, one step at a time: stub → shadow → advisory → enforced (quarantine
sits beside it: it only takes power away)."""

from __future__ import annotations

from shared.contracts import Mode

__all__ = ["LADDER", "rank"]

LADDER = (Mode.STUB, Mode.SHADOW, Mode.ADVISORY, Mode.ENFORCED)


def rank(mode: Mode) -> int:
    """Position on the ladder; quarantine ranks with stub."""
    return 0 if mode is Mode.QUARANTINE else LADDER.index(mode)
