"""The readiness board: four separate scores per bot (Docs/27, Impl/15, Runtime/8,
Backtest/4), each computed by executing checks against evidence in the tree, the status word
they earn, the promotion gates they open, and the run-time ceiling on a bot's mode.

``docs/readiness.md`` (the shared readiness definition) is the source of truth for the
checklists; this package is its executable form. Nothing here is typed in: an item passes
only when its check, run now against the files it names, passes; an absent source fails the
item with the reason shown.
"""

from shared.readiness.board import Board, BotBoard, compute_board, render_markdown
from shared.readiness.evidence import Item, Tree
from shared.readiness.gates import (
    GRANDFATHERED,
    ModeLimit,
    PromotionCheck,
    allowed_mode,
    check_promotion,
    earned_mode,
    limit_modes,
)

__all__ = [
    "GRANDFATHERED",
    "Board",
    "BotBoard",
    "Item",
    "ModeLimit",
    "PromotionCheck",
    "Tree",
    "allowed_mode",
    "check_promotion",
    "compute_board",
    "earned_mode",
    "limit_modes",
    "render_markdown",
]
