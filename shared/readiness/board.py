"""The board: one row per bot, four scores side by side, the status word, the header line.

The four scores are never summed and never stand in for each other. The status word:
``pending`` (Impl not full), ``demo-wired`` (Impl full), ``shadow-ready`` (Impl, Docs and
Backtest full), ``production-live`` (all four full).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.readiness.backtest import check_backtest
from shared.readiness.evidence import REPO_ROOT, Item, Tree
from shared.readiness.facts import configured
from shared.readiness.history import ModeSpan, mode_spans
from shared.readiness.impl import ClobCheck, Typecheck, check_impl, mypy_typecheck
from shared.readiness.runtime import check_runtime
from shared.readiness.spec import check_docs

__all__ = ["OUT_OF", "STATUSES", "Board", "BotBoard", "compute_board", "render_markdown",
           "status_of"]

OUT_OF = {"docs": 27, "impl": 15, "runtime": 8, "backtest": 4}
STATUSES = ("demo-wired", "shadow-ready", "production-live", "pending")


@dataclass(frozen=True)
class BotBoard:
    bot: str
    mode: str  # as configured in config/bots/<bot>.yaml (or "invalid")
    items: dict[str, tuple[Item, ...]]
    # The modes the bot held (git history of its config file); None: no history in the tree.
    spans: tuple[ModeSpan, ...] | None = None

    def score(self, kind: str) -> int:
        return sum(i.passed for i in self.items[kind])

    def full(self, kind: str) -> bool:
        return self.score(kind) == OUT_OF[kind]

    @property
    def status(self) -> str:
        return status_of(self.score("docs"), self.score("impl"), self.score("runtime"),
                         self.score("backtest"))

    @property
    def earned_mode(self) -> str:
        from shared.readiness.gates import earned_mode
        return earned_mode(self).value

    @property
    def allowed_mode(self) -> str:
        from shared.contracts import Mode
        from shared.readiness.gates import ceiling
        if self.mode not in {m.value for m in Mode}:
            return "stub"
        return ceiling(self.bot, Mode(self.earned_mode)).value

    def to_json(self) -> dict[str, Any]:
        return {
            "bot": self.bot, "docs": self.score("docs"), "impl": self.score("impl"),
            "runtime": self.score("runtime"), "backtest": self.score("backtest"),
            "status": self.status, "mode": self.mode, "earned_mode": self.earned_mode,
            "allowed_mode": self.allowed_mode,
            "items": {kind: [i.to_json() for i in items] for kind, items in self.items.items()},
        }


def status_of(docs: int, impl: int, runtime: int, backtest: int) -> str:
    """The status word. Docs alone never lifts a bot: Impl below full is ``pending``."""
    if impl < OUT_OF["impl"]:
        return "pending"
    if docs < OUT_OF["docs"] or backtest < OUT_OF["backtest"]:
        return "demo-wired"
    if runtime < OUT_OF["runtime"]:
        return "shadow-ready"
    return "production-live"


@dataclass(frozen=True)
class Board:
    bots: tuple[BotBoard, ...]

    @property
    def header(self) -> str:
        counts = {s: sum(b.status == s for b in self.bots) for s in STATUSES}
        return " · ".join(f"{counts[s]} {s}" for s in STATUSES) + f" · {len(self.bots)} total"

    def bot(self, name: str) -> BotBoard:
        for row in self.bots:
            if row.bot == name:
                return row
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {"bots": [b.to_json() for b in self.bots], "header": self.header}


def compute_board(tree: Tree | None = None, *, bots: Sequence[str] | None = None,
                  typecheck: Typecheck = mypy_typecheck,
                  clob_check: ClobCheck | None = None) -> Board:
    """Run every check for every bot (or ``bots``) against ``tree`` (default: this repo).

    ``clob_check`` runs Impl item 13 (a bot's fixture pack through the mock CLOB); the CLI
    passes ``shared.execution.fixture_pack.check_fixture_pack``, which this floor cannot
    import. Without it item 13 fails with that reason."""
    tree = Tree(tree.root if tree else REPO_ROOT)  # fresh: nothing cached from an earlier read
    names = list(bots) if bots else tree.bots
    typed = typecheck(tree.root)
    rows = []
    for name in names:
        loaded = configured(tree, name)
        rows.append(BotBoard(
            bot=name,
            mode=loaded[0] if isinstance(loaded, tuple) else "invalid",
            items={
                "docs": tuple(check_docs(tree, name)),
                "impl": tuple(check_impl(tree, name, typed, clob_check)),
                "runtime": tuple(check_runtime(tree, name)),
                "backtest": tuple(check_backtest(tree, name)),
            },
            spans=mode_spans(tree.root, name),
        ))
    return Board(tuple(rows))


def render_markdown(board: Board, *, details: bool = True) -> str:
    lines = [
        "# Readiness board",
        "",
        "Generated by `tb board` from evidence in the tree (do not edit). Four separate scores;",
        "a full Docs score says nothing about Impl, Runtime or Backtest. Definitions:",
        "`shared/readiness/` and the readiness doc.",
        "",
        f"**{board.header}**",
        "",
        "| bot | Docs /27 | Impl /15 | Runtime /8 | Backtest /4 | status | mode (configured) "
        "| earned | allowed at run time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for b in board.bots:
        lines.append(f"| {b.bot} | {b.score('docs')} | {b.score('impl')} | "
                     f"{b.score('runtime')} | {b.score('backtest')} | {b.status} | {b.mode} | "
                     f"{b.earned_mode} | {b.allowed_mode} |")
    if details:
        for b in board.bots:
            lines += ["", f"## {b.bot}", ""]
            for kind in ("docs", "impl", "runtime", "backtest"):
                failed = [i for i in b.items[kind] if not i.passed]
                lines.append(f"- **{kind}** {b.score(kind)}/{OUT_OF[kind]}"
                             + (": unmet" if failed else ": all pass"))
                for i in failed:
                    lines.append(f"  - {i.number}. {i.title} — {i.evidence}")
    return "\n".join(lines) + "\n"
