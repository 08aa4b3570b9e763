"""SPEC.md: the 27 sections, their generated blocks, and the Docs/27 checks.

A spec is hand-written prose plus generated blocks between ``<!-- generated:KEY -->`` and
``<!-- /generated:KEY -->``. The blocks (authority, modes, parameters, defaults, hard
thresholds, reason codes, wire examples) are rendered from the bot class, its config model,
``config/bots/<bot>.yaml``, the registry and the fixtures (:func:`render_blocks`);
``tb board specs --check`` fails when a committed block differs from what the code renders,
so a spec cannot drift from the code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema
from pydantic import ValidationError

from shared.bots.fixtures import load_fixtures, run_fixture
from shared.readiness.evidence import Item, Tree
from shared.readiness.facts import code_rows, param_rows
from shared.reason_codes import ReasonCodeRegistry

__all__ = ["SECTIONS", "check_docs", "parse_sections", "refresh_spec", "render_blocks"]

SECTIONS: tuple[str, ...] = (
    "Purpose", "Authority class", "Modes supported", "Inputs (contract)", "Outputs (contract)",
    "Parameters", "Defaults", "Hard thresholds", "Warning thresholds", "Reason codes",
    "Decision logic", "Failure modes", "Safe fallback", "Dependencies",
    "Point-in-time guarantees", "Wire example: normal", "Wire examples: warning, hard, failure",
    "Metrics", "Latency budget", "Error budget", "Reject-rate band", "Alerts and severity",
    "Dashboard panel", "Runbook", "Promotion gates", "Backtest and search space", "Change log",
)
# Which generated block each section carries.
BLOCKS: dict[int, str] = {2: "authority", 3: "modes", 6: "parameters", 7: "defaults",
                          8: "hard", 10: "codes", 16: "example-normal", 17: "examples"}
METRICS = ("decisions_total", "decision_latency_ms", "heartbeat_age_ms", "errors_total",
           "config_version", "mode")
_HEADING = re.compile(r"^## (\d+)\. (.+?)\s*$", re.M)
_BLOCK = re.compile(r"<!-- generated:([a-z-]+) -->\n(.*?)<!-- /generated:\1 -->", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|lorem ipsum|placeholder)\b", re.I)
BUDGET_LATENCY = re.compile(r"p95 budget:\s*(\d+(?:\.\d+)?)\s*ms", re.I)
BUDGET_ERROR = re.compile(r"error budget:\s*(\d+(?:\.\d+)?)\s*%", re.I)
BAND_REJECT = re.compile(
    r"reject band:\s*(\d+(?:\.\d+)?)\s*%\s*(?:–|-|to)\s*(\d+(?:\.\d+)?)\s*%", re.I)


@dataclass(frozen=True)
class Section:
    number: int
    title: str
    body: str

    def blocks(self) -> dict[str, str]:
        return {m.group(1): m.group(2) for m in _BLOCK.finditer(self.body)}

    def prose(self) -> str:
        return _COMMENT.sub("", _BLOCK.sub("", self.body)).strip()


def parse_sections(text: str) -> dict[int, Section]:
    matches = list(_HEADING.finditer(text))
    out: dict[int, Section] = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        number = int(m.group(1))
        out.setdefault(number, Section(number, m.group(2), text[m.end():end]))
    return out


# --- generation ------------------------------------------------------------------------

def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
              for row in rows]
    return "\n".join(lines) + "\n"


def _example(kind: str, doc: dict[str, Any]) -> str:
    return f"`{kind}`:\n\n```json\n{json.dumps(doc, indent=2, sort_keys=True)}\n```\n"


def render_blocks(tree: Tree, name: str) -> dict[str, str]:
    """Every generated block of ``name``'s spec, rendered from code, config and registry."""
    bot = tree.bot_class(name)
    params = param_rows(tree, name)
    registry = tree.registry
    blocks = {
        "authority": f"Authority: `{bot.authority.value}` (declared in `{bot.__module__}`).\n",
        "modes": "Modes: " + ", ".join(f"`{m.value}`" for m in _ordered(bot.mode_support))
        + ".\n",
        "parameters": _table(("parameter", "type"), [(p.name, p.type) for p in params]),
        "defaults": _table(("parameter", "model default", f"config/bots/{name}.yaml"),
                           [(p.name, p.default, p.configured) for p in params]),
        "hard": _table(("parameter", "hard range"), [(p.name, p.hard) for p in params]),
        "codes": _table(("code", "severity", "source", "meaning"),
                        [(r.code, r.severity, r.source, r.meaning)
                         for r in code_rows(bot, registry)]),
    }
    examples = _examples(tree, name, registry)
    blocks["example-normal"] = examples.get("normal", "(no normal fixture)\n")
    blocks["examples"] = "\n".join(examples.get(k, f"(no {k} fixture)\n")
                                   for k in ("warning", "hard", "failure"))
    return blocks


