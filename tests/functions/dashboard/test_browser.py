"""The dashboard in a real browser: Debian's headless Chromium, driven by playwright-core
(tools/dashboard/check.js), loads every page from file://. No console error, every chart drawn
(an SVG in the DOM), the expected tables there, a screenshot per page kept in
$TB_SCREENSHOT_DIR (default .ci/screenshots/). A page that breaks fails the check.

Skips, saying why, where Chromium, node or the npm packages are absent; .ci/run installs all
three, so CI really runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.tree import tb

ROOT = Path(__file__).resolve().parents[3]
TOOL = ROOT / "tools" / "dashboard"
FIXTURES = ROOT / "tests" / "fixtures" / "dashboard"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="chromium absent (apt-get install -y chromium; .ci/run does)"),
    pytest.mark.skipif(shutil.which("node") is None, reason="node absent"),
    pytest.mark.skipif(not (TOOL / "node_modules" / "playwright-core").is_dir()
                       or not (TOOL / "node_modules" / "vega").is_dir(),
                       reason="npm packages absent (npm ci --prefix tools/dashboard)"),
]


def _screenshots(name: str) -> Path:
    base = Path(os.environ.get("TB_SCREENSHOT_DIR") or ROOT / ".ci" / "screenshots")
    return base / name


def _check(site: Path, shots: Path) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(["node", str(TOOL / "check.js"), str(site), str(shots), CHROMIUM],
                          capture_output=True, text=True, timeout=240, check=False,
                          stdin=subprocess.DEVNULL)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tracer, universe, evaluation and backtest artifacts from the real commands; the
    paper, drill, tuning and check artifacts in their committed shapes; the repo's board."""
    art = tmp_path_factory.mktemp("artifacts")
    # the headline snapshot scores triggered calls only (no-call rows are reported apart):
    # 2026-03-01's hours hold a resolved call, so the reliability diagram has a bin
    for as_of in ("2026-03-01T00:00:00Z", "2026-03-01T06:00:00Z", "2026-03-01T12:00:00Z",
                  "2026-03-01T18:00:00Z"):
        _ok(tb("run", "--seed", "7", "--as-of", as_of, "--artifacts-dir", str(art)))
    for hour in ("08", "09", "10", "12"):
        _ok(tb("run", "--seed", "7", "--as-of", f"2026-03-02T{hour}:00:00Z",
               "--artifacts-dir", str(art)))
    _ok(tb("universe", "run", "--seed", "7", "--as-of", "2026-03-02T12:00:00Z",
           "--artifacts-dir", str(art)))
    _ok(tb("eval", "ingest", "--as-of", "2026-03-04T00:00:00Z", "--artifacts-dir", str(art)))
    _ok(tb("eval", "run", "--as-of", "2026-03-04T00:00:00Z", "--artifacts-dir", str(art)))
    _ok(tb("backtest", "run", "--start", "2026-03-01T00:00:00Z", "--end",
           "2026-03-02T12:00:00Z", "--artifacts-dir", str(art)))
    shutil.copytree(FIXTURES / "runs", art / "runs", dirs_exist_ok=True)
    shutil.copytree(FIXTURES / "eval_runs", art / "eval_runs", dirs_exist_ok=True)
    shutil.copy(ROOT / "board.json", art / "board.json")
    return art


@pytest.fixture(scope="module")
def site(artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    result = tb("dashboard", "build", "--artifacts-dir", str(artifacts), "--out", str(out))
    _ok(result)
    assert f"wrote 7 pages to {out.resolve() / 'index.html'}" in result.stdout
    return out


EXPECTED = {  # page → (charts drawn, tables present)
    "index.html": (0, {"last-runs", "missed-runs", "checks", "sources"}),
    "symbols.html": (0, {"symbols"}),
    "symbol-btc-usd.html": (1, {"runs"}),
    "evaluation.html": (5, {"reliability-price", "trend-points", "trend-csv"}),
    "board.html": (0, {"board"}),
    "backtests.html": (1, {"backtests", "tuning"}),
    "paper.html": (1, {"orders", "fills", "drills"}),
}


def test_every_page_loads_from_file_url_without_errors(site: Path) -> None:
    code, report = _check(site, _screenshots("full"))
    pages = {p["page"]: p for p in report["pages"]}
    assert set(pages) == set(EXPECTED)
    for name, (charts, tables) in EXPECTED.items():
        page = pages[name]
        assert page["errors"] == [], name
        assert page["charts"] == page["drawn"] == charts, name
        assert tables <= set(page["tables"]), name
        assert page["empty"] == 0, name  # every source of the fixture has data
        assert Path(page["screenshot"]).stat().st_size > 10_000, name
    overview = pages["index.html"]["text"]
    assert "Tracer Bullet BTC-USD" in overview  # the latest tracer digest, as plain text
    assert "Tracer Bullet universe" in overview  # and the latest universe digest
    assert "+00:00" not in "".join(p["text"] for p in pages.values())  # one time format
    assert code == 0 and report["ok"] is True


def test_an_empty_root_shows_no_data_yet_in_the_browser(tmp_path: Path) -> None:
    (tmp_path / "art").mkdir()
    _ok(tb("dashboard", "build", "--artifacts-dir", str(tmp_path / "art"), "--out",
           str(tmp_path / "site")))
    code, report = _check(tmp_path / "site", _screenshots("empty"))
    assert code == 0, report
    for page in report["pages"]:
        assert page["errors"] == [] and page["charts"] == 0, page["page"]
        assert page["empty"] >= 1 and "No data yet" in page["text"], page["page"]


def test_a_broken_page_fails_the_check(site: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(site, broken)
    page = broken / "evaluation.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "</body>", "<script>undefinedDashboardFunction();</script>\n</body>"), encoding="utf-8")
    spec_page = broken / "paper.html"  # and a chart whose spec is not Vega-Lite
    spec_page.write_text(spec_page.read_text(encoding="utf-8").replace(
        '"mark":{"point":false,"type":"line"}', '"mark":{"type":"no-such-mark"}'),
        encoding="utf-8")
    code, report = _check(broken, _screenshots("broken"))
    pages = {p["page"]: p for p in report["pages"]}
    assert code == 1 and report["ok"] is False
    assert any("undefinedDashboardFunction is not defined" in e
               for e in pages["evaluation.html"]["errors"])
    assert pages["paper.html"]["drawn"] < pages["paper.html"]["charts"]
    assert pages["index.html"]["errors"] == []
