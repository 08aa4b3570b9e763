"""The search space a tuner explores: each bot's ``SEARCH_SPACE``, which is generated from
its config model's bounds (:func:`shared.bots.base.search_space`), asked of an Optuna trial.

Integers are searched on their whole range step 1, floats continuously; nothing here lists
a parameter or a range by hand, so the space follows the config contract.
"""

from __future__ import annotations

from typing import Any

import optuna

from shared.bots.base import ParamRange, search_space
from shared.bots.registry import BOTS
from shared.errors import ConfigError

__all__ = ["TUNABLE_BOTS", "describe", "space_for", "suggest"]

TUNABLE_BOTS: tuple[str, ...] = tuple(
    sorted(name for name, entry in BOTS.items() if search_space(entry.bot_class.config_model)))
"""Every registered bot with at least one bounded parameter."""


def space_for(bot: str) -> dict[str, ParamRange]:
    if bot not in BOTS:
        raise ConfigError(f"unknown bot {bot!r} (known: {', '.join(sorted(BOTS))})")
    return search_space(BOTS[bot].bot_class.config_model)


def suggest(trial: optuna.Trial, space: dict[str, ParamRange]) -> dict[str, float]:
    """One candidate: a value for every parameter of the space."""
    out: dict[str, float] = {}
    for name, r in sorted(space.items()):
        if r.integer:
            out[name] = trial.suggest_int(name, int(r.low), int(r.high))
        else:
            out[name] = trial.suggest_float(name, r.low, r.high)
    return out


def describe(space: dict[str, ParamRange]) -> dict[str, dict[str, Any]]:
    """The space as JSON (what a reference run records it searched)."""
    return {name: {"low": r.low, "high": r.high, "integer": r.integer, "default": r.default}
            for name, r in sorted(space.items())}
