"""config/universe.yaml: validated, and a mistake names the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.contracts import AssetClass
from shared.errors import ConfigError
from shared.signal.config import load_signal_config
from shared.universe.config import load_universe_config
from tests.helpers.universe import small_universe, universe_yaml


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_default_universe_loads_with_crypto_equities_and_etfs() -> None:
    config = load_universe_config()
    classes = {s.asset_class for s in config.symbols}
    assert classes == {AssetClass.CRYPTO, AssetClass.US_EQUITY, AssetClass.ETF}
    assert 10 <= len(config.symbols) <= 20
    assert all(s.aliases for s in config.symbols)
    assert config.calendar(next(s for s in config.symbols if s.symbol == "AAPL")) == "XNYS"
    assert config.calendar(next(s for s in config.symbols if s.symbol == "BTC-USD")) is None


def test_universe_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    text = universe_yaml().replace("    name: Tesla\n", "    name: Tesla\n    alises: [tsla]\n")
    path = tmp_path / "universe.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_universe_config(path)
    message = str(info.value)
    assert str(path) in message
    assert f"line {_line_of(text, 'alises')}: symbols.4.alises: unknown key 'alises'" in message


def test_universe_bad_asset_class_names_line_and_key(tmp_path: Path) -> None:
    text = universe_yaml().replace("asset_class: etf\n    name: Gold",
                                   "asset_class: commodity\n    name: Gold")
    path = tmp_path / "universe.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_universe_config(path)
    line = _line_of(text, "commodity")
    assert f"line {line}: symbols.6.asset_class:" in str(info.value)


def test_universe_value_out_of_range_names_allowed_range(tmp_path: Path) -> None:
    text = universe_yaml().replace("  top_n: 4", "  top_n: 500")
    path = tmp_path / "universe.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_universe_config(path)
    assert f"line {_line_of(text, 'top_n')}: digest.top_n:" in str(info.value)
    assert "allowed range (0, 50]" in str(info.value)


def test_universe_duplicate_symbol_names_both_lines(tmp_path: Path) -> None:
    text = universe_yaml().replace("symbol: SOL-USD", "symbol: BTC-USD")
    path = tmp_path / "universe.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_universe_config(path)
    message = str(info.value)
    second = [i for i, line in enumerate(text.splitlines(), 1) if "symbol: BTC-USD" in line]
    assert f"line {second[1]}: symbols.2.symbol: duplicate symbol 'BTC-USD'" in message
    assert f"first listed at line {second[0]}" in message


def test_universe_symbol_typo_in_ticker_is_refused(tmp_path: Path) -> None:
    text = universe_yaml().replace("symbol: AAPL", "symbol: aapl")
    path = tmp_path / "universe.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+: symbols\.3\.symbol"):
        load_universe_config(path)


def test_universe_overrides_merge_over_signal_features(tmp_path: Path) -> None:
    extra = "    overrides:\n      features:\n        min_bars: 24\n"
    config = small_universe(tmp_path, extra=extra)  # applies to the last symbol (GLD)
    base = load_signal_config()
    gld = next(s for s in config.symbols if s.symbol == "GLD")
    btc = next(s for s in config.symbols if s.symbol == "BTC-USD")
    gld_signal = config.signal_for(base, gld)
    assert gld_signal.features.min_bars == 24
    assert gld_signal.features.vol_window_bars == 60  # from the etf asset class
    assert config.signal_for(base, btc).features == base.features


def test_universe_override_outside_feature_range_is_a_config_error(tmp_path: Path) -> None:
    extra = "    overrides:\n      features:\n        vol_window_bars: 5\n"
    config = small_universe(tmp_path, extra=extra)
    gld = next(s for s in config.symbols if s.symbol == "GLD")
    with pytest.raises(ConfigError, match="GLD"):
        config.signal_for(load_signal_config(), gld)


def test_universe_digest_changes_with_top_n_override(tmp_path: Path) -> None:
    path = tmp_path / "universe.yaml"
    path.write_text(universe_yaml(), encoding="utf-8")
    plain = load_universe_config(path)
    changed = load_universe_config(path, overrides={"digest": {"top_n": 2}})
    assert changed.digest.top_n == 2
    assert changed.universe_digest() != plain.universe_digest()