def _ordered(modes: frozenset[Any]) -> list[Any]:
    order = ["stub", "shadow", "advisory", "enforced", "quarantine"]
    return sorted(modes, key=lambda m: order.index(m.value))


def _examples(tree: Tree, name: str, registry: ReasonCodeRegistry | None) -> dict[str, str]:
    if registry is None:
        return {}
    out = {}
    entry = tree.entry(name)
    for fixture in load_fixtures(entry):
        try:
            envelope = run_fixture(entry, fixture, registry).model_dump(mode="json")
        except Exception:  # noqa: BLE001, S112 - an example that cannot run is left out
            continue
        out[fixture.kind] = _example(fixture.kind, {
            "mode": fixture.mode.value, "config": fixture.config, "input": fixture.input,
            "envelope": envelope})
    return out


def refresh_spec(text: str, blocks: dict[str, str]) -> str:
    """``text`` with every generated block replaced by its rendering."""
    def swap(m: re.Match[str]) -> str:
        key = m.group(1)
        body = blocks.get(key, m.group(2))
        return f"<!-- generated:{key} -->\n{body}<!-- /generated:{key} -->"
    return _BLOCK.sub(swap, text)


# --- the Docs/27 checks ----------------------------------------------------------------

def check_docs(tree: Tree, name: str) -> list[Item]:
    path = tree.spec_path(name)
    rel = tree.rel(path)
    if not path.is_file():
        return [Item(n, title, False, f"{rel} is absent")
                for n, title in enumerate(SECTIONS, start=1)]
    sections = parse_sections(path.read_text(encoding="utf-8"))
    blocks = render_blocks(tree, name)
    out = []
    for n, title in enumerate(SECTIONS, start=1):
        section = sections.get(n)
        where = f"{rel} § {n}"
        if section is None or section.title != title:
            found = f"found {section.title!r}" if section else "no such heading"
            out.append(Item(n, title, False, f"{where}: heading '## {n}. {title}' missing "
                                             f"({found})"))
            continue
        ok, why = _check_section(tree, name, section, blocks)
        out.append(Item(n, title, ok, f"{where}: {why}"))
    return out


def _check_section(tree: Tree, name: str, section: Section,
                   blocks: dict[str, str]) -> tuple[bool, str]:
    n, prose, found = section.number, section.prose(), section.blocks()
    if _PLACEHOLDER.search(prose):
        return False, f"placeholder text ({_PLACEHOLDER.search(prose).group(0)!r})"  # type: ignore[union-attr]
    key = BLOCKS.get(n)
    if key is not None and key not in found:
        return False, f"generated block '{key}' missing (run tb board specs)"
    special = _SPECIAL.get(n)
    if special is not None:
        return special(tree, name, section, blocks)
    if key is not None and found[key] != blocks[key]:
        return False, f"block '{key}' differs from the code (run tb board specs)"
    if key is None and len(prose) < 40:
        return False, f"only {len(prose)} characters of content"
    return True, f"{len(prose)} characters" + (f", block '{key}' matches the code" if key
                                                else "")


def _codes(tree: Tree, name: str, section: Section, blocks: dict[str, str]
           ) -> tuple[bool, str]:
    # Code set from the code; severity and meaning checked only where the registry has the
    # code (removing a code from the registry is an Impl failure, not a Docs one).
    def rows(text: str) -> dict[str, list[str]]:
        out = {}
        for line in text.splitlines()[2:]:
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if len(cells) == 4:
                out[cells[0]] = cells
        return out
    expected, written = rows(blocks["codes"]), rows(section.blocks()["codes"])
    if set(expected) != set(written):
        missing, extra = sorted(set(expected) - set(written)), sorted(set(written) - set(expected))
        return False, f"code set differs from the code: missing {missing}, extra {extra}"
    for code, cells in expected.items():
        if cells[1] != "UNREGISTERED" and cells != written[code]:
            return False, f"{code}: table says {written[code][1:]}, registry says {cells[1:]}"
    return True, f"{len(expected)} codes match the code and the registry"


