"""Bad config is refused with the file, the line, the key and the allowed range (or, for a
renamed key, its new name)."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from shared.bots.divergence import DivergenceConfig
from shared.config import ConfigModel, load_yaml_model
from shared.errors import ConfigError
from shared.features.signal import RENAMED_FEATURE_KEYS, FeatureParams
from shared.pipeline.settings import TracerConfig, load_pipeline_settings
from shared.signal.config import BotFile, load_signal_config
from shared.universe.config import FeatureOverrides, load_universe_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_load_pipeline_settings_shipped_files_are_valid() -> None:
    cfg = load_pipeline_settings(ROOT / "config")
    assert cfg.tracer.symbol == "BTC-USD"
    assert cfg.bots.divergence.horizon_hours > 0
    assert set(cfg.bots.bots) >= {"divergence", "trend_guard", "cooldown", "sizing"}


def test_bot_config_unknown_key_names_file_line_and_key(config_copy: Path) -> None:
    path = config_copy / "bots" / "divergence.yaml"
    _edit(path, "mode: advisory\n", "mode: advisory\nunused_top: 1\n")
    _edit(path, "params:\n", "params:\n  divergnce_threshold: 0.5\n")
    with pytest.raises(ConfigError) as info:
        load_yaml_model(path, BotFile[DivergenceConfig])
    message = str(info.value)
    assert str(path) in message
    assert "params.divergnce_threshold" in message
    assert "unknown key" in message and "unused_top" in message
    lines = path.read_text().splitlines()
    assert f"line {lines.index('  divergnce_threshold: 0.5') + 1}: params.divergnce" in message
    assert f"line {lines.index('unused_top: 1') + 1}: unused_top" in message


def test_bot_config_value_outside_hard_threshold_names_range(config_copy: Path) -> None:
    path = config_copy / "bots" / "divergence.yaml"
    _edit(path, "divergence_threshold: 0.6", "divergence_threshold: 5.0")
    with pytest.raises(ConfigError) as info:
        load_yaml_model(path, BotFile[DivergenceConfig])
    message = str(info.value)
    assert "params.divergence_threshold" in message
    assert "allowed range [0.05, 2.0]" in message
    assert "5.0" in message


def test_bot_config_wrong_type_is_refused(config_copy: Path) -> None:
    path = config_copy / "bots" / "divergence.yaml"
    _edit(path, "horizon_hours: 12", "horizon_hours: twelve")
    with pytest.raises(ConfigError, match=r"params\.horizon_hours"):
        load_yaml_model(path, BotFile[DivergenceConfig])


def test_bot_config_unsupported_mode_is_refused(config_copy: Path) -> None:
    path = config_copy / "bots" / "divergence.yaml"
    _edit(path, "mode: advisory", "mode: yolo")
    with pytest.raises(ConfigError, match="mode"):
        load_yaml_model(path, BotFile[DivergenceConfig])


def test_tracer_config_yaml_syntax_error_names_line(config_copy: Path) -> None:
    path = config_copy / "tracer.yaml"
    path.write_text("symbol: [BTC-USD\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tracer\.yaml:\d+: invalid YAML"):
        load_yaml_model(path, TracerConfig)


def test_tracer_config_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_pipeline_settings(tmp_path)


# ------------------------------------------------------------------------------ renamed keys


@pytest.mark.parametrize(("old", "new"), sorted(RENAMED_FEATURE_KEYS.items()))
def test_signal_config_old_key_names_file_line_and_new_key(config_copy: Path, old: str,
                                                           new: str) -> None:
    path = config_copy / "signal.yaml"
    _edit(path, f"  {new}:", f"  {old}:")
    with pytest.raises(ConfigError) as info:
        load_signal_config(config_copy)
    message = str(info.value)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                if text.startswith(f"  {old}:"))
    assert message == f"{path}: invalid config\n  line {line}: features.{old}: renamed: use {new}"


def test_universe_override_old_key_is_told_the_new_key(config_copy: Path) -> None:
    path = config_copy / "universe.yaml"
    _edit(path, "      trend_lookback_bars: 30   # ~one trading week",
          "      trend_lookback_hours: 30")
    with pytest.raises(ConfigError) as info:
        load_universe_config(path)
    line = path.read_text().splitlines().index("      trend_lookback_hours: 30") + 1
    assert (f"line {line}: asset_classes.us_equity.features.trend_lookback_hours: "
            "renamed: use trend_lookback_bars") in str(info.value)


def test_any_config_model_can_declare_renamed_keys(tmp_path: Path) -> None:
    class Inner(ConfigModel):
        renamed_keys: ClassVar[Mapping[str, str]] = {"timeout": "timeout_secs"}
        timeout_secs: int = 1

    class Outer(ConfigModel):
        items: tuple[Inner, ...] = ()

    path = tmp_path / "x.yaml"
    path.write_text("items:\n  - timeout_secs: 2\n  - timeout: 3\n    other: 4\n")
    with pytest.raises(ConfigError) as info:
        load_yaml_model(path, Outer)
    assert str(info.value).splitlines()[1:] == [
        "  line 3: items.1.timeout: renamed: use timeout_secs",
        "  line 4: items.1.other: unknown key 'other' (allowed keys: timeout_secs)",
    ]


def test_bars_windows_count_bars_and_hours_windows_are_durations() -> None:
    hours = {name for name in FeatureParams.model_fields if name.endswith("_hours")}
    bars = {name for name in FeatureParams.model_fields if name.endswith("_bars")}
    assert hours == {"narrative_window_hours", "half_life_hours", "persistence_bucket_hours"}
    assert bars == {*RENAMED_FEATURE_KEYS.values(), "min_bars"}
    assert set(FeatureOverrides.model_fields) <= set(FeatureParams.model_fields)


def test_tracer_dataset_section_old_name_is_told_the_new_one(config_copy: Path) -> None:
    path = config_copy / "tracer.yaml"
    _edit(path, "\ndataset:\n", "\nreplay:\n")
    with pytest.raises(ConfigError) as info:
        load_pipeline_settings(config_copy)
    line = path.read_text().splitlines().index("replay:") + 1
    assert f"line {line}: replay: renamed: use dataset" in str(info.value)
