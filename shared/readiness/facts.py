"""Facts read from the code, the config files and the registry: the parameter, default,
threshold and reason-code tables a spec must match, and the codes a bot can emit."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.bots.base import Bot, ParamRange
from shared.config import load_yaml_model
from shared.readiness.evidence import Tree
from shared.reason_codes import ReasonCodeRegistry
from shared.signal.config import BotFile

__all__ = [
    "RUNNER_CODES",
    "CodeRow",
    "ParamRow",
    "bot_codes",
    "configured",
    "param_rows",
    "search_space",
]

# Codes the runner emits for every bot (shared/bots/runner.py), whatever the bot decides.
RUNNER_CODES = ("BOT_STUB", "BOT_QUARANTINED", "BOT_INPUT_INVALID", "BOT_EXCEPTION",
                "BOT_AUTHORITY_VIOLATION")
_CODE = re.compile(r"^[A-Z][A-Z0-9]*_[A-Z0-9_]{2,62}$")


@dataclass(frozen=True)
class ParamRow:
    name: str
    type: str
    default: str
    configured: str
    hard: str
    description: str


@dataclass(frozen=True)
class CodeRow:
    code: str
    severity: str
    meaning: str
    source: str  # "bot" or "runner"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def configured(tree: Tree, name: str) -> tuple[str, dict[str, Any]] | str:
    """(mode, params as JSON) from ``config/bots/<name>.yaml``, or the error as a string."""
    bot = tree.bot_class(name)
    path = tree.config_path(name)
    if not path.is_file():
        return f"{tree.rel(path)} is missing"
    try:
        parsed = load_yaml_model(path, BotFile[bot.config_model])  # type: ignore[name-defined]
    except Exception as e:  # noqa: BLE001 - a config that does not load is the evidence
        return f"{tree.rel(path)} does not load: {str(e).splitlines()[-1][:200]}"
    return str(parsed.mode.value), dict(parsed.params.model_dump(mode="json"))


def param_rows(tree: Tree, name: str) -> list[ParamRow]:
    bot = tree.bot_class(name)
    thresholds = bot.hard_thresholds()
    loaded = configured(tree, name)
    params = loaded[1] if isinstance(loaded, tuple) else {}
    rows = []
    for field, info in bot.config_model.model_fields.items():
        annotation = info.annotation
        type_name = getattr(annotation, "__name__", str(annotation))
        rows.append(ParamRow(
            name=field,
            type=type_name,
            default=_fmt(info.default),
            configured=_fmt(params[field]) if field in params else "(missing)",
            hard=str(thresholds[field]) if field in thresholds else "unbounded",
            description=(info.description or "").strip(),
        ))
    return rows


def _module_files(bot: type[Bot[Any, Any]]) -> list[Path]:
    module = __import__(bot.__module__, fromlist=["_"])
    path = Path(str(module.__file__))
    return sorted(path.parent.glob("*.py"))


def bot_codes(bot: type[Bot[Any, Any]]) -> list[str]:
    """Every reason-code-shaped string literal in the bot's package (its own codes)."""
    found: set[str] = set()
    module = __import__(bot.__module__, fromlist=["_"])
    for path in _module_files(bot):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and _CODE.match(node.value) and node.value not in RUNNER_CODES
                    and not hasattr(module, node.value)):  # (names in __all__)
                found.add(node.value)
    return sorted(found)


def code_rows(bot: type[Bot[Any, Any]], registry: ReasonCodeRegistry | None) -> list[CodeRow]:
    rows = []
    for source, codes in (("bot", bot_codes(bot)), ("runner", list(RUNNER_CODES))):
        for code in codes:
            if registry is not None and code in registry:
                entry = registry[code]
                rows.append(CodeRow(code, entry.severity.value, entry.meaning, source))
            else:
                rows.append(CodeRow(code, "UNREGISTERED", "(not in config/reason_codes.yaml)",
                                    source))
    return rows


def search_space(bot: type[Bot[Any, Any]]) -> dict[str, ParamRange] | None:
    """The bot module's ``SEARCH_SPACE`` when it is the generated one (name -> ParamRange)."""
    module = __import__(bot.__module__, fromlist=["_"])
    space = getattr(module, "SEARCH_SPACE", None)
    if not isinstance(space, dict) or not all(isinstance(v, ParamRange) for v in space.values()):
        return None
    return {str(k): v for k, v in space.items()}
