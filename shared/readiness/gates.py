"""Promotion gates and the run-time ceiling on a bot's mode.

Gates (one step at a time, stub → shadow → advisory → enforced; quarantine and any lowering
always allowed):

* shadow: Impl 15/15, Docs 27/27, Backtest 4/4;
* advisory: the shadow gate plus Runtime items 1-4;
* enforced: all four scores full, and advisory held for :data:`MIN_ADVISORY_DAYS` days of
  committed telemetry.

At run time a bot never runs above its *ceiling*: the highest mode its gates have earned
(read from the committed ``board.json``; absent or unreadable means nothing earned), or its
:data:`GRANDFATHERED` mode if that is higher. A configured mode above the ceiling is lowered
to it and ``BOT_MODE_ABOVE_GATE`` is recorded.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.bots.registry import BOTS
from shared.contracts import Mode, ProviderState, ProviderStatus
from shared.readiness.board import OUT_OF, BotBoard
from shared.readiness.evidence import REPO_ROOT
from shared.readiness.ladder import LADDER, rank
from shared.signal.config import BotSettings

__all__ = ["BOARD_JSON", "GRANDFATHERED", "LADDER", "MIN_ADVISORY_DAYS", "MODE_CODE",
           "ModeLimit", "PromotionCheck", "allowed_mode", "ceiling", "check_promotion",
           "earned_mode", "gate_unmet", "limit_modes", "min_hold_unmet", "mode_limit_status"]

logger = logging.getLogger(__name__)

MIN_ADVISORY_DAYS = 14
MODE_CODE = "BOT_MODE_ABOVE_GATE"
BOARD_JSON = REPO_ROOT / "board.json"

# The modes in force when the board was introduced (commit 5263604), before any gate existed.
# A ceiling, not a promotion: an entry may be lowered or removed, never raised or added
# (tests/shared/readiness/test_gates.py pins it). With an empty dict every bot runs at most at the
# mode its gates have earned.
GRANDFATHERED: dict[str, Mode] = {
    "cooldown": Mode.ENFORCED,
    "divergence": Mode.ADVISORY,
    "participation_guard": Mode.ENFORCED,
    "persistence_guard": Mode.ENFORCED,
    "sizing": Mode.ADVISORY,
    "trend_guard": Mode.ENFORCED,
}


_rank = rank


def _unmet(row: BotBoard, kind: str, numbers: range | None = None) -> list[str]:
    return [f"{kind} {i.number}/{OUT_OF[kind]} {i.title}: {i.evidence}"
            for i in row.items[kind] if not i.passed and (numbers is None or i.number in numbers)]


def gate_unmet(row: BotBoard, target: Mode) -> list[str]:
    """The unmet items of ``target``'s gate (cumulative); empty when the gate is met."""
    if target in (Mode.STUB, Mode.QUARANTINE):
        return []
    unmet = _unmet(row, "impl") + _unmet(row, "docs") + _unmet(row, "backtest")
    if target is Mode.SHADOW:
        return unmet
    if target is Mode.ADVISORY:
        return unmet + _unmet(row, "runtime", range(1, 5))
    unmet += _unmet(row, "runtime")
    held = min_hold_unmet(row)
    if held:
        unmet.append(held)
    return unmet


def min_hold_unmet(row: BotBoard) -> str | None:
    """Why advisory was not held for :data:`MIN_ADVISORY_DAYS` before enforced (None: it was),
    from the promotion history (the git history of ``config/bots/<bot>.yaml``): the most
    recent advisory span, up to the commit that changed it or HEAD."""
    if row.spans is None:
        return (f"advisory held: unknown (no promotion history: no git history of "
                f"config/bots/{row.bot}.yaml); needs {MIN_ADVISORY_DAYS} days")
    advisory = [s for s in row.spans if s.mode == Mode.ADVISORY.value]
    if not advisory:
        return f"advisory held 0 of {MIN_ADVISORY_DAYS} days (never advisory in the history)"
    last = advisory[-1]
    if last.days < MIN_ADVISORY_DAYS:
        return (f"advisory held {last.days:.1f} of {MIN_ADVISORY_DAYS} days (since "
                f"{last.since.date()}, commit {last.commit})")
    return None


def earned_mode(row: BotBoard) -> Mode:
    support = BOTS[row.bot].bot_class.mode_support if row.bot in BOTS else frozenset()
    best = Mode.STUB
    for mode in LADDER[1:]:
        if mode not in support or gate_unmet(row, mode):
            break
        best = mode
    return best


def ceiling(bot: str, earned: Mode) -> Mode:
    """The highest mode ``bot`` may run in: what it earned, or its grandfathered mode."""
    grand = GRANDFATHERED.get(bot, Mode.STUB)
    return grand if _rank(grand) > _rank(earned) else earned


