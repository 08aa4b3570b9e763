"""Every bot the product has, with where its fixtures and recorded timeline live."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from shared.bots.base import Bot
from shared.bots.cooldown.bot import Cooldown
from shared.bots.divergence import DivergenceBot
from shared.bots.execution.bot import ExecutionBot
from shared.bots.participation_guard.bot import ParticipationGuard
from shared.bots.persistence_guard.bot import PersistenceGuard
from shared.bots.sizing.bot import Sizing
from shared.bots.trend_guard.bot import TrendGuard

__all__ = ["BOTS", "GUARDS", "BotEntry", "BotName", "bot_entry"]


class BotName(StrEnum):
    """The name of every registered bot: each bot class's ``name`` (``BOTS`` fails on a name
    missing here; tests/test_names.py on a name here that is not registered)."""

    DIVERGENCE = "divergence"
    TREND_GUARD = "trend_guard"
    PERSISTENCE_GUARD = "persistence_guard"
    PARTICIPATION_GUARD = "participation_guard"
    COOLDOWN = "cooldown"
    SIZING = "sizing"
    EXECUTION = "execution"


@dataclass(frozen=True)
class BotEntry:
    bot_class: type[Bot[Any, Any]]
    folder: Path

    @property
    def fixtures_dir(self) -> Path:
        return self.folder / "fixtures"

    @property
    def timeline_path(self) -> Path:
        return self.folder / "timeline.jsonl"


_HERE = Path(__file__).resolve().parent

BOTS: dict[str, BotEntry] = {
    BotName(cls.name).value: BotEntry(cls, _HERE / cls.name)  # a name not in BotName fails
    for cls in (DivergenceBot, TrendGuard, PersistenceGuard, ParticipationGuard, Cooldown, Sizing,
                ExecutionBot)
}

GUARDS: tuple[BotName, ...] = (
    BotName.TREND_GUARD,
    BotName.PERSISTENCE_GUARD,
    BotName.PARTICIPATION_GUARD,
    BotName.COOLDOWN,
)
"""The gates a divergence candidate must pass, in the order they are asked."""


def bot_entry(name: str) -> BotEntry:
    try:
        return BOTS[name]
    except KeyError:
        raise KeyError(f"unknown bot {name!r} (known: {', '.join(sorted(BOTS))})") from None
