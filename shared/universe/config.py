"""The universe's config (``config/universe.yaml``): symbols, asset classes, digest, Polymarket.

Loaded through :func:`shared.config.load_yaml_model`, so a typo, a wrong type or a value out of
range names the file, the line, the key and the allowed range. Cross-entry checks (a symbol
listed twice) are done after validation and name the line of the offending entry as well.

Feature windows in ``config/signal.yaml`` count *bars*, not wall-clock hours. Crypto trades
24/7, so one bar is one hour; an equity has about six hourly bars per session, so each asset
class (and each symbol) may override the feature windows, the history fetched and the freshness
limit, in bars/hours as the field names say.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import Field, PositiveInt

from shared.config import ConfigModel, config_digest, config_dir, load_yaml_model
from shared.contracts import AssetClass
from shared.errors import ConfigError
from shared.features.signal import RENAMED_FEATURE_KEYS, FeatureParams
from shared.signal.config import SignalConfig

__all__ = [
    "AssetClassSettings",
    "DigestSettings",
    "PolymarketRules",
    "SymbolOverrides",
    "UniverseConfig",
    "UniverseSymbol",
    "load_universe_config",
]


class FeatureOverrides(ConfigModel):
    """Any subset of ``config/signal.yaml: features`` (validated against its ranges once
    merged, see :meth:`UniverseConfig.signal_for`)."""

    renamed_keys: ClassVar[Mapping[str, str]] = RENAMED_FEATURE_KEYS

    narrative_window_hours: PositiveInt | None = None
    half_life_hours: float | None = Field(default=None, gt=0)
    persistence_bucket_hours: PositiveInt | None = None
    move_lookback_bars: PositiveInt | None = None
    vol_window_bars: PositiveInt | None = None
    participation_bars: PositiveInt | None = None
    trend_lookback_bars: PositiveInt | None = None
    min_bars: PositiveInt | None = None
    polarity_band: float | None = Field(default=None, ge=0.0, le=0.9)


class AssetClassSettings(ConfigModel):
    """How one asset class is fetched and judged fresh."""

    calendar: Literal["XNYS"] | None = Field(
        default=None, description="exchange calendar; null trades 24/7"
    )
    history_hours: PositiveInt = Field(default=336, ge=48, le=24 * 365)
    max_bar_age_hours: PositiveInt = Field(default=3, le=24 * 7)
    features: FeatureOverrides = Field(default_factory=FeatureOverrides)


class SymbolOverrides(ConfigModel):
    history_hours: PositiveInt | None = Field(default=None, ge=48, le=24 * 365)
    max_bar_age_hours: PositiveInt | None = Field(default=None, le=24 * 7)
    features: FeatureOverrides = Field(default_factory=FeatureOverrides)


class UniverseSymbol(ConfigModel):
    symbol: str = Field(pattern=r"^[A-Z0-9][A-Z0-9.\-]{0,31}$")
    asset_class: AssetClass
    name: str = Field(min_length=1, max_length=64)
    aliases: tuple[str, ...] = Field(
        default=(), description="lower-case words that name the asset in headlines and markets"
    )
    polymarket_queries: tuple[str, ...] = Field(
        default=(), description="Gamma search queries (default: the display name)"
    )
    polymarket_match: tuple[str, ...] = Field(
        default=(),
        description="terms a market question must contain to be about this asset (default: "
        "the match terms); set it when an alias names a different underlying (gold vs GLD)",
    )
    overrides: SymbolOverrides = Field(default_factory=SymbolOverrides)

    def match_terms(self) -> tuple[str, ...]:
        """Lower-case terms that identify this asset in text: aliases, name and ticker."""
        base = self.symbol.split("-")[0].lower()
        return tuple(dict.fromkeys([*self.aliases, self.name.lower(), base]))

    def queries(self) -> tuple[str, ...]:
        return self.polymarket_queries or (self.name,)

    def market_terms(self) -> tuple[str, ...]:
        return self.polymarket_match or self.match_terms()


class DigestSettings(ConfigModel):
    top_n: PositiveInt = Field(default=5, le=50)
    near_trigger_ratio: float = Field(
        default=0.8, gt=0.0, lt=1.0,
        description="a non-trigger whose |divergence| / threshold reaches this is a near-trigger",
    )
    max_polymarket_lines: PositiveInt = Field(default=5, le=20)
    max_listed_symbols: PositiveInt = Field(default=8, le=50)


class PolymarketRules(ConfigModel):
    """Which markets are good enough to compare with, and the internal model's knobs."""

    enabled: bool = True
    min_liquidity_usd: float = Field(default=5_000.0, ge=0.0)
    min_volume_usd: float = Field(default=10_000.0, ge=0.0)
    min_hours_to_resolution: float = Field(default=6.0, ge=0.0, le=24 * 30)
    max_days_to_resolution: float = Field(default=120.0, gt=0.0, le=3 * 365)
    max_price_age_hours: float = Field(default=6.0, gt=0.0, le=24 * 7)
    narrative_tilt: float = Field(
        default=0.18, ge=0.0, le=2.0,
        description="drift per hour, in hourly-volatility units, per unit of narrative score",
    )
    tilt_horizon_hours: PositiveInt = Field(
        default=24, le=24 * 14, description="the tilt applies to at most this many hours"
    )
    barrier: Literal["reflection", "exclude"] = Field(
        default="reflection", description="how reach/dip (touch) questions are handled"
    )
    max_strike_ratio: float = Field(
        default=3.0, gt=1.0, le=100.0,
        description="a strike further than this factor from spot names another underlying",
    )
    search_limit: PositiveInt = Field(default=10, le=50)
    fixture: str | None = Field(
        default=None, description="recorded Gamma fixture directory used without --live"
    )


