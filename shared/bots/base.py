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
            bounds: dict[str, Any] = {}
            for meta in info.metadata:
                if isinstance(meta, Ge):
                    bounds["low"] = meta.ge
                elif isinstance(meta, Gt):
                    bounds.update(low=meta.gt, low_open=True)
                elif isinstance(meta, Le):
                    bounds["high"] = meta.le
                elif isinstance(meta, Lt):
                    bounds.update(high=meta.lt, high_open=True)
            if bounds:
                out[name] = HardThreshold(
                    low=bounds.get("low"),
                    high=bounds.get("high"),
                    low_open=bounds.get("low_open", False),
                    high_open=bounds.get("high_open", False),
                )
        return out
