"""Impl 3, 6, 14, 15 and the Runtime items, each against evidence planted in a copy of the
tree (or a real git repository), showing the item moves with its evidence and nothing else."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from shared.bots.fixtures import load_fixtures, run_fixture
from shared.bots.meter import Meter
from shared.bots.registry import BOTS
from shared.bots.runner import BotRunner
from shared.contracts import Decision, EnvelopeStatus, Mode, ReportEnvelope
from shared.readiness import Tree, check_promotion, compute_board
from shared.readiness.board import OUT_OF, BotBoard, status_of
from shared.readiness.evidence import REPO_ROOT
from shared.readiness.history import ModeSpan
from shared.readiness.impl import CI_REQUIRED
from shared.reason_codes import Severity, default_registry
from shared.schemas.export import main as export_main
from shared.store.telemetry import record_run
from tests.shared.readiness.test_board import _full, _no_type_errors

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.fixture()
def tree_copy(tmp_path: Path) -> Tree:
    for part in ("shared/bots", "config", "schemas", "tests/shared/bots/test_fixtures.py"):
        src, dst = REPO_ROOT / part, tmp_path / part
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return Tree(tmp_path)


def _row(tree: Tree, name: str) -> BotBoard:
    return compute_board(tree, bots=[name], typecheck=_no_type_errors).bot(name)


def _passed(row: BotBoard) -> dict[str, set[int]]:
    return {kind: {i.number for i in row.items[kind] if i.passed} for kind in OUT_OF}


# --- Impl 3: published bot-config schemas --------------------------------------------------

def test_schemas_have_no_drift() -> None:
    assert export_main(["--check", "--out", str(REPO_ROOT / "schemas")]) == 0


@pytest.mark.parametrize("name", sorted(BOTS))
def test_each_bot_config_validates_against_its_published_schema(name: str) -> None:
    schema = json.loads((REPO_ROOT / "schemas" / f"bot_config_{name}.schema.json")
                        .read_text(encoding="utf-8"))
    document = yaml.safe_load((REPO_ROOT / "config" / "bots" / f"{name}.yaml")
                              .read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "params": {**document["params"], "typo": 1}}, schema)


def test_a_config_the_schema_rejects_fails_impl_3(tree_copy: Tree) -> None:
    path = tree_copy.config_path("cooldown")
    path.write_text(path.read_text(encoding="utf-8").replace("mode: enforced", "mode: turbo"),
                    encoding="utf-8")
    after = _row(tree_copy, "cooldown")
    assert not after.items["impl"][2].passed and "turbo" in after.items["impl"][2].evidence


def test_a_drifted_schema_fails_impl_3_and_nothing_else(tree_copy: Tree) -> None:
    before = _passed(_row(tree_copy, "trend_guard"))
    path = tree_copy.root / "schemas" / "bot_config_trend_guard.schema.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"maximum": 10.0', '"maximum": 99'),
                    encoding="utf-8")
    after = _passed(_row(tree_copy, "trend_guard"))
    assert after == before | {"impl": before["impl"] - {3}}
    path.unlink()
    assert _passed(_row(tree_copy, "trend_guard")) == after


# --- Impl 6: each warning fixture emits a warning-severity code ----------------------------

@pytest.mark.parametrize("name", sorted(BOTS))
def test_warning_fixture_emits_a_registered_warning_code(name: str) -> None:
    registry = default_registry()
    warning = next(f for f in load_fixtures(BOTS[name]) if f.kind == "warning")
    envelope = run_fixture(BOTS[name], warning, registry)
    assert Severity.WARNING in {registry.severity(c) for c in envelope.reason_codes}


@pytest.mark.parametrize(("name", "code"), [("cooldown", "COOLDOWN_REVERSAL"),
                                            ("participation_guard", "GUARD_PARTICIPATION_THIN"),
                                            ("persistence_guard", "GUARD_PERSISTENCE_PARTIAL")])
def test_new_warning_bands_pass_and_only_flag(name: str, code: str) -> None:
    # The warning band changes the code of a pass, never the decision.
    registry = default_registry()
    warning = next(f for f in load_fixtures(BOTS[name]) if f.kind == "warning")
    envelope = run_fixture(BOTS[name], warning, registry)
    assert envelope.reason_codes == (code,)
    assert envelope.decision is Decision.PASS and envelope.status is EnvelopeStatus.OK


def test_removing_the_warning_code_from_the_registry_lowers_impl_only(tree_copy: Tree) -> None:
    before = _row(tree_copy, "participation_guard")
    path = tree_copy.registry_path
    text = path.read_text(encoding="utf-8")
    start = text.index("  - code: GUARD_PARTICIPATION_THIN\n")
    path.write_text(text[:start] + text[text.index("  - code:", start + 1):], encoding="utf-8")
    after = _row(tree_copy, "participation_guard")
    assert after.score("impl") < before.score("impl")
    assert {k: after.score(k) for k in ("docs", "runtime", "backtest")} == \
        {k: before.score(k) for k in ("docs", "runtime", "backtest")}
    assert after.status == "pending"


def test_removing_a_spec_heading_lowers_docs_by_one_only(tree_copy: Tree) -> None:
    before = _passed(_row(tree_copy, "sizing"))
    path = tree_copy.spec_path("sizing")
    path.write_text(path.read_text(encoding="utf-8").replace("## 14. Dependencies\n", ""),
                    encoding="utf-8")
    after = _passed(_row(tree_copy, "sizing"))
    assert after == before | {"docs": before["docs"] - {14}}


# --- Impl 14: metrics always on ------------------------------------------------------------

def test_metrics_item_runs_the_meter_and_keeps_envelopes_clean(tree_copy: Tree) -> None:
    item = _row(tree_copy, "trend_guard").items["impl"][13]
    assert item.passed, item.evidence
    assert "heartbeat_age_ms=60000" in item.evidence and "latency_ms null" in item.evidence


def test_committed_telemetry_without_heartbeat_fails_the_metrics_item(tree_copy: Tree) -> None:
    meter = Meter()
    meter.register("trend_guard", Mode.ENFORCED, "0123456789abcdef")
    for k in range(2):  # each the first of its stage: no heartbeat
        record_run(tree_copy.root, stage=f"stage{k}", run_id=f"r{k}", as_of=T0,
                   feed="synthetic", recorded_at=T0 + timedelta(hours=k),
                   bot_metrics=meter.bots, stage_latency_ms={})
    item = _row(tree_copy, "trend_guard").items["impl"][13]
    assert not item.passed and "none with a heartbeat" in item.evidence


# --- Impl 15: CI result on file ------------------------------------------------------------

def test_ci_item_reads_the_last_result(tree_copy: Tree) -> None:
    item = _row(tree_copy, "sizing").items["impl"][14]
    assert not item.passed and "ci/last_result.json is absent" in item.evidence
    path = tree_copy.root / "ci" / "last_result.json"
    path.parent.mkdir()
    doc = {"sha": "a" * 40, "passed": list(CI_REQUIRED), "failed": [],
           "conclusion": "success", "finished_at": "2026-11-30T04:00:00Z", "wall_secs": 500}
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert _row(tree_copy, "sizing").items["impl"][14].passed
    path.write_text(json.dumps(doc | {"failed": ["mypy"], "conclusion": "failure"}),
                    encoding="utf-8")
    item = _row(tree_copy, "sizing").items["impl"][14]
    assert not item.passed and "mypy" in item.evidence
    path.write_text("{", encoding="utf-8")
    assert "unreadable" in _row(tree_copy, "sizing").items["impl"][14].evidence


# --- Runtime -------------------------------------------------------------------------------

def _telemetry(tree: Tree, name: str, *, days: int, mode: Mode, fail_every: int = 0,
               reject: bool = False, latency_ms: float = 1.0) -> None:
    registry = default_registry()
    fixtures = {f.kind: f for f in load_fixtures(BOTS[name])}
    for day in range(days):
        ticks = iter([0.0, latency_ms / 1000.0] * 4)
        meter = Meter(clock=ticks.__next__)
        bot = BOTS[name].bot_class
        runner = BotRunner(bot(bot.config_model()), mode, registry, meter=meter)
        kind = "failure" if fail_every and day % fail_every == 0 else (
            "hard" if reject else "normal")
        runner.run(fixtures[kind].input, as_of=T0, symbol=None)
        record_run(tree.root, stage="tracer", run_id=f"run{day}", as_of=T0, feed="synthetic",
                   recorded_at=T0 + timedelta(days=day), bot_metrics=meter.bots,
                   stage_latency_ms={"total": 5.0})


def test_runtime_1_to_4_pass_on_seven_clean_days_in_shadow(tree_copy: Tree) -> None:
    _telemetry(tree_copy, "trend_guard", days=7, mode=Mode.SHADOW)
    row = _row(tree_copy, "trend_guard")
    assert [i.passed for i in row.items["runtime"][:4]] == [True] * 4, \
        [i.evidence for i in row.items["runtime"][:4]]


def test_runtime_shadow_days_short_or_dirty_fail(tree_copy: Tree) -> None:
    _telemetry(tree_copy, "trend_guard", days=6, mode=Mode.SHADOW)
    assert not _row(tree_copy, "trend_guard").items["runtime"][0].passed


def test_runtime_error_rate_over_budget_fails_item_2(tree_copy: Tree) -> None:
    _telemetry(tree_copy, "trend_guard", days=7, mode=Mode.SHADOW, fail_every=3)
    row = _row(tree_copy, "trend_guard")
    assert not row.items["runtime"][0].passed  # dirty shadow telemetry
    assert not row.items["runtime"][1].passed and "budget 1%" in row.items["runtime"][1].evidence


def test_runtime_latency_over_budget_fails_item_3(tree_copy: Tree) -> None:
    _telemetry(tree_copy, "trend_guard", days=7, mode=Mode.SHADOW, latency_ms=80.0)
    item = _row(tree_copy, "trend_guard").items["runtime"][2]
    assert not item.passed and "p95 80 ms" in item.evidence


def test_runtime_reject_rate_outside_band_fails_item_4(tree_copy: Tree) -> None:
    _telemetry(tree_copy, "trend_guard", days=7, mode=Mode.SHADOW, reject=True)
    item = _row(tree_copy, "trend_guard").items["runtime"][3]
    assert not item.passed and "100.0%" in item.evidence


def test_runtime_drill_dashboard_and_alerts(tree_copy: Tree) -> None:
    row = _row(tree_copy, "sizing")
    assert "no drill on record" in row.items["runtime"][4].evidence
    assert "no dashboard yet" in row.items["runtime"][5].evidence
    assert row.items["runtime"][6].passed, row.items["runtime"][6].evidence
    drills = tree_copy.root / "runs" / "drills"
    drills.mkdir(parents=True)
    failed = {"type": "drill_result", "scenario": "feed_outage", "halted": True,
              "orders_after_halt": 2, "alerts": 1, "passed": False}
    (drills / "feed_outage.json").write_text(json.dumps(failed), encoding="utf-8")
    assert not _row(tree_copy, "sizing").items["runtime"][4].passed
    (drills / "stale_bars.json").write_text(json.dumps(
        failed | {"scenario": "stale_bars", "orders_after_halt": 0, "passed": True}),
        encoding="utf-8")
    (tree_copy.root / "dashboards").mkdir()
    (tree_copy.root / "dashboards" / "bots.json").write_text('{"panels": ["sizing"]}',
                                                            encoding="utf-8")
    alerts = tree_copy.root / "config" / "alerts.yaml"
    alerts.write_text(alerts.read_text(encoding="utf-8").replace(
        "{bot: sizing, condition: error_rate_over_budget, severity: page}",
        "{bot: sizing, condition: error_rate_over_budget, severity: log}"), encoding="utf-8")
    row = _row(tree_copy, "sizing")
    assert row.items["runtime"][4].passed and "stale_bars" in row.items["runtime"][4].evidence
    assert row.items["runtime"][5].passed
    assert not row.items["runtime"][6].passed
    assert "error_rate_over_budget→log (needs page)" in row.items["runtime"][6].evidence


def _git(root: Path, *args: str, when: datetime | None = None) -> None:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}
    if when is not None:
        env |= {"GIT_AUTHOR_DATE": when.isoformat(), "GIT_COMMITTER_DATE": when.isoformat()}
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def _promote(tree: Tree, name: str, steps: list[tuple[str, int]]) -> None:
    _git(tree.root, "init", "-q")
    path = tree.config_path(name)
    text = path.read_text(encoding="utf-8")
    current = yaml.safe_load(text)["mode"]
    for mode, day in steps:
        text = text.replace(f"mode: {current}", f"mode: {mode}")
        current = mode
        path.write_text(text, encoding="utf-8")
        _git(tree.root, "add", "-A")
        _git(tree.root, "commit", "-qm", f"{name} {mode}", when=T0 + timedelta(days=day))


def test_promotion_history_every_gate_in_order(tree_copy: Tree) -> None:
    _promote(tree_copy, "trend_guard", [("stub", 0), ("shadow", 1), ("advisory", 10),
                                        ("enforced", 30)])
    row = _row(tree_copy, "trend_guard")
    item = row.items["runtime"][7]
    assert item.passed, item.evidence
    assert [s.mode for s in row.spans or ()] == ["stub", "shadow", "advisory", "enforced"]
    assert row.spans is not None and row.spans[2].days == 20


def test_promotion_history_a_skipped_gate_fails(tree_copy: Tree) -> None:
    _promote(tree_copy, "trend_guard", [("stub", 0), ("advisory", 1), ("enforced", 30)])
    item = _row(tree_copy, "trend_guard").items["runtime"][7]
    assert not item.passed and "gates passed in order: stub (needs" in item.evidence


def test_no_git_history_means_no_promotion_history(tree_copy: Tree) -> None:
    item = _row(tree_copy, "trend_guard").items["runtime"][7]
    assert not item.passed and "no git history" in item.evidence


# --- min hold and the promotion gate -------------------------------------------------------

def _span(mode: str, start: int, end: int) -> ModeSpan:
    return ModeSpan(mode, T0 + timedelta(days=start), T0 + timedelta(days=end), "c" * 12)


def test_enforced_needs_advisory_held_for_its_minimum() -> None:
    from dataclasses import replace
    ready = _full("trend_guard")
    held = replace(ready, spans=(_span("stub", 0, 1), _span("shadow", 1, 8),
                                 _span("advisory", 8, 30)))
    assert check_promotion(held, Mode.ADVISORY, Mode.ENFORCED).ok
    short = replace(ready, spans=(_span("shadow", 0, 8), _span("advisory", 8, 12)))
    unmet = check_promotion(short, Mode.ADVISORY, Mode.ENFORCED).unmet
    assert any("advisory held 4.0 of 14 days" in u for u in unmet)
    never = replace(ready, spans=(_span("shadow", 0, 30),))
    assert any("never advisory" in u for u in check_promotion(never, Mode.ADVISORY,
                                                             Mode.ENFORCED).unmet)
    assert any("no promotion history" in u
               for u in check_promotion(ready, Mode.ADVISORY, Mode.ENFORCED).unmet)
    # a legal step passes; a skipped or unearned one fails
    assert check_promotion(held, Mode.SHADOW, Mode.ADVISORY).ok
    assert not check_promotion(held, Mode.SHADOW, Mode.ENFORCED).ok
    assert not check_promotion(replace(held, items=_full("trend_guard", impl=14).items),
                               Mode.STUB, Mode.SHADOW).ok


@given(docs=st.integers(0, 27), impl=st.integers(0, 14), runtime=st.integers(0, 8),
       backtest=st.integers(0, 4))
def test_impl_short_is_pending_whatever_else(docs: int, impl: int, runtime: int,
                                             backtest: int) -> None:
    assert status_of(docs, impl, runtime, backtest) == "pending"
    row = _full("cooldown", docs=docs, impl=impl, runtime=runtime, backtest=backtest)
    assert row.status == "pending"
    for target in (Mode.SHADOW, Mode.ADVISORY, Mode.ENFORCED):
        assert not check_promotion(row, Mode.STUB, target).ok


def test_the_envelope_contract_keeps_latency_optional() -> None:
    assert ReportEnvelope.model_fields["latency_ms"].default is None
