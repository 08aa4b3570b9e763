"""Bad config is refused with the file, the line, the key and the allowed range."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shared.bots.divergence import DivergenceConfig
from shared.config import load_yaml_model
from shared.errors import ConfigError
from shared.pipeline.settings import TracerConfig, load_pipeline_settings
from shared.signal.config import BotFile

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_load_tracer_config_shipped_files_are_valid() -> None:
    cfg = load_pipeline_settings(ROOT / "config")
    assert cfg.tracer.symbol == "BTC-USD"
    assert cfg.bots.params("divergence").horizon_hours > 0
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
