"""Everything a run is configured by: the tracer section (``config/tracer.yaml``), the signal
(``config/signal.yaml``) and the bots (``config/bots/*.yaml``; see :mod:`shared.signal.config`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from shared.config import ConfigModel, config_dir, load_yaml_model
from shared.contracts import Timeframe
from shared.readiness.gates import ModeLimit, limit_modes
from shared.signal.config import BotSettings, SignalConfig, load_bot_settings, load_signal_config

__all__ = ["BarFile", "DatasetFiles", "NewsFile", "PipelineSettings", "TracerConfig",
           "load_pipeline_settings"]


_BAR_COLUMN_KEYS = frozenset({"time", "open", "high", "low", "close", "volume"})
_NEWS_COLUMN_KEYS = frozenset({"published_at", "headline", "symbols", "symbol", "fetched_at",
                               "source", "url", "summary", "narrative_id"})


class BarFile(ConfigModel):
    """A bars file with an explicit column mapping (``{time: Date, close: Last, ...}``: the
    file's names for ``time open high low close volume``; unnamed ones are found by name)."""

    path: str = Field(min_length=1)
    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - _BAR_COLUMN_KEYS)
        if unknown:
            raise ValueError(f"unknown column keys {unknown} (want {sorted(_BAR_COLUMN_KEYS)})")
        return value


class NewsFile(ConfigModel):
    """A narratives file (CSV or JSONL) read by a column mapping
    (:mod:`shared.providers.news_loaders`): ``published_at`` and ``headline`` name columns,
    and ``symbols`` (a column) or ``symbol`` (one fixed symbol) say what items are about."""

    path: str = Field(min_length=1)
    columns: dict[str, str]
    fetch_delay_mins: NonNegativeInt | None = Field(default=None, le=7 * 24 * 60)
    time_zone: str = "UTC"
    symbol_map: dict[str, str] = Field(default_factory=dict)
    source: str | None = None

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - _NEWS_COLUMN_KEYS)
        if unknown:
            raise ValueError(f"unknown column keys {unknown} (want {sorted(_NEWS_COLUMN_KEYS)})")
        missing = sorted({"published_at", "headline"} - set(value))
        if missing:
            raise ValueError(f"columns must name {missing}")
        if "symbols" not in value and "symbol" not in value:
            raise ValueError("columns must name symbols (a column) or symbol (a fixed symbol)")
        return value


class DatasetFiles(ConfigModel):
    """The public dataset ``--feed dataset`` reads: bar files per symbol and news files,
    relative to the data directory (:mod:`shared.datadir`), and the bars' ``timeframe``
    (``1m``, ``1h`` or ``1d``). ``calendar`` (an exchange, ``XNYS``) makes daily bars span
    that exchange's sessions. No news files: bars-only replay (``DATA_BARS_ONLY``)."""

    timeframe: Timeframe = Timeframe.HOUR
    calendar: str | None = Field(default=None, min_length=1, max_length=16)
    bars: dict[str, str | BarFile] = Field(default_factory=dict)
    news: tuple[str | NewsFile, ...] = ()
    fetch_delay_mins: PositiveInt = Field(default=5, le=24 * 60)

    @field_validator("timeframe", mode="before")
    @classmethod
    def _parse_timeframe(cls, value: object) -> Timeframe:
        return Timeframe.parse(value)

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The keys added with timeframes are dumped only when set, so the effective config
        # (and the run ids hashed from it) of every existing hourly run stays byte-identical.
        out: dict[str, Any] = handler(self)
        if self.timeframe is Timeframe.HOUR:
            out.pop("timeframe", None)
        if self.calendar is None:
            out.pop("calendar", None)
        return out

    def bar_paths(self) -> dict[str, str]:
        """Symbol → bars file path (as written in config)."""
        return {symbol: spec if isinstance(spec, str) else spec.path
                for symbol, spec in self.bars.items()}

    def bar_columns(self) -> dict[str, dict[str, str]]:
        """Symbol → explicit column mapping, for the files that have one."""
        return {symbol: spec.columns for symbol, spec in self.bars.items()
                if isinstance(spec, BarFile) and spec.columns}

    def news_paths(self) -> list[str]:
        return [spec if isinstance(spec, str) else spec.path for spec in self.news]


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
