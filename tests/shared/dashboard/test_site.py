"""The static site from artifacts: "no data yet" everywhere on an empty root, every text
escaped (a hostile headline cannot run), same artifacts → same bytes, refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.dashboard import VENDORED, build_site
from shared.dashboard.charts import wilson
from shared.dashboard.sources import plain_digest, to_z
from shared.errors import ArtifactError

HOSTILE = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'
PAGES = {"index.html", "symbols.html", "evaluation.html", "board.html", "backtests.html",
         "paper.html"}


@pytest.fixture
def vendored(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "vendor"
    folder.mkdir()
    out = {}
    for name in VENDORED:
        (folder / name).write_text(f"/* stand-in for {name} */\n", encoding="utf-8")
        out[name] = folder / name
    return out


def _pages(site: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(site.glob("*.html"))}


def test_an_empty_root_says_no_data_yet_on_every_page(tmp_path: Path,
                                                      vendored: dict[str, Path]) -> None:
    (tmp_path / "art").mkdir()
    summary = build_site(tmp_path / "art", tmp_path / "site", vendored)
    pages = _pages(tmp_path / "site")
    assert set(pages) == PAGES
    assert summary.available == ()
    for name, html in pages.items():
        assert 'data-empty="true"' in html, name
        assert "No data yet" in html, name
        assert 'class="chart"' not in html, name  # no empty chart that looks like data
    assert (tmp_path / "site" / "assets" / "vega.min.js").read_text().startswith("/* stand-in")


def _hostile_artifacts(root: Path) -> None:
    (root / "board.json").write_text(json.dumps({"header": HOSTILE, "bots": [
        {"bot": HOSTILE, "status": "pending", "items": {"docs": [
            {"n": 1, "title": HOSTILE, "pass": False, "evidence": HOSTILE}]}}]}))
    report = root / "runs" / "backtests" / "0123456789abcdef"
    report.mkdir(parents=True)
    (report / "report.json").write_text(json.dumps({
        "type": "backtest_report", "report_id": "0123456789abcdef", "symbol": HOSTILE,
        "note": HOSTILE, "hit_rate": {"resolved": 0, "rate": None, "ci": None},
        "start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"}))
    (report / "equity.csv").write_text(
        "time,equity\n2026-03-01T00:00:00Z,100\n2026-03-01T01:00:00Z,101\n")
    checks = root / "eval_runs" / "checks"
    checks.mkdir(parents=True)
    (checks / "2026-03-02.json").write_text(json.dumps({
        "type": "check_report", "as_of": "2026-03-02T00:00:00Z", "ok": False,
        "checks": [{"name": HOSTILE, "ok": False, "severity": "warning", "summary": HOSTILE}]}))


def test_every_artifact_text_is_escaped(tmp_path: Path, vendored: dict[str, Path]) -> None:
    art = tmp_path / "art"
    art.mkdir()
    _hostile_artifacts(art)
    build_site(art, tmp_path / "site", vendored)
    pages = _pages(tmp_path / "site")
    for name, html in pages.items():
        assert "<script>alert" not in html, name
        assert "<img" not in html, name
        scripts = re.findall(r"<script\b", html)
        assert len(scripts) == 4 + html.count('class="vega-spec"'), name  # only ours
    assert "&lt;/script&gt;&lt;script&gt;alert(" in pages["board.html"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages["index.html"]
    # The chart spec keeps the text, JSON-escaped so it cannot close its element.
    spec = re.search(r'class="vega-spec">(.*?)</script>', pages["backtests.html"], re.S)
    assert spec is not None
    assert json.loads(spec.group(1))["title"].endswith(HOSTILE + ": equity")


def test_the_same_artifacts_give_the_same_bytes(tmp_path: Path,
                                                vendored: dict[str, Path]) -> None:
    art = tmp_path / "art"
    art.mkdir()
    _hostile_artifacts(art)
    build_site(art, tmp_path / "one", vendored)
    build_site(art, tmp_path / "two", vendored)
    first = {p.relative_to(tmp_path / "one"): p.read_bytes()
             for p in (tmp_path / "one").rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path / "two"): p.read_bytes()
              for p in (tmp_path / "two").rglob("*") if p.is_file()}
    assert first == second


def test_a_rebuild_replaces_its_own_site_and_refuses_a_foreign_folder(
        tmp_path: Path, vendored: dict[str, Path]) -> None:
    art = tmp_path / "art"
    art.mkdir()
    site = tmp_path / "site"
    build_site(art, site, vendored)
    (site / "stale.html").write_text("old")
    build_site(art, site, vendored)
    assert not (site / "stale.html").exists()
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "keep.md").write_text("mine")
    with pytest.raises(ArtifactError, match="not a site built by tb dashboard build"):
        build_site(art, foreign, vendored)
    assert (foreign / "keep.md").read_text() == "mine"


def test_missing_chart_libraries_are_an_error_naming_the_fix(tmp_path: Path) -> None:
    (tmp_path / "art").mkdir()
    with pytest.raises(ArtifactError, match="npm ci --prefix tools/dashboard"):
        build_site(tmp_path / "art", tmp_path / "site", {})
    assert not (tmp_path / "site").exists()


def test_unusable_files_are_named_and_passed_over(tmp_path: Path,
                                                  vendored: dict[str, Path]) -> None:
    art = tmp_path / "art"
    (art / "runs" / "drills").mkdir(parents=True)
    (art / "runs" / "drills" / "broken.json").write_text("{not json")
    (art / "board.json").write_bytes(b"\xff\xfe")
    summary = build_site(art, tmp_path / "site", vendored)
    overview = (tmp_path / "site" / "index.html").read_text()
    assert "broken.json: unreadable" in overview
    assert "board.json: unreadable" in overview
    assert "drills" in summary.missing


def test_times_are_shown_in_one_format_and_digests_as_plain_text() -> None:
    assert to_z("2026-01-05T01:00:00+00:00") == "2026-01-05T01:00:00Z"
    assert to_z("2026-01-05T02:00:00+01:00") == "2026-01-05T01:00:00Z"
    assert to_z("not a time") is None
    assert plain_digest(["*BTC\\-USD* no call\\.", "p\\(up\\) 0\\.5"]) == \
        "BTC-USD no call.\np(up) 0.5"


def test_wilson_interval() -> None:
    lo, hi = wilson(4, 8) or (0.0, 0.0)
    assert lo == pytest.approx(0.2152, abs=1e-4)
    assert hi == pytest.approx(0.7848, abs=1e-4)
    assert wilson(0, 0) is None


def test_a_trigger_is_marked_on_the_price_at_its_decision_time() -> None:
    from shared.dashboard.charts import price_chart

    bars = [{"time": "2026-03-02T08:00:00Z", "close": 100.0},
            {"time": "2026-03-02T09:00:00Z", "close": 101.0}]
    runs = [{"as_of": "2026-03-02T09:30:00Z", "status": "triggered", "direction": "up",
             "narrative_score": 0.4},
            {"as_of": "2026-03-02T08:00:00Z", "status": "no_trigger", "narrative_score": 0.1}]
    spec = price_chart("BTC-USD", bars, runs)
    price, narrative = spec["layer"]
    assert price["layer"][1]["data"]["values"] == [
        {"time": "2026-03-02T09:30:00Z", "direction": "up", "close": 101.0}]
    assert [v["narrative_score"] for v in narrative["data"]["values"]] == [0.4, 0.1]


@given(st.text())
def test_any_text_in_a_chart_spec_round_trips_and_cannot_end_its_element(text: str) -> None:
    from shared.dashboard.pages import _spec_json

    embedded = str(_spec_json({"title": text, "data": {"values": [{"label": text}]}}))
    assert "<" not in embedded and ">" not in embedded and "&" not in embedded
    assert json.loads(embedded) == {"title": text, "data": {"values": [{"label": text}]}}
