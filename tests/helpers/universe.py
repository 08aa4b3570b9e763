"""Helpers shared by the universe tests (this module holds no tests itself)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from shared.pipeline.settings import load_pipeline_settings
from shared.universe.config import UniverseConfig, load_universe_config

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "polymarket_universe"
# A Tuesday, 13:00 New York time: NYSE in session, crypto trading.
AS_OF = datetime(2026, 3, 3, 18, tzinfo=UTC)
AS_OF_TEXT = "2026-03-03T18:00:00Z"
# Loaded once: tests compare runs, so they must not see a config edited between two runs.
SETTINGS = load_pipeline_settings(ROOT / "config")

SMALL_UNIVERSE = """\
asset_classes:
  crypto:
    history_hours: 336
    max_bar_age_hours: 3
  us_equity:
    calendar: XNYS
    history_hours: 1080
    max_bar_age_hours: 2
    features:
      vol_window_bars: 60
      trend_lookback_bars: 30
  etf:
    calendar: XNYS
    history_hours: 1080
    max_bar_age_hours: 2
    features:
      vol_window_bars: 60
      trend_lookback_bars: 30
digest:
  top_n: 4
progress_every: 2
symbols:
{symbols}
"""

DEFAULT_SYMBOLS: tuple[tuple[str, str, str, str], ...] = (
    ("BTC-USD", "crypto", "Bitcoin", "[bitcoin, btc]"),
    ("ETH-USD", "crypto", "Ethereum", "[ethereum, eth]"),
    ("SOL-USD", "crypto", "Solana", "[solana]"),
    ("AAPL", "us_equity", "Apple", "[apple]"),
    ("TSLA", "us_equity", "Tesla", "[tesla]"),
    ("SPY", "etf", "S&P 500 ETF", "[spy]"),
    ("GLD", "etf", "Gold ETF", "[gld]"),
)


def universe_yaml(symbols: Sequence[tuple[str, str, str, str]] = DEFAULT_SYMBOLS,
                  extra: str = "") -> str:
    lines = []
    for symbol, asset_class, name, aliases in symbols:
        lines += [f"  - symbol: {symbol}", f"    asset_class: {asset_class}",
                  f"    name: {name}", f"    aliases: {aliases}"]
        if symbol == "SPY":
            lines.append("    polymarket_queries: [S&P 500]")
    return SMALL_UNIVERSE.format(symbols="\n".join(lines)) + extra


def small_universe(tmp_path: Path, symbols: Sequence[tuple[str, str, str, str]] = DEFAULT_SYMBOLS,
                   extra: str = "") -> UniverseConfig:
    path = tmp_path / "universe.yaml"
    path.write_text(universe_yaml(symbols, extra), encoding="utf-8")
    return load_universe_config(path)


def copy_home(tmp_path: Path) -> dict[str, str]:
    """A TB_HOME with a copy of the config: subprocess runs then read one fixed config and
    are outside any git checkout (git_sha "unknown"), so runs compare byte for byte."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "config", home / "config")
    return {"TB_HOME": str(home)}
