"""What a check returns (:class:`Item`) and where it reads from (:class:`Tree`).

A :class:`Tree` is a checkout of the repository: the spec, fixtures, timelines, registry,
configs, schemas and telemetry are read from files under its root, so a test can copy the
tree, mutate one file and see which score moves. (The bot classes themselves are the
imported ones: a copy shares the code, not the evidence.)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from shared.bots.base import Bot
from shared.bots.registry import BOTS, BotEntry
from shared.reason_codes import ReasonCodeRegistry

__all__ = ["REPO_ROOT", "Item", "Tree"]

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Item:
    """One checklist item: its number, what it checks, whether it passed, and the evidence
    it read (a path relative to the tree root, and what was found there)."""

    number: int
    title: str
    passed: bool
    evidence: str

    def to_json(self) -> dict[str, Any]:
        return {"n": self.number, "title": self.title, "pass": self.passed,
                "evidence": self.evidence}


def item(number: int, title: str, passed: bool, evidence: str) -> Item:
    return Item(number, title, passed, evidence)


@dataclass(frozen=True)
class Tree:
    """A repository checkout whose evidence the checks read."""

    root: Path

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def bot_folder(self, name: str) -> Path:
        return self.root / "shared" / "bots" / name

    def entry(self, name: str) -> BotEntry:
        return BotEntry(BOTS[name].bot_class, self.bot_folder(name))

    def bot_class(self, name: str) -> type[Bot[Any, Any]]:
        return BOTS[name].bot_class

    def spec_path(self, name: str) -> Path:
        return self.bot_folder(name) / "SPEC.md"

    def config_path(self, name: str) -> Path:
        return self.root / "config" / "bots" / f"{name}.yaml"

    @property
    def registry_path(self) -> Path:
        return self.root / "config" / "reason_codes.yaml"

    @cached_property
    def registry(self) -> ReasonCodeRegistry | None:
        """The tree's reason-code registry, or None when it is missing or invalid."""
        try:
            return ReasonCodeRegistry.load(self.registry_path)
        except Exception:  # noqa: BLE001 - an unreadable registry is evidence, shown as such
            return None

    @property
    def bots(self) -> list[str]:
        return sorted(BOTS)
