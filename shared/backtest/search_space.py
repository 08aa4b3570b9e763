"""The search space a tuner explores: each bot's ``SEARCH_SPACE``, which is generated from
its config model's bounds (:func:`shared.bots.base.search_space`), asked of an Optuna trial.

Integers are searched on their whole range step 1, floats continuously; nothing here lists
a parameter or a range by hand, so the space follows the config contract.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import optuna

from shared.bots.base import ParamRange, search_space
from shared.bots.registry import BOTS
from shared.errors import ConfigError
from shared.signal.engine import NOT_IN_ENGINE

__all__ = ["SPACES", "TUNABLE_BOTS", "describe", "local_space", "space_for", "suggest"]

TUNABLE_BOTS: tuple[str, ...] = tuple(sorted(
    name for name, entry in BOTS.items()
    if name not in NOT_IN_ENGINE and search_space(entry.bot_class.config_model)))
"""Every bot the engine runs with at least one bounded parameter. The execution bot acts
after the engine (paper path) and its sizes are risk choices, never searched (its SPEC § 26);
a walk of the signal could not score them anyway."""


def space_for(bot: str) -> dict[str, ParamRange]:
    if bot not in BOTS:
        raise ConfigError(f"unknown bot {bot!r} (known: {', '.join(sorted(BOTS))})")
    return search_space(BOTS[bot].bot_class.config_model)


SPACES = ("local", "full")
"""``full``: the whole range the config model allows. ``local`` (the default): the part of it
around the configured value (:func:`local_space`). Both are generated; neither is a list."""


def local_space(space: dict[str, ParamRange], current: Mapping[str, float]
                ) -> dict[str, ParamRange]:
    """Each range narrowed to ``current ± max(|current|, span / 20)`` inside its bounds.

    The config bounds are hard limits, far wider than where a parameter is useful (the
    narrative mass may be set to 50; almost no headline set reaches 1), so a uniform draw
    over them mostly lands where nothing ever triggers, and a sampler learns nothing. The
    neighbourhood scales with the value itself (a threshold of 0.6 is searched over
    0.05..1.2, a 12-hour horizon over 1..24 hours) and is never empty."""
    out: dict[str, ParamRange] = {}
    for name, r in space.items():
        value = float(current.get(name, r.default))
        width = max(abs(value), (r.high - r.low) / 20.0)
        low, high = max(r.low, value - width), min(r.high, value + width)
        if r.integer:
            low, high = float(math.floor(low)), float(math.ceil(high))
        if not low < high:
            low, high = r.low, r.high
        out[name] = ParamRange(low=low, high=high, integer=r.integer, default=value)
    return out


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
