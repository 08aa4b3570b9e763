"""The tracer run's config (``config/tracer.yaml`` and ``config/bots/*.yaml``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from shared.bots.divergence import DivergenceConfig
from shared.config import config_dir, load_yaml_model
from shared.contracts import Mode
from shared.features.signal import FeatureParams

__all__ = ["BotFile", "ReplayFiles", "TracerConfig", "load_tracer_config"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReplayFiles(_Strict):
    bars: dict[str, str] = Field(default_factory=dict)
    news: tuple[str, ...] = ()
    fetch_delay_mins: PositiveInt = Field(default=5, le=24 * 60)


class BotFile(_Strict):
    mode: Mode
    params: DivergenceConfig


class TracerConfig(_Strict):
    symbol: str = Field(default="BTC-USD", min_length=1, max_length=32)
    history_hours: PositiveInt = Field(default=336, ge=48, le=24 * 365)
    max_bar_age_hours: PositiveInt = Field(default=3, le=24 * 7)
    features: FeatureParams = Field(default_factory=FeatureParams)
    replay: ReplayFiles = Field(default_factory=ReplayFiles)
    divergence: BotFile = Field(
        default_factory=lambda: BotFile(mode=Mode.ADVISORY, params=DivergenceConfig())
    )


def load_tracer_config(directory: Path | None = None) -> TracerConfig:
    """Load ``tracer.yaml`` plus ``bots/divergence.yaml`` from the config directory."""
    base = directory or config_dir()
    tracer = load_yaml_model(base / "tracer.yaml", TracerConfig)
    divergence = load_yaml_model(base / "bots" / "divergence.yaml", BotFile)
    return tracer.model_copy(update={"divergence": divergence})
