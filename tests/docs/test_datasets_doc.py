"""docs/datasets.md's walkthroughs work as written: their configs and commands, run by
``bash`` with ``tb`` on the PATH, on small fixture files (and on the shared data)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.data import data_file
from tests.helpers.datasets import write_cdd_hourly, write_yahoo_daily

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "datasets.md"
FIXTURES = ROOT / "tests" / "fixtures" / "datasets"
_BLOCK = re.compile(r"<!-- doc-test: (\w+) (\S+) -->\n```\w+\n(.*?)```", re.DOTALL)


def _blocks(walkthrough: str) -> list[tuple[str, str]]:
    """(kind, text) of the walkthrough's marked blocks, in document order."""
    return [(kind, text) for name, kind, text in _BLOCK.findall(DOC.read_text("utf-8"))
            if name == walkthrough]


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        out[key] = (_merge(out[key], value) if isinstance(value, dict)
                    and isinstance(out.get(key), dict) else value)
    return out


def _run_walkthrough(walkthrough: str, tmp_path: Path, data: Path) -> list[str]:
    """Apply the configs, run the commands; returns each command's stdout."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "config", home / "config")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "TB_HOME": str(home), "TB_DATA_DIR": str(data),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    outputs = []
    blocks = _blocks(walkthrough)
    assert any(kind == "commands" for kind, _ in blocks) and any(
        kind == "config/tracer.yaml" for kind, _ in blocks), walkthrough
    for kind, text in blocks:
        if kind == "commands":
            for line in text.splitlines():
                if not line.startswith("$ "):
                    continue
                done = subprocess.run(["bash", "-c", line[2:]], cwd=tmp_path, env=env,
                                      capture_output=True, text=True, timeout=600, check=False)
                assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
                assert "Traceback" not in done.stderr, done.stderr
                outputs.append(done.stdout)
            continue
        target = home / kind
        patch = yaml.safe_load(text)
        if kind == "config/tracer.yaml":
            target.write_text(text, encoding="utf-8")
        else:
            base = yaml.safe_load(target.read_text(encoding="utf-8"))
            target.write_text(yaml.safe_dump(_merge(base, patch)), encoding="utf-8")
    return outputs


def _json_with(outputs: list[str], key: str) -> dict[str, Any]:
    for text in outputs:
        if text.lstrip().startswith("{"):
            doc = json.loads(text)
            if key in doc:
                return dict(doc)
    raise AssertionError(f"no JSON output with {key!r}")


def _check_daily(outputs: list[str]) -> None:
    study = _json_with(outputs, "decisions")
    assert study["timeframe"] == "1Day" and study["decisions"] > 100 and not study["failed"]
    assert study["coverage"]["codes"] == [] and study["base_rate"] is not None
    ingest = _json_with(outputs, "resolved_new")
    assert ingest["resolved_new"] == 1  # the forecast of tb run, on the same daily closes


def _check_hourly(outputs: list[str]) -> None:
    study = _json_with(outputs, "decisions")
    assert study["timeframe"] == "1Hour" and study["decisions"] == 169
    assert study["degraded"] == ["DATA_BARS_ONLY"]


@pytest.mark.slow
def test_daily_walkthrough_on_fixture_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_yahoo_daily(data / "yahoo" / "AAPL.csv", "2011-01-03", "2012-09-12")
    write_yahoo_daily(data / "yahoo" / "SPY.csv", "2011-01-03", "2012-09-12", seed=6)
    (data / "tweets").mkdir()
    shutil.copy(FIXTURES / "stock_tweets_daily.csv", data / "tweets")
    _check_daily(_run_walkthrough("daily", tmp_path, data))


@pytest.mark.slow
def test_hourly_walkthrough_on_fixture_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_cdd_hourly(data / "cdd" / "Bitstamp_BTCUSD_1h.csv", "2022-05-01", "2022-06-10")
    _check_hourly(_run_walkthrough("hourly", tmp_path, data))


@pytest.mark.slow
@pytest.mark.shared_data
def test_both_walkthroughs_on_the_shared_data(tmp_path: Path) -> None:
    yahoo = data_file("us-stocks-daily-yahoo-2000-2012")
    cdd = data_file("crypto-bitstamp-cdd-2022/Bitstamp_BTCUSD_1h.csv")
    data = tmp_path / "data"
    (data / "tweets").mkdir(parents=True)
    (data / "yahoo").symlink_to(yahoo)
    (data / "cdd").mkdir()
    (data / "cdd" / "Bitstamp_BTCUSD_1h.csv").symlink_to(cdd)
    shutil.copy(FIXTURES / "stock_tweets_daily.csv", data / "tweets")
    _check_daily(_run_walkthrough("daily", tmp_path / "a", data))
    _check_hourly(_run_walkthrough("hourly", tmp_path / "b", data))


def test_the_doc_marks_both_walkthroughs() -> None:
    kinds = {name: [kind for kind, _ in _blocks(name)] for name in ("daily", "hourly")}
    assert kinds["daily"] == ["commands", "config/tracer.yaml", "config/signal.yaml",
                              "config/bots/divergence.yaml", "commands"]
    assert kinds["hourly"] == ["commands", "config/tracer.yaml", "commands"]
