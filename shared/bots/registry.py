"""Every bot the product has, with where its fixtures and recorded timeline live."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.bots.base import Bot
from shared.bots.divergence import DivergenceBot

__all__ = ["BOTS", "BotEntry", "bot_entry"]


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
    DivergenceBot.name: BotEntry(DivergenceBot, _HERE / "divergence"),
}


def bot_entry(name: str) -> BotEntry:
    try:
        return BOTS[name]
    except KeyError:
        raise KeyError(f"unknown bot {name!r} (known: {', '.join(sorted(BOTS))})") from None
