"""Impl/15: each implementation check, executed now against the tree."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_type_hints

import jsonschema
import yaml
from pydantic import BaseModel

from shared.bots.base import Bot, BotConfig, BotDecision
from shared.bots.fixtures import FIXTURE_KINDS, Fixture, load_fixtures, run_fixture
from shared.bots.meter import Meter
from shared.bots.runner import BotRunner
from shared.contracts import Authority, Decision, EnvelopeStatus, Mode, ReportEnvelope
from shared.readiness.evidence import Item, Tree
from shared.readiness.facts import bot_codes, configured
from shared.readiness.runtime import telemetry_of
from shared.readiness.spec import METRICS
from shared.signal.config import bot_config_schema_name, render_bot_config_schemas
from shared.store.telemetry import TELEMETRY_DIR, last_record, record_run

__all__ = ["TITLES", "ClobCheck", "Typecheck", "check_impl", "mypy_typecheck"]

TITLES = (
    "type-checks (mypy strict)", "implements the Bot interface",
    "config validates against the published bot-config schema",
    "default config within every hard threshold", "fixture: normal passes",
    "fixture: warning emits a warning-severity code", "fixture: hard fires the safe fallback",
    "fixture: failure does not fail open", "a ReportEnvelope on every decision path",
    "every emitted code is registered", "authority enforced", "every declared mode reachable",
    "mock CLOB v2 passes the fixture pack", "standard metrics emitted", "CI green",
)
Typecheck = Callable[[Path], dict[str, list[str]] | str]
"""Type-check a tree: ``{bot: [error lines]}`` (every bot present), or why it could not run."""
ClobCheck = Callable[[Tree, str], tuple[bool, str]]
"""Impl item 13 for one bot: run its fixture pack through the mock CLOB v2 and return
(passed, evidence). It lives above this package (``shared.execution.fixture_pack``), so the
caller passes it in (``tb board`` does); without it the item fails and says so."""
CI_STATUS = Path("ci") / "last_result.json"
# The .ci/run steps "CI green" needs: lint, type-check, tests, schema validation, workflows.
CI_REQUIRED = ("README quick start: tests", "ruff check", "mypy", "schema drift",
               "workflow schema (check-jsonschema)", "actionlint")


def mypy_typecheck(root: Path) -> dict[str, list[str]] | str:
    """Run mypy (the project's strict config) over ``shared/bots`` of the tree."""
    try:
        done = subprocess.run([sys.executable, "-m", "mypy", "shared/bots"], cwd=root,
                              capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"mypy did not run: {e}"
    if "No module named mypy" in done.stderr:
        return "mypy is not installed (pip install -e '.[test]')"
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    out: dict[str, list[str]] = {}
    from shared.bots.registry import BOTS
    for name in BOTS:
        out[name] = [e for e in errors
                     if e.startswith(f"shared/bots/{name}/") or not re.match(
                         r"shared/bots/[a-z_]+/", e) or e.startswith("shared/bots/guards/")]
    return out


def check_impl(tree: Tree, name: str, typed: dict[str, list[str]] | str,
               clob_check: ClobCheck | None = None) -> list[Item]:
    bot = tree.bot_class(name)
    entry = tree.entry(name)
    fixtures = {f.kind: f for f in load_fixtures(entry)} if entry.fixtures_dir.is_dir() else {}
    fx_rel = tree.rel(entry.fixtures_dir)
    results: list[tuple[bool, str]] = [
        _typed(name, typed),
        _interface(bot),
        _schema(tree, name),
        _within_hard(tree, name),
        _fixture(tree, name, fixtures, "normal", fx_rel),
        _fixture(tree, name, fixtures, "warning", fx_rel),
        _fixture(tree, name, fixtures, "hard", fx_rel),
        _fixture(tree, name, fixtures, "failure", fx_rel),
        _every_path(tree, name, fixtures),
        _registered(tree, name, fixtures),
        _authority(tree, name),
        _modes(tree, name, fixtures),
        _mock_clob(tree, name, clob_check),
        _metrics(tree, name, fixtures),
        _ci(tree),
    ]
    return [Item(n, title, ok, why)
            for n, (title, (ok, why)) in enumerate(zip(TITLES, results, strict=True), start=1)]


def _typed(name: str, typed: dict[str, list[str]] | str) -> tuple[bool, str]:
    if isinstance(typed, str):
        return False, typed
    errors = typed.get(name, [])
    if errors:
        return False, f"mypy shared/bots: {len(errors)} error(s), first: {errors[0][:160]}"
    return True, "mypy shared/bots: no error in this bot's files"


def _interface(bot: type[Bot[Any, Any]]) -> tuple[bool, str]:
    problems = []
    for attr in ("name", "version", "authority", "mode_support", "config_model", "input_model"):
        if not hasattr(bot, attr):
            problems.append(f"no {attr}")
    if inspect.isabstract(bot):
        problems.append("abstract (decide not implemented)")
    if not issubclass(bot.config_model, BotConfig):
        problems.append("config_model is not a BotConfig")
    hints = get_type_hints(bot.decide)
    if hints.get("inputs") is not bot.input_model:
        problems.append(f"decide takes {hints.get('inputs')}, not {bot.input_model.__name__}")
    if hints.get("return") is not BotDecision:
        problems.append("decide does not return BotDecision")
    if problems:
        return False, "; ".join(problems)
    return True, (f"{bot.__name__}(Bot[{bot.input_model.__name__}, {bot.config_model.__name__}])"
                  f", decide({bot.input_model.__name__}) -> BotDecision")


def _schema(tree: Tree, name: str) -> tuple[bool, str]:
    # The tree's published schema must be what the config model generates (no drift), and the
    # tree's config file, as written, must validate against it.
    schema_file = f"{bot_config_schema_name(name)}.schema.json"
    path = tree.root / "schemas" / schema_file
    if not path.is_file():
        return False, f"{tree.rel(path)} is absent: no bot-config JSON Schema is published"
    text = path.read_text(encoding="utf-8")
    if text != render_bot_config_schemas()[schema_file]:
        model = tree.bot_class(name).config_model.__name__
        return False, f"{tree.rel(path)} differs from {model} (run python -m " \
                      "shared.schemas.export)"
    config = tree.config_path(name)
    try:
        document = yaml.safe_load(config.read_text(encoding="utf-8"))
        jsonschema.validate(document, json.loads(text))
    except OSError:
        return False, f"{tree.rel(config)} is missing"
    except (ValueError, yaml.YAMLError, jsonschema.ValidationError) as e:
        return False, f"{tree.rel(config)} vs {tree.rel(path)}: {str(e).splitlines()[0][:200]}"
    return True, f"{tree.rel(config)} validates against {tree.rel(path)} (generated from " \
                 f"{tree.bot_class(name).config_model.__name__}, no drift)"


def _within_hard(tree: Tree, name: str) -> tuple[bool, str]:
    bot = tree.bot_class(name)
    loaded = configured(tree, name)
    if isinstance(loaded, str):
        return False, loaded
    bad = []
    defaults = {k: f.default for k, f in bot.config_model.model_fields.items()}
    for field, bound in bot.hard_thresholds().items():
        for label, value in (("default", defaults[field]), ("configured", loaded[1][field])):
            v = float(value)
            low_bad = bound.low is not None and (v < bound.low or (bound.low_open
                                                                    and v == bound.low))
            high_bad = bound.high is not None and (v > bound.high or (bound.high_open
                                                                       and v == bound.high))
            if low_bad or high_bad:
                bad.append(f"{label} {field}={v:g} outside {bound}")
    if bad:
        return False, "; ".join(bad)
    return True, f"{len(bot.hard_thresholds())} bounded parameters: model defaults and " \
                 f"{tree.rel(tree.config_path(name))} inside their hard ranges"


def _run(tree: Tree, name: str, fixture: Fixture) -> ReportEnvelope | str:
    registry = tree.registry
    if registry is None:
        return f"{tree.rel(tree.registry_path)} missing or invalid"
    try:
        return run_fixture(tree.entry(name), fixture, registry)
    except Exception as e:  # noqa: BLE001 - a fixture that raises is the evidence
        return f"{type(e).__name__}: {str(e)[:160]}"


def _matches(envelope: ReportEnvelope, fixture: Fixture) -> str | None:
    expected = fixture.expected
    got = {"status": envelope.status.value, "decision": envelope.decision.value,
           "reason_codes": list(envelope.reason_codes)}
    for key in ("status", "decision", "reason_codes"):
        if key in expected and expected[key] != got[key]:
            return f"expected {key}={expected[key]}, got {got[key]}"
    return None


def _fixture(tree: Tree, name: str, fixtures: dict[str, Fixture], kind: str, fx_rel: str
             ) -> tuple[bool, str]:
    fixture = fixtures.get(kind)
    if fixture is None:
        return False, f"{fx_rel}/{kind}.json is absent"
    where = tree.rel(fixture.path)
    envelope = _run(tree, name, fixture)
    if isinstance(envelope, str):
        return False, f"{where}: {envelope}"
    mismatch = _matches(envelope, fixture)
    if mismatch:
        return False, f"{where}: {mismatch}"
    codes = list(envelope.reason_codes)
    bot = tree.bot_class(name)
    if kind == "warning":
        registry = tree.registry
        assert registry is not None  # (run succeeded, so the registry loaded)
        severities = {c: registry.severity(c).value for c in codes}
        if "warning" not in severities.values():
            return False, f"{where}: emits {severities}, no warning-severity code"
        return True, f"{where}: emits {severities}"
    if kind == "hard":
        if envelope.status is EnvelopeStatus.OK and envelope.decision is Decision.TRIGGER:
            return False, f"{where}: the hard input still triggers ({codes})"
        if bot.authority is Authority.GATE and envelope.decision is not Decision.BLOCK:
            return False, f"{where}: a gate's hard input must block, got {envelope.decision}"
        return True, f"{where}: {envelope.decision.value} {codes}"
    if kind == "failure":
        if envelope.status is EnvelopeStatus.OK or envelope.decision in (Decision.TRIGGER,
                                                                         Decision.PASS):
            return False, f"{where}: fails open ({envelope.status.value}, " \
                          f"{envelope.decision.value})"
        return True, f"{where}: {envelope.status.value} {envelope.decision.value} {codes}"
    return True, f"{where}: {envelope.status.value} {envelope.decision.value} {codes}"


def _every_path(tree: Tree, name: str, fixtures: dict[str, Fixture]) -> tuple[bool, str]:
    if not fixtures:
        return False, "no fixtures to drive the decision paths"
    bot = tree.bot_class(name)
    runs = 0
    for fixture in fixtures.values():
        for mode in sorted(bot.mode_support):
            moded = Fixture(fixture.kind, fixture.path, fixture.description, mode,
                            fixture.config, fixture.input, fixture.expected)
            envelope = _run(tree, name, moded)
            if isinstance(envelope, str):
                return False, f"{tree.rel(fixture.path)} in {mode.value}: no envelope " \
                              f"({envelope})"
            ReportEnvelope.model_validate_json(envelope.model_dump_json())
            runs += 1
    return True, f"{runs} runs ({len(fixtures)} fixtures x {len(bot.mode_support)} modes): " \
                 "each returned a valid ReportEnvelope"


def _registered(tree: Tree, name: str, fixtures: dict[str, Fixture]) -> tuple[bool, str]:
    registry = tree.registry
    if registry is None:
        return False, f"{tree.rel(tree.registry_path)} missing or invalid"
    emitted = set(bot_codes(tree.bot_class(name)))
    for fixture in fixtures.values():
        emitted.update(fixture.expected.get("reason_codes", []))
    timeline = tree.entry(name).timeline_path
    if timeline.is_file():
        for line in timeline.read_text(encoding="utf-8").splitlines():
            if line.strip():
                emitted.update(json.loads(line).get("reason_codes", []))
    missing = sorted(emitted - registry.codes)
    if missing:
        return False, f"not in {tree.rel(tree.registry_path)}: {', '.join(missing)}"
    return True, f"{len(emitted)} codes (bot source, fixtures, timeline) all registered"


def _authority(tree: Tree, name: str) -> tuple[bool, str]:
    registry = tree.registry
    if registry is None:
        return False, f"{tree.rel(tree.registry_path)} missing or invalid"
    bot = tree.bot_class(name)
    config = bot.config_model()
    refused: list[str] = []
    allowed: list[str] = []
    for decision in (Decision.TRIGGER, Decision.BLOCK):
        probe = _probe(bot, decision)
        envelope = BotRunner(probe(config), Mode.ENFORCED if Mode.ENFORCED in bot.mode_support
                             else Mode.ADVISORY, registry).run(
            _dummy_input(tree, name), as_of=_EPOCH, symbol=None)
        beyond = decision.required_authority.rank > bot.authority.rank
        was_refused = "BOT_AUTHORITY_VIOLATION" in envelope.reason_codes
        if beyond != was_refused:
            return False, f"{decision.value}: beyond authority={beyond}, refused={was_refused}"
        (refused if was_refused else allowed).append(decision.value)
    return True, f"{bot.authority.value}: runner refuses {refused or 'nothing'}, " \
                 f"lets through {allowed}"


def _modes(tree: Tree, name: str, fixtures: dict[str, Fixture]) -> tuple[bool, str]:
    registry = tree.registry
    loaded = configured(tree, name)
    if registry is None or isinstance(loaded, str):
        return False, loaded if isinstance(loaded, str) else "registry missing"
    bot = tree.bot_class(name)
    if Mode(loaded[0]) not in bot.mode_support:
        return False, f"configured mode {loaded[0]} is not declared"
    seen = []
    for mode in sorted(bot.mode_support):
        config = bot.config_model.model_validate(loaded[1])
        envelope = BotRunner(bot(config), mode, registry).run(
            _dummy_input(tree, name), as_of=_EPOCH, symbol=None)
        if envelope.mode is not mode:
            return False, f"{mode.value}: envelope ran in {envelope.mode.value}"
        seen.append(mode.value)
    return True, f"runner accepts and reports every declared mode: {sorted(seen)}"


def _mock_clob(tree: Tree, name: str, clob_check: ClobCheck | None) -> tuple[bool, str]:
    if clob_check is None:
        return False, ("not run: no mock-CLOB harness was passed to the board "
                       "(tb board passes shared.execution.fixture_pack.check_fixture_pack)")
    try:
        return clob_check(tree, name)
    except Exception as e:  # noqa: BLE001 - a harness that raises is the evidence
        return False, f"the mock-CLOB harness raised {type(e).__name__}: {str(e)[:160]}"


def _metrics(tree: Tree, name: str, fixtures: dict[str, Fixture]) -> tuple[bool, str]:
    # Executed: the fixture pack through the runner with the always-on meter and no
    # --timings (envelopes must keep latency_ms null: outside the byte-identical core), then
    # two telemetry records through the store's writer, the second with its heartbeat.
    # Committed telemetry, when there is any, must carry the same metrics.
    registry = tree.registry
    if registry is None or not fixtures:
        return False, "no fixtures or registry to drive a run"
    bot = tree.bot_class(name)
    meter = Meter()
    for fixture in fixtures.values():
        try:
            runner = BotRunner(bot(bot.config_model.model_validate(fixture.config)),
                               fixture.mode, registry, meter=meter)
            envelope = runner.run(fixture.input, as_of=_EPOCH, symbol=None)
        except Exception as e:  # noqa: BLE001 - a run that raises is the evidence
            return False, f"{tree.rel(fixture.path)}: {type(e).__name__}: {str(e)[:160]}"
        if envelope.latency_ms is not None:
            return False, "the meter wrote latency into an envelope (byte-identical core)"
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for minute in (0, 1):
            record_run(root, stage="probe", run_id=f"probe-{minute}", as_of=_EPOCH,
                       feed="fixtures", recorded_at=_EPOCH + timedelta(minutes=minute),
                       bot_metrics=meter.bots, stage_latency_ms={"decide": 0.0})
        last = last_record(root, "probe")
    metrics = next((b for b in last.bots if b.bot == name), None) if last else None
    if metrics is None:
        return False, "no telemetry record for this bot after a metered run"
    values = {k: getattr(metrics, k) for k in METRICS}
    missing = [k for k, v in values.items() if v is None]
    if missing:
        return False, f"a metered run (no --timings) records {missing} as null"
    committed = telemetry_of(tree, name)
    decided = [s for s in committed if s.bot.decisions_total > s.bot.skipped_total]
    if decided and decided[-1].bot.decision_latency_ms is None:
        return False, f"{TELEMETRY_DIR}: the latest run that decided has no latency"
    if len(committed) > 1 and all(s.run.heartbeat_age_ms is None for s in committed):
        return False, f"{TELEMETRY_DIR}: {len(committed)} records, none with a heartbeat"
    on_file = (f"; {TELEMETRY_DIR}: {len(committed)} committed record(s)" if committed
               else f"; no committed telemetry yet ({TELEMETRY_DIR}/)")
    return True, (f"{len(fixtures)} fixtures through BotRunner + Meter (no --timings; "
                  f"envelope latency_ms null) and two records via shared.store.telemetry: "
                  f"all six metrics set (heartbeat_age_ms={metrics.heartbeat_age_ms}, "
                  f"decisions_total={metrics.decisions_total})" + on_file)


def _ci(tree: Tree) -> tuple[bool, str]:
    path = tree.root / CI_STATUS
    where = CI_STATUS.as_posix()
    if not path.is_file():
        return False, f"{where} is absent: no CI result on file (.ci/run writes it in CI)"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        passed, failed = set(doc["passed"]), list(doc["failed"])
        sha, conclusion = str(doc["sha"]), str(doc["conclusion"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        return False, f"{where} unreadable: {type(e).__name__} {e}"
    missing = sorted(set(CI_REQUIRED) - passed)
    ok = conclusion == "success" and not failed and not missing
    detail = f"{where}: {conclusion} at {sha[:12]} ({doc.get('finished_at', '?')})"
    if failed:
        detail += f", failed {failed}"
    if missing:
        detail += f", required steps not passed {missing}"
    return ok, detail


_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _dummy_input(tree: Tree, name: str) -> dict[str, Any]:
    fixtures = {f.kind: f for f in load_fixtures(tree.entry(name))}
    for kind in FIXTURE_KINDS:
        if kind in fixtures and kind != "failure":
            return fixtures[kind].input
    return {}


def _probe(bot: type[Bot[Any, Any]], decision: Decision) -> type[Bot[Any, Any]]:
    class Probe(bot):  # type: ignore[valid-type,misc]
        def decide(self, inputs: BaseModel) -> BotDecision:
            return BotDecision(decision=decision, reason_codes=("BOT_STUB",),
                               rationale="authority probe")
    Probe.__name__ = f"{bot.__name__}Probe"
    return Probe