def _examples_ok(tree: Tree, name: str, section: Section, blocks: dict[str, str]
                 ) -> tuple[bool, str]:
    key = BLOCKS[section.number]
    docs = re.findall(r"```json\n(.*?)\n```", section.blocks()[key], re.S)
    want = 1 if section.number == 16 else 3
    if len(docs) < want:
        return False, f"{len(docs)} JSON example(s), need {want}"
    schema = json.loads((tree.root / "schemas" / "report_envelope.schema.json")
                        .read_text(encoding="utf-8"))
    bot = tree.bot_class(name)
    for i, raw in enumerate(docs, start=1):
        try:
            doc = json.loads(raw)
            jsonschema.validate(doc["envelope"], schema)
        except (ValueError, KeyError, jsonschema.ValidationError) as e:
            return False, f"example {i}: envelope does not validate: {str(e).splitlines()[0]}"
        if doc["envelope"].get("bot") != name:
            return False, f"example {i}: envelope is for {doc['envelope'].get('bot')!r}"
        invalid_by_design = "BOT_INPUT_INVALID" in doc["envelope"].get("reason_codes", [])
        if not invalid_by_design:
            try:
                bot.input_model.model_validate_json(json.dumps(doc["input"]))
            except ValidationError as e:
                return False, f"example {i}: input does not validate against " \
                              f"{bot.input_model.__name__}: {e.errors()[0]['msg']}"
    return True, f"{len(docs)} example(s) validate (envelope: schemas/" \
                 f"report_envelope.schema.json; input: {bot.input_model.__name__})"


def _needs(pattern: str, what: str) -> Callable[[Tree, str, Section, dict[str, str]],
                                                 tuple[bool, str]]:
    def check(tree: Tree, name: str, section: Section, blocks: dict[str, str]
              ) -> tuple[bool, str]:
        prose = section.prose()
        if not re.search(pattern, prose, re.I):
            return False, f"no {what}"
        return True, f"{what} present"
    return check


def _inputs(tree: Tree, name: str, section: Section, blocks: dict[str, str]
            ) -> tuple[bool, str]:
    model = tree.bot_class(name).input_model.__name__
    if model not in section.prose():
        return False, f"does not name the input contract {model}"
    return True, f"names {model}"


def _warnings(tree: Tree, name: str, section: Section, blocks: dict[str, str]
              ) -> tuple[bool, str]:
    warning_codes = [line.split(" | ")[0].strip("| ") for line in blocks["codes"].splitlines()
                     if " | warning | bot | " in line]
    prose = section.prose()
    missing = [c for c in warning_codes if c not in prose]
    if missing:
        return False, f"warning-severity codes not described: {missing}"
    # A code missing from the registry has no severity to read: that is Impl's failure
    # (item 10), not the spec's, so a described unregistered code counts here.
    unregistered = [line.split(" | ")[0].strip("| ") for line in blocks["codes"].splitlines()
                    if " | UNREGISTERED | bot | " in line]
    if not warning_codes and any(c in prose for c in unregistered):
        return True, f"describes {[c for c in unregistered if c in prose]} (unregistered)"
    if not warning_codes and not re.search(r"\bnone\b", prose, re.I):
        return False, "the bot has no warning-severity code and the section does not say so"
    return True, f"describes {warning_codes or 'the absence of a warning code'}"


def _metrics(tree: Tree, name: str, section: Section, blocks: dict[str, str]
             ) -> tuple[bool, str]:
    missing = [m for m in METRICS if m not in section.prose()]
    return (not missing, f"missing metrics {missing}" if missing else "all six metrics named")


_SPECIAL: dict[int, Callable[[Tree, str, Section, dict[str, str]], tuple[bool, str]]] = {
    4: _inputs,
    5: _needs(r"ReportEnvelope", "mention of the ReportEnvelope output"),
    9: _warnings,
    10: _codes,
    16: _examples_ok,
    17: _examples_ok,
    18: _metrics,
    19: _needs(BUDGET_LATENCY.pattern, "'p95 budget: N ms' line"),
    20: _needs(BUDGET_ERROR.pattern, "'error budget: N %' line"),
    21: _needs(BAND_REJECT.pattern, "'reject band: A % – B %' line"),
    22: _needs(r"\b(page|ticket|log)\b", "severity tier (page, ticket or log)"),
    24: _needs(r"^\s*\d+\.\s.+\n\s*\d+\.\s", "numbered runbook steps"),
    25: _needs(r"check-promotion", "reference to tb board check-promotion"),
    26: _needs(r"SEARCH_SPACE", "reference to SEARCH_SPACE"),
    27: _needs(r"\d{4}-\d{2}-\d{2}", "dated entry"),
}
