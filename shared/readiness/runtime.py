"""Runtime/8: evidence from committed telemetry. Today most sources do not exist yet; each
absent source fails its item with the reason shown, never a guess."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import yaml

from shared.contracts import EnvelopeStatus, Mode, ReportEnvelope
from shared.readiness.evidence import Item, Tree
from shared.readiness.spec import BAND_REJECT, BUDGET_ERROR, BUDGET_LATENCY, parse_sections

__all__ = ["SHADOW_DAYS", "TITLES", "check_runtime"]

TITLES = ("shadow telemetry clean for 7 days", "rolling error rate under budget",
          "p95 decision latency inside budget", "reject rate inside its band",
          "drill on record", "dashboard panel present", "alerts wired",
          "promoted through every gate")
SHADOW_DAYS = 7
ALERTS = Path("config") / "alerts.yaml"
PROMOTIONS = Path("promotions.jsonl")


def _envelopes(tree: Tree, name: str) -> Iterator[ReportEnvelope]:
    """The bot's envelopes in the committed tracer runs (``runs/**/tracer-*.json``)."""
    runs = tree.root / "runs"
    if not runs.is_dir():
        return
    for path in sorted(runs.rglob("tracer-*.json")):
        if path.name.endswith(".inputs.json"):
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        for raw in doc.get("envelopes", []):
            if raw.get("bot") == name:
                yield ReportEnvelope.model_validate(raw)


def _budget(tree: Tree, name: str, section: int) -> str | None:
    path = tree.spec_path(name)
    if not path.is_file():
        return None
    found = parse_sections(path.read_text(encoding="utf-8")).get(section)
    return found.body if found else None


def check_runtime(tree: Tree, name: str) -> list[Item]:
    envelopes = list(_envelopes(tree, name))
    none = "no committed run telemetry for this bot (runs/**/tracer-*.json)"
    results: list[tuple[bool, str]] = []
    shadow_days = {e.as_of.date() for e in envelopes if e.mode is Mode.SHADOW}
    dirty = [e for e in envelopes if e.mode is Mode.SHADOW and e.status is EnvelopeStatus.FAILED]
    results.append((len(shadow_days) >= SHADOW_DAYS and not dirty,
                    f"{len(shadow_days)} day(s) in shadow, {len(dirty)} failed envelope(s)"
                    if envelopes else none))
    results.append(_rate(tree, name, envelopes, none))
    results.append(_latency(tree, name, envelopes, none))
    results.append(_reject(tree, name, envelopes, none))
    drills = sorted((tree.root / "drills" / name).glob("*.json"))
    results.append((bool(drills), f"{tree.rel(drills[-1])}" if drills
                    else f"drills/{name}/: no drill on record (no `tb drill` yet)"))
    panels = sorted((tree.root / "dashboards").glob(f"{name}*.json"))
    results.append((bool(panels), tree.rel(panels[0]) if panels
                    else f"dashboards/{name}*.json: no panel"))
    results.append(_alerts(tree, name))
    results.append(_promotions(tree, name))
    return [Item(n, title, ok, why)
            for n, (title, (ok, why)) in enumerate(zip(TITLES, results, strict=True), start=1)]


def _rate(tree: Tree, name: str, envelopes: list[ReportEnvelope], none: str
          ) -> tuple[bool, str]:
    body = _budget(tree, name, 20)
    match = BUDGET_ERROR.search(body or "")
    if match is None:
        return False, "no error budget in SPEC.md § 20"
    if not envelopes:
        return False, none
    rate = 100.0 * sum(e.status is EnvelopeStatus.FAILED for e in envelopes) / len(envelopes)
    return rate <= float(match.group(1)), f"{rate:.2f}% failed over {len(envelopes)} " \
                                          f"envelopes; budget {match.group(1)}%"


def _latency(tree: Tree, name: str, envelopes: list[ReportEnvelope], none: str
             ) -> tuple[bool, str]:
    match = BUDGET_LATENCY.search(_budget(tree, name, 19) or "")
    if match is None:
        return False, "no p95 budget in SPEC.md § 19"
    latencies = sorted(e.latency_ms for e in envelopes if e.latency_ms is not None)
    if not latencies:
        return False, none if not envelopes else "no latency recorded (latency_ms null)"
    p95 = latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)]
    return p95 <= float(match.group(1)), f"p95 {p95:g} ms over {len(latencies)}; budget " \
                                         f"{match.group(1)} ms"


def _reject(tree: Tree, name: str, envelopes: list[ReportEnvelope], none: str
            ) -> tuple[bool, str]:
    match = BAND_REJECT.search(_budget(tree, name, 21) or "")
    if match is None:
        return False, "no reject band in SPEC.md § 21"
    decided = [e for e in envelopes if e.status is EnvelopeStatus.OK]
    if not decided:
        return False, none
    rejects = sum(e.decision.value in ("block", "no_trigger") for e in decided)
    rate = 100.0 * rejects / len(decided)
    low, high = float(match.group(1)), float(match.group(2))
    return low <= rate <= high, f"reject rate {rate:.1f}% over {len(decided)}; band " \
                                f"{low:g}%-{high:g}% (not calibrated on live data)"


def _alerts(tree: Tree, name: str) -> tuple[bool, str]:
    path = tree.root / ALERTS
    if not path.is_file():
        return False, f"{ALERTS.as_posix()} is absent: no alert is wired"
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rules = [r for r in doc.get("alerts", []) if isinstance(r, dict) and r.get("bot") == name]
    ok = bool(rules) and all(r.get("severity") in ("page", "ticket", "log") for r in rules)
    return ok, f"{ALERTS.as_posix()}: {len(rules)} rule(s) for {name}"


def _promotions(tree: Tree, name: str) -> tuple[bool, str]:
    path = tree.root / PROMOTIONS
    if not path.is_file():
        return False, f"{PROMOTIONS.as_posix()} is absent: no promotion history on file"
    steps = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    reached = [s.get("to") for s in steps if s.get("bot") == name]
    ok = reached[:3] == ["shadow", "advisory", "enforced"]
    return ok, f"{PROMOTIONS.as_posix()}: {name} reached {reached or 'nothing'}"
