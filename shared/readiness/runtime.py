"""Runtime/8: evidence from running, read from committed files. Every item names the files it
read and what it found; an absent source fails its item with the reason shown, never a guess.

Sources: run telemetry (``runs/telemetry/``, written by every ``tb run`` and ``tb universe
run``), drills (``runs/drills/*.json``, written by ``tb drill``), dashboards
(``dashboards/``), ``config/alerts.yaml``, and the git history of ``config/bots/<bot>.yaml``.
Windows are measured back from the newest telemetry record, so the board is a function of
the tree, not of the wall clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from shared.alerts import REQUIRED_TIERS, load_alerts
from shared.bots.meter import p95
from shared.contracts import Mode
from shared.contracts.telemetry import BotTelemetry, RunTelemetry
from shared.readiness.evidence import Item, Tree
from shared.readiness.history import mode_spans
from shared.readiness.ladder import LADDER, rank
from shared.readiness.spec import BAND_REJECT, BUDGET_ERROR, BUDGET_LATENCY, parse_sections
from shared.store.telemetry import TELEMETRY_DIR, iter_telemetry

__all__ = ["ALERTS", "DRILLS", "ROLLING_DAYS", "SHADOW_DAYS", "TITLES", "check_runtime",
           "telemetry_of"]

TITLES = ("shadow telemetry clean for 7 days", "rolling error rate under budget",
          "p95 decision latency inside budget", "reject rate inside its band",
          "drill on record", "dashboard panel present", "alerts wired",
          "promoted through every gate")
SHADOW_DAYS = 7
ROLLING_DAYS = 7
ALERTS = Path("config") / "alerts.yaml"
DRILLS = Path("runs") / "drills"
DASHBOARDS = Path("dashboards")


@dataclass(frozen=True)
class Sample:
    run: RunTelemetry
    bot: BotTelemetry


def telemetry_of(tree: Tree, name: str) -> list[Sample]:
    """Every committed telemetry record in which ``name`` appears, oldest first."""
    found = [Sample(run, bot) for _, run in iter_telemetry(tree.root)
             for bot in run.bots if bot.bot == name]
    return sorted(found, key=lambda s: s.run.recorded_at)


def _rolling(samples: list[Sample]) -> list[Sample]:
    if not samples:
        return []
    end = samples[-1].run.recorded_at
    return [s for s in samples if s.run.recorded_at > end - timedelta(days=ROLLING_DAYS)]


def _budget(tree: Tree, name: str, section: int) -> str:
    path = tree.spec_path(name)
    if not path.is_file():
        return ""
    found = parse_sections(path.read_text(encoding="utf-8")).get(section)
    return found.body if found else ""


def check_runtime(tree: Tree, name: str) -> list[Item]:
    samples = telemetry_of(tree, name)
    results = [_shadow(samples), _errors(tree, name, samples), _latency(tree, name, samples),
               _rejects(tree, name, samples), _drill(tree, name), _dashboard(tree, name),
               _alerts(tree, name), _promoted(tree, name)]
    return [Item(n, title, ok, why)
            for n, (title, (ok, why)) in enumerate(zip(TITLES, results, strict=True), start=1)]


_NONE = f"no committed telemetry for this bot ({TELEMETRY_DIR}/)"


def _shadow(samples: list[Sample]) -> tuple[bool, str]:
    shadow = [s for s in samples if s.bot.mode is Mode.SHADOW]
    if not shadow:
        return False, _NONE if not samples else \
            f"{len(samples)} telemetry record(s), none in shadow mode"
    days = sorted({s.run.recorded_at.date() for s in shadow})
    dirty = [s for s in shadow if s.bot.errors_total]
    stale = [s for s in shadow if s.run.heartbeat_age_ms is None]
    ok = len(days) >= SHADOW_DAYS and not dirty
    return ok, (f"{TELEMETRY_DIR}: {len(days)} day(s) in shadow ({days[0]}..{days[-1]}), "
                f"{len(dirty)} record(s) with errors, {len(stale)} without a heartbeat; "
                f"need {SHADOW_DAYS} clean days")


def _errors(tree: Tree, name: str, samples: list[Sample]) -> tuple[bool, str]:
    match = BUDGET_ERROR.search(_budget(tree, name, 20))
    if match is None:
        return False, "no 'error budget: N %' in SPEC.md § 20"
    window = [s for s in _rolling(samples) if s.bot.decisions_total - s.bot.skipped_total]
    decided = sum(s.bot.decisions_total - s.bot.skipped_total for s in window)
    if not decided:
        return False, _NONE if not samples else "no decision in the rolling window"
    errors = sum(s.bot.errors_total for s in window)
    rate = 100.0 * errors / decided
    budget = float(match.group(1))
    return rate <= budget, (f"{TELEMETRY_DIR}: {errors} failed of {decided} decisions "
                            f"({rate:.2f}%) over the last {ROLLING_DAYS} days on file; "
                            f"budget {budget:g}%")


def _latency(tree: Tree, name: str, samples: list[Sample]) -> tuple[bool, str]:
    match = BUDGET_LATENCY.search(_budget(tree, name, 19))
    if match is None:
        return False, "no 'p95 budget: N ms' in SPEC.md § 19"
    latencies = [x for s in _rolling(samples) for x in s.bot.latency_samples_ms]
    value = p95(latencies)
    if value is None:
        return False, _NONE if not samples else "no latency sample in the rolling window"
    budget = float(match.group(1))
    return value <= budget, (f"{TELEMETRY_DIR}: p95 {value:g} ms over {len(latencies)} "
                             f"decisions (last {ROLLING_DAYS} days on file); budget "
                             f"{budget:g} ms")


def _rejects(tree: Tree, name: str, samples: list[Sample]) -> tuple[bool, str]:
    match = BAND_REJECT.search(_budget(tree, name, 21))
    if match is None:
        return False, "no 'reject band: A % – B %' in SPEC.md § 21"
    window = _rolling(samples)
    ok_decisions = sum(s.bot.decisions_total - s.bot.errors_total - s.bot.skipped_total
                       for s in window)
    if not ok_decisions:
        return False, _NONE if not samples else "no ok decision in the rolling window"
    rejects = sum(s.bot.rejects_total for s in window)
    rate = 100.0 * rejects / ok_decisions
    low, high = float(match.group(1)), float(match.group(2))
    return low <= rate <= high, (f"{TELEMETRY_DIR}: {rejects} rejects of {ok_decisions} "
                                 f"({rate:.1f}%); band {low:g}%-{high:g}% (SPEC.md § 21)")


def _drill(tree: Tree, name: str) -> tuple[bool, str]:
    folder = tree.root / DRILLS
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        return False, f"{DRILLS.as_posix()}/: no drill on record (tb drill writes one)"
    seen = []
    for path in files:
        doc = _json(path)
        if doc is None:
            seen.append(f"{tree.rel(path)} unreadable")
            continue
        bots = doc.get("bots", [doc["bot"]] if "bot" in doc else None)
        if bots is not None and name not in bots:
            continue  # a drill of other bots; one naming no bot exercises the whole path
        alerted = bool(doc.get("alert_fired", doc.get("alerts", 0)))
        if (doc.get("passed") is True and doc.get("halted") is True
                and doc.get("orders_after_halt") == 0 and alerted):
            return True, (f"{tree.rel(path)}: scenario {doc.get('scenario')!r} passed "
                          f"(halted, 0 orders after the halt, alert fired)")
        seen.append(f"{tree.rel(path)}: passed={doc.get('passed')}, halted="
                    f"{doc.get('halted')}, orders_after_halt={doc.get('orders_after_halt')}, "
                    f"alert={alerted}")
    return False, "no passing drill: " + ("; ".join(seen) if seen else
                                           f"{len(files)} drill(s), none for this bot")


def _json(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _dashboard(tree: Tree, name: str) -> tuple[bool, str]:
    folder = tree.root / DASHBOARDS
    if not folder.is_dir():
        return False, f"{DASHBOARDS.as_posix()}/ is absent: no dashboard yet"
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if name in text:
            return True, f"{tree.rel(path)} has a panel naming {name}"
    return False, f"{DASHBOARDS.as_posix()}/: no panel names {name}"


def _alerts(tree: Tree, name: str) -> tuple[bool, str]:
    path = tree.root / ALERTS
    if not path.is_file():
        return False, f"{ALERTS.as_posix()} is absent: no alert is wired"
    try:
        alerts = load_alerts(path)
    except Exception as e:  # noqa: BLE001 - an invalid file is the evidence
        return False, f"{ALERTS.as_posix()} does not validate: {str(e).splitlines()[0][:200]}"
    routed = alerts.rules_of(name)
    wrong = [f"{c.value}→{routed[c].value if c in routed else 'unrouted'} (needs {t.value})"
             for c, t in REQUIRED_TIERS.items() if routed.get(c) is not t]
    if wrong:
        return False, f"{ALERTS.as_posix()}: " + "; ".join(wrong)
    tiers = {t.value: [c.value for c in alerts.tiers[t].channels]
             for t in sorted(set(routed.values()))}
    return True, (f"{ALERTS.as_posix()}: {len(routed)} condition(s) routed at the required "
                  f"tiers; channels {tiers}")


def _promoted(tree: Tree, name: str) -> tuple[bool, str]:
    spans = mode_spans(tree.root, name)
    if spans is None:
        return False, "no git history of config/bots in this tree: no promotion history"
    support = tree.bot_class(name).mode_support
    top = max((m for m in LADDER if m in support), key=rank)
    path = [s.mode for s in spans if s.mode != Mode.QUARANTINE.value]
    shown = " → ".join(f"{s.mode} ({s.since.date()})" for s in spans) or "nothing"
    expected = [m.value for m in LADDER if rank(m) <= rank(top)]
    climbed = _climbed(path)
    ok = climbed == expected
    return ok, (f"git log config/bots/{name}.yaml: {shown}; gates passed in order: "
                f"{' → '.join(climbed) or 'none'} (needs {' → '.join(expected)})")


def _climbed(modes: list[str]) -> list[str]:
    # The ladder rungs reached one step at a time from stub (a first mode other than stub,
    # or a skipped rung, is a mode that was set, not earned).
    climbed: list[str] = []
    for mode in modes:
        r = rank(Mode(mode))
        if r == len(climbed):
            climbed.append(mode)
        elif r > len(climbed):
            break
    return climbed
