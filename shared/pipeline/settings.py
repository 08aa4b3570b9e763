"""Everything a run is configured by: the tracer section (``config/tracer.yaml``), the signal
(``config/signal.yaml``) and the bots (``config/bots/*.yaml``; see :mod:`shared.signal.config`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from shared.config import ConfigModel, config_dir, load_yaml_model
from shared.readiness.gates import ModeLimit, limit_modes
from shared.signal.config import BotSettings, SignalConfig, load_bot_settings, load_signal_config

__all__ = ["DatasetFiles", "PipelineSettings", "TracerConfig", "load_pipeline_settings"]


class DatasetFiles(ConfigModel):
    """The public dataset ``--feed dataset`` reads: bar files per symbol and news files,
    relative to the data directory (:mod:`shared.datadir`)."""

    bars: dict[str, str] = Field(default_factory=dict)
    news: tuple[str, ...] = ()
    fetch_delay_mins: PositiveInt = Field(default=5, le=24 * 60)


class TracerConfig(ConfigModel):
    renamed_keys: ClassVar[Mapping[str, str]] = {"replay": "dataset"}

    symbol: str = Field(default="BTC-USD", min_length=1, max_length=32)
    history_hours: PositiveInt = Field(default=192, ge=48, le=24 * 365)
    max_bar_age_hours: PositiveInt = Field(default=3, le=24 * 7)
    dataset: DatasetFiles = Field(default_factory=DatasetFiles)


class PipelineSettings(BaseModel):
    """Everything a run is configured by: the tracer's section, the signal and the bots (the
    universe adds its own file, ``config/universe.yaml``)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    tracer: TracerConfig
    signal: SignalConfig
    bots: BotSettings
    mode_limits: tuple[ModeLimit, ...] = ()  # modes the board lowered (BOT_MODE_ABOVE_GATE)


def load_pipeline_settings(directory: Path | None = None) -> PipelineSettings:
    """Load ``tracer.yaml``, ``signal.yaml`` and every ``bots/*.yaml``."""
    base = directory or config_dir()
    bots, limits = limit_modes(load_bot_settings(base))  # never above the board's gate
    return PipelineSettings(
        tracer=load_yaml_model(base / "tracer.yaml", TracerConfig),
        signal=load_signal_config(base),
        bots=bots,
        mode_limits=limits,
    )