@dataclass(frozen=True)
class PromotionCheck:
    bot: str
    from_mode: Mode
    to_mode: Mode
    unmet: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.unmet

    def table(self, row: BotBoard) -> str:
        lines = [f"### {self.bot}: {self.from_mode.value} → {self.to_mode.value}: "
                 + ("gate met" if self.ok else "BLOCKED"), "",
                 "| score | have | gate needs |", "|---|---|---|"]
        needs = {Mode.SHADOW: {"impl", "docs", "backtest"},
                 Mode.ADVISORY: {"impl", "docs", "backtest"},
                 Mode.ENFORCED: {"impl", "docs", "backtest", "runtime"}}.get(self.to_mode, set())
        for kind in ("docs", "impl", "runtime", "backtest"):
            need = f"{OUT_OF[kind]}" if kind in needs else (
                "items 1-4" if kind == "runtime" and self.to_mode is Mode.ADVISORY else "-")
            lines.append(f"| {kind} | {row.score(kind)}/{OUT_OF[kind]} | {need} |")
        if self.unmet:
            lines += ["", "Unmet:", ""] + [f"- {u}" for u in self.unmet]
        return "\n".join(lines) + "\n"


def check_promotion(row: BotBoard, from_mode: Mode, to_mode: Mode) -> PromotionCheck:
    """Whether ``row.bot`` may move from ``from_mode`` to ``to_mode`` now. Holding a mode
    (``from_mode == to_mode``) needs that mode's gate too: a grandfathered mode is not a met
    gate. Stepping down, stub and quarantine only take power away and are always allowed."""
    unmet: list[str] = []
    support = BOTS[row.bot].bot_class.mode_support
    holds = to_mode is from_mode and to_mode not in (Mode.STUB, Mode.QUARANTINE)
    if to_mode not in support:
        unmet.append(f"{row.bot} does not support mode {to_mode.value}")
    elif holds:
        unmet += gate_unmet(row, to_mode)
    elif to_mode is not Mode.QUARANTINE and _rank(to_mode) > _rank(from_mode):
        if _rank(to_mode) - _rank(from_mode) > 1:
            step = LADDER[_rank(from_mode) + 1].value
            unmet.append(f"skips a step: {from_mode.value} → {to_mode.value} (next step is "
                         f"{step}; one step at a time)")
        unmet += gate_unmet(row, to_mode)
    return PromotionCheck(row.bot, from_mode, to_mode, tuple(unmet))


# --- run time ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ModeLimit:
    """A configured mode that the board does not allow, and the mode the bot ran in."""

    bot: str
    configured: Mode
    allowed: Mode
    code: str = MODE_CODE


def _earned_on_file(path: Path) -> dict[str, Mode]:
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
        return {str(b["bot"]): Mode(b["earned_mode"]) for b in doc["bots"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # absent or unreadable: nothing earned (fail closed)


def allowed_mode(bot: str, configured: Mode, *, board_json: Path | None = None) -> Mode:
    """The mode ``bot`` runs in when configured as ``configured``: never above its ceiling.
    Stub and quarantine only take power away and always stand."""
    if configured in (Mode.STUB, Mode.QUARANTINE):
        return configured
    earned = _earned_on_file(board_json or BOARD_JSON).get(bot, Mode.STUB)
    top = ceiling(bot, earned)
    return configured if _rank(configured) <= _rank(top) else top


def limit_modes(settings: BotSettings, *, board_json: Path | None = None
                ) -> tuple[BotSettings, tuple[ModeLimit, ...]]:
    """``settings`` with every mode capped at what the board allows, and what was capped."""
    limits = []
    bots = dict(settings.bots)
    for name, (mode, params) in sorted(settings.bots.items()):
        allowed = allowed_mode(name, mode, board_json=board_json)
        if allowed is not mode:
            limits.append(ModeLimit(name, mode, allowed))
            bots[name] = (allowed, params)
            logger.warning("%s: %s configured %s, board allows %s; running in %s",
                           MODE_CODE, name, mode.value, allowed.value, allowed.value)
    if not limits:
        return settings, ()
    return BotSettings(bots=bots), tuple(limits)


def mode_limit_status(limits: tuple[ModeLimit, ...]) -> ProviderStatus | None:
    """The readiness "provider" of a run's manifest when the board lowered a bot's mode: a
    degraded status with ``BOT_MODE_ABOVE_GATE`` naming each bot, configured and run-at mode
    (a direct push that skipped the promotion gate shows in the artifacts, not only the log)."""
    if not limits:
        return None
    detail = "; ".join(f"{m.bot} configured {m.configured.value}, ran {m.allowed.value}"
                       for m in limits)
    return ProviderStatus(provider="readiness", state=ProviderState.DEGRADED,
                          reason_codes=(MODE_CODE,), detail=detail[:500])
