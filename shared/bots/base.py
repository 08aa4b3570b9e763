"""The one interface every decision bot implements.

A bot is a pure function of a typed input and a typed config. It declares its authority
(what it may do), the modes it supports, and its hard thresholds (the bounds of its config
parameters, which a config file may not leave). It never builds envelopes or checks its own
authority: :mod:`shared.bots.runner` does both, so a bot cannot act beyond its authority by
mistake.

Example::

    class EchoBot(Bot[EchoInput, EchoConfig]):
        name = "echo"
        version = "1.0.0"
        authority = Authority.OBSERVE
        mode_support = frozenset({Mode.STUB, Mode.SHADOW})
        config_model = EchoConfig
        input_model = EchoInput

        def decide(self, inputs: EchoInput) -> BotDecision:
            return BotDecision(decision=Decision.NO_TRIGGER, reason_codes=("ECHO_OK",),
                               rationale="nothing to do")
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

from shared.config import StrictConfigModel
from shared.contracts import Authority, Decision, EnvelopeStatus, Evidence, Forecast, Mode

__all__ = [
    "Bot",
    "BotConfig",
    "BotDecision",
    "HardThreshold",
    "ParamRange",
    "search_space",
]


class BotConfig(StrictConfigModel):
    """Base of every bot's parameter model: unknown keys and wrong types are errors."""


@dataclass(frozen=True)
class HardThreshold:
    """The allowed range of one config parameter (inclusive unless marked open)."""

    low: float | None
    high: float | None
    low_open: bool = False
    high_open: bool = False

    def __str__(self) -> str:
        left = "(" if self.low_open or self.low is None else "["
        right = ")" if self.high_open or self.high is None else "]"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{left}{low}, {high}{right}"


@dataclass(frozen=True)
class ParamRange:
    """Where a tuner may look for one parameter: the closed range its config model allows
    (an open bound moved to the next allowed value), integer or continuous."""

    low: float
    high: float
    integer: bool
    default: float

    @property
    def step(self) -> float | None:
        """1 for an integer parameter, None for a continuous one."""
        return 1.0 if self.integer else None


def search_space(config_model: type[BaseModel]) -> dict[str, ParamRange]:
    """Every numeric parameter of ``config_model`` with both bounds declared, generated from
    its ``Field(ge/gt/le/lt)`` metadata: the search space is the config contract itself, so
    a new parameter or a changed bound changes what the tuner searches, with no second list.
    A parameter without both bounds is left out (the readiness board names it)."""
    out: dict[str, ParamRange] = {}
    for name, info in config_model.model_fields.items():
        bound = _threshold_of(info.metadata)
        if bound is None or bound.low is None or bound.high is None:
            continue
        integer = info.annotation is int
        low, high = float(bound.low), float(bound.high)
        if bound.low_open:
            low = low + 1.0 if integer else math.nextafter(low, math.inf)
        if bound.high_open:
            high = high - 1.0 if integer else math.nextafter(high, -math.inf)
        default = info.default
        if low < high and isinstance(default, int | float):
            out[name] = ParamRange(low=low, high=high, integer=integer, default=float(default))
    return out


def _threshold_of(metadata: list[Any]) -> HardThreshold | None:
    bounds: dict[str, Any] = {}
    for meta in metadata:
        if isinstance(meta, Ge):
            bounds["low"] = meta.ge
        elif isinstance(meta, Gt):
            bounds.update(low=meta.gt, low_open=True)
        elif isinstance(meta, Le):
            bounds["high"] = meta.le
        elif isinstance(meta, Lt):
            bounds.update(high=meta.lt, high_open=True)
    if not bounds:
        return None
    return HardThreshold(low=bounds.get("low"), high=bounds.get("high"),
                         low_open=bounds.get("low_open", False),
                         high_open=bounds.get("high_open", False))


@dataclass(frozen=True)
class BotDecision:
    """What ``Bot.decide`` returns; the runner wraps it in a ReportEnvelope."""

    decision: Decision
    reason_codes: tuple[str, ...]
    rationale: str
    status: EnvelopeStatus = EnvelopeStatus.OK
    forecast: Forecast | None = None
    evidence: tuple[Evidence, ...] = ()
    numbers: Mapping[str, float] = field(default_factory=dict)


InputT = TypeVar("InputT", bound=BaseModel)
ConfigT = TypeVar("ConfigT", bound=BotConfig)


class Bot(ABC, Generic[InputT, ConfigT]):
    """A decision unit. Subclasses set the class attributes and implement :meth:`decide`."""

    name: ClassVar[str]
    version: ClassVar[str]
    authority: ClassVar[Authority]
    mode_support: ClassVar[frozenset[Mode]]
    config_model: ClassVar[type[BotConfig]]
    input_model: ClassVar[type[BaseModel]]

    def __init__(self, config: ConfigT) -> None:
        self.config = config

    @abstractmethod
    def decide(self, inputs: InputT) -> BotDecision:
        """Decide on one input. Raise on a bug; return an ABSTAIN decision when the input
        does not allow a decision (the runner turns exceptions into failure envelopes)."""

    @classmethod
    def hard_thresholds(cls) -> dict[str, HardThreshold]:
        """The declared bounds of every bounded numeric parameter, from the config model."""
        out: dict[str, HardThreshold] = {}
        for name, info in cls.config_model.model_fields.items():
            bound = _threshold_of(info.metadata)
            if bound is not None:
                out[name] = bound
        return out
