"""Config of the signal: ``config/signal.yaml`` and one ``config/bots/<bot>.yaml`` per bot."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from shared.bots.base import BotConfig
from shared.bots.registry import BOTS
from shared.config import config_dir, load_yaml_model
from shared.contracts import Mode
from shared.features.signal import FeatureParams, NarrativeParams

__all__ = ["BotFile", "BotSettings", "SignalConfig", "load_bot_settings", "load_signal_config"]

ConfigT = TypeVar("ConfigT", bound=BotConfig)


class BotFile(BaseModel, Generic[ConfigT]):
    """``config/bots/<bot>.yaml``: the bot's mode and its typed parameters."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Mode
    params: ConfigT


class SignalConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    poll_hours: PositiveInt = Field(default=1, le=24)
    features: FeatureParams = Field(default_factory=FeatureParams)
    narratives: NarrativeParams = Field(default_factory=NarrativeParams)


class BotSettings(BaseModel):
    """Mode and params of every registered bot."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    bots: dict[str, tuple[Mode, Any]]

    def mode(self, name: str) -> Mode:
        return self.bots[name][0]

    def params(self, name: str) -> Any:
        return self.bots[name][1]

    def digestable(self) -> dict[str, Any]:
        return {name: {"mode": mode.value, "params": params.model_dump(mode="json")}
                for name, (mode, params) in sorted(self.bots.items())}


def load_signal_config(directory: Path | None = None) -> SignalConfig:
    return load_yaml_model((directory or config_dir()) / "signal.yaml", SignalConfig)


def load_bot_settings(directory: Path | None = None) -> BotSettings:
    """Load every registered bot's file; a missing file is a ConfigError naming it."""
    base = (directory or config_dir()) / "bots"
    loaded: dict[str, tuple[Mode, Any]] = {}
    for name, entry in sorted(BOTS.items()):
        model = BotFile[entry.bot_class.config_model]  # type: ignore[name-defined]
        parsed = load_yaml_model(base / f"{name}.yaml", model)
        loaded[name] = (parsed.mode, parsed.params)
    return BotSettings(bots=loaded)
