"""Config of the signal: ``config/signal.yaml`` and one ``config/bots/<bot>.yaml`` per bot."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from shared.bots.base import BotConfig
from shared.bots.cooldown.bot import CooldownConfig
from shared.bots.divergence import DivergenceConfig
from shared.bots.registry import BOTS
from shared.config import ConfigModel, config_dir, load_yaml_model
from shared.contracts import Mode
from shared.contracts.schemas import schema_text
from shared.features.signal import FeatureParams, NarrativeParams

__all__ = ["BotFile", "BotSettings", "SignalConfig", "bot_config_schema_name", "bot_file_model",
           "load_bot_settings", "load_signal_config", "render_bot_config_schemas"]

ConfigT = TypeVar("ConfigT", bound=BotConfig)


class BotFile(ConfigModel, Generic[ConfigT]):
    """``config/bots/<bot>.yaml``: the bot's mode and its typed parameters."""

    mode: Mode
    params: ConfigT


class SignalConfig(ConfigModel):
    poll_hours: PositiveInt = Field(default=1, le=24)
    features: FeatureParams = Field(default_factory=FeatureParams)
    narratives: NarrativeParams = Field(default_factory=NarrativeParams)


class BotSettings(BaseModel):
    """Mode and params of every registered bot. Read a bot's params typed, by its config
    model: ``settings.params_of(DivergenceConfig)`` (or ``settings.divergence``)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    bots: dict[str, tuple[Mode, BotConfig]]

    def mode(self, name: str) -> Mode:
        return self.bots[name][0]

    def params_of(self, config_model: type[ConfigT]) -> ConfigT:
        """The params of the registered bot whose config model is ``config_model``."""
        for name, entry in BOTS.items():
            if entry.bot_class.config_model is config_model:
                params = self.bots[name][1]
                if not isinstance(params, config_model):
                    raise TypeError(f"bot {name}: params are {type(params).__name__}, "
                                    f"not {config_model.__name__}")
                return params
        raise KeyError(f"no registered bot is configured by {config_model.__name__}")

    @property
    def divergence(self) -> DivergenceConfig:
        return self.params_of(DivergenceConfig)

    @property
    def cooldown(self) -> CooldownConfig:
        return self.params_of(CooldownConfig)

    def digestable(self) -> dict[str, Any]:
        return {name: {"mode": mode.value, "params": params.model_dump(mode="json")}
                for name, (mode, params) in sorted(self.bots.items())}


def load_signal_config(directory: Path | None = None) -> SignalConfig:
    return load_yaml_model((directory or config_dir()) / "signal.yaml", SignalConfig)


def load_bot_settings(directory: Path | None = None) -> BotSettings:
    """Load every registered bot's file; a missing file is a ConfigError naming it."""
    base = (directory or config_dir()) / "bots"
    loaded: dict[str, tuple[Mode, BotConfig]] = {}
    for name in sorted(BOTS):
        parsed = load_yaml_model(base / f"{name}.yaml", bot_file_model(name))
        loaded[name] = (parsed.mode, parsed.params)
    return BotSettings(bots=loaded)


def bot_file_model(name: str) -> type[BotFile[Any]]:
    """The model ``config/bots/<name>.yaml`` is validated against (mode + typed params)."""
    config_model = BOTS[name].bot_class.config_model
    model: type[BotFile[Any]] = BotFile[config_model]  # type: ignore[valid-type]
    return model


def bot_config_schema_name(name: str) -> str:
    """``bot_config_<name>``: the published schema is ``schemas/bot_config_<name>.schema.json``."""
    return f"bot_config_{name}"


def render_bot_config_schemas() -> dict[str, str]:
    """``{file name: JSON text}`` of every registered bot's config-file schema, generated from
    its config model (never written by hand; ``python -m shared.schemas.export`` commits it)."""
    out = {}
    for name in sorted(BOTS):
        schema_name = bot_config_schema_name(name)
        out[f"{schema_name}.schema.json"] = schema_text(schema_name, bot_file_model(name))
    return out
