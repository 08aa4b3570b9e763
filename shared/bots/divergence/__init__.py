"""The divergence bot (see ``bot.py``) with its fixtures and recorded timeline."""

from shared.bots.divergence.bot import (
    SEARCH_SPACE,
    DivergenceBot,
    DivergenceConfig,
    DivergenceReading,
    divergence_of,
)

__all__ = [
    "SEARCH_SPACE",
    "DivergenceBot",
    "DivergenceConfig",
    "DivergenceReading",
    "divergence_of",
]