class UniverseConfig(ConfigModel):
    asset_classes: dict[AssetClass, AssetClassSettings] = Field(default_factory=dict)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    polymarket: PolymarketRules = Field(default_factory=PolymarketRules)
    progress_every: PositiveInt = Field(default=10, le=10_000)
    symbols: tuple[UniverseSymbol, ...] = Field(min_length=1)

    def settings_of(self, asset_class: AssetClass) -> AssetClassSettings:
        return self.asset_classes.get(asset_class) or AssetClassSettings()

    def history_hours(self, spec: UniverseSymbol) -> int:
        return spec.overrides.history_hours or self.settings_of(spec.asset_class).history_hours

    def max_bar_age_hours(self, spec: UniverseSymbol) -> int:
        own = spec.overrides.max_bar_age_hours
        return own or self.settings_of(spec.asset_class).max_bar_age_hours

    def calendar(self, spec: UniverseSymbol) -> str | None:
        return self.settings_of(spec.asset_class).calendar

    def signal_for(self, base: SignalConfig, spec: UniverseSymbol) -> SignalConfig:
        """``base`` with the asset class's and then the symbol's feature overrides applied;
        a merged value outside FeatureParams' range is a ConfigError."""
        merged: dict[str, Any] = base.features.model_dump()
        for layer in (self.settings_of(spec.asset_class).features, spec.overrides.features):
            merged.update(layer.model_dump(exclude_none=True))
        try:
            features = FeatureParams.model_validate(merged)
        except ValueError as e:
            raise ConfigError(f"config/universe.yaml: overrides for {spec.symbol}: {e}") from e
        return base.model_copy(update={"features": features})

    def sorted_symbols(self) -> tuple[UniverseSymbol, ...]:
        return tuple(sorted(self.symbols, key=lambda s: s.symbol))

    def universe_digest(self) -> str:
        return config_digest(self.model_dump(mode="json"))


def load_universe_config(
    path: Path | None = None, *, overrides: Mapping[str, Any] | None = None
) -> UniverseConfig:
    """Load and check ``config/universe.yaml``. ``overrides`` (e.g. ``{"digest": {"top_n":
    3}}``, from the command line) are merged one level deep and validated like the file."""
    target = path or config_dir() / "universe.yaml"
    config = load_yaml_model(target, UniverseConfig)
    _check_unique(target, config)
    if overrides:
        data = config.model_dump()
        for key, value in overrides.items():
            data[key] = {**data[key], **value} if isinstance(value, Mapping) else value
        try:
            config = UniverseConfig.model_validate(data)
        except ValueError as e:
            raise ConfigError(f"command-line override of {target}: {e}") from e
    return config


def _check_unique(path: Path, config: UniverseConfig) -> None:
    seen: dict[str, int] = {}
    lines = _symbol_lines(path)
    for index, spec in enumerate(config.symbols):
        line = lines[index] if index < len(lines) else None
        if spec.symbol in seen:
            first = lines[seen[spec.symbol]] if seen[spec.symbol] < len(lines) else None
            where = f"line {line}: " if line else ""
            raise ConfigError(
                f"{path}: invalid config\n  {where}symbols.{index}.symbol: duplicate symbol "
                f"{spec.symbol!r} (first listed at line {first})"
            )
        seen[spec.symbol] = index


# Line (1-based) of the `symbol:` key of each entry of the top-level `symbols` list.
def _symbol_lines(path: Path) -> list[int]:
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "symbols" and isinstance(value, yaml.SequenceNode):
            out = []
            for item in value.value:
                line = item.start_mark.line + 1
                if isinstance(item, yaml.MappingNode):
                    for k, _ in item.value:
                        if k.value == "symbol":
                            line = k.start_mark.line + 1
                out.append(line)
            return out
    return []
