"""Require the narrative to persist: told by more than one source, or across more than one
time bucket, before a trigger may fire."""

from __future__ import annotations

from pydantic import Field

from shared.bots.base import Bot, BotConfig, BotDecision, ParamRange, search_space
from shared.bots.gate import gate
from shared.contracts import Authority, Mode
from shared.contracts.signal import Candidate

__all__ = ["SEARCH_SPACE", "PersistenceGuard", "PersistenceGuardConfig"]


class PersistenceGuardConfig(BotConfig):
    min_sources: int = Field(default=2, ge=1, le=10)
    min_windows: int = Field(default=2, ge=1, le=10)


SEARCH_SPACE: dict[str, ParamRange] = search_space(PersistenceGuardConfig)
"""Tunable parameters, generated from the config bounds (:func:`~shared.bots.base.search_space`)."""


class PersistenceGuard(Bot[Candidate, PersistenceGuardConfig]):
    name = "persistence_guard"
    version = "1.0.0"
    authority = Authority.GATE
    mode_support = frozenset(Mode)
    config_model = PersistenceGuardConfig
    input_model = Candidate

    def decide(self, inputs: Candidate) -> BotDecision:
        f = inputs.features
        numbers = {"source_count": float(f.source_count), "window_count": float(f.window_count)}
        sources = f.source_count >= self.config.min_sources
        windows = f.window_count >= self.config.min_windows
        if sources != windows:  # passes on one axis only: worth a look
            return gate(block=False, code="GUARD_PERSISTENCE_PARTIAL",
                        rationale="the narrative persists across sources or time, not both",
                        line="The story persists, but only across "
                        + ("sources" if sources else "time") + ".", numbers=numbers)
        if sources or windows:
            return gate(block=False, code="GUARD_PERSISTENCE_PASS",
                        rationale="the narrative persists across sources or time",
                        line="The story persists across sources or over time.",
                        numbers=numbers)
        return gate(block=True, code="GUARD_PERSISTENCE_BLOCK",
                    rationale="one source, one moment: the narrative has not persisted",
                    line="The story rests on one source at one moment.", numbers=numbers)
