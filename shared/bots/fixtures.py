"""Fixture packs and recorded timelines: the evidence that a bot does what its spec says.

A fixture file ``fixtures/<kind>.json`` (kind: normal, warning, hard, failure) holds::

    {"description": "...", "mode": "advisory", "config": {...overrides...},
     "input": {...the bot's input...},
     "expected": {"status": "ok", "decision": "trigger", "reason_codes": ["DIV_TRIGGER"]}}

A recorded timeline ``timeline.jsonl`` holds one envelope per line, produced by running the
bot over a seeded synthetic period (``tb bots record-timeline``); tests re-run it and
compare the envelopes byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.bots.registry import BotEntry
from shared.bots.runner import BotRunner
from shared.contracts import Mode, ReportEnvelope
from shared.reason_codes import ReasonCodeRegistry

__all__ = ["FIXTURE_KINDS", "Fixture", "load_fixtures", "run_fixture"]

FIXTURE_KINDS = ("normal", "warning", "hard", "failure")


@dataclass(frozen=True)
class Fixture:
    kind: str
    path: Path
    description: str
    mode: Mode
    config: dict[str, Any]
    input: dict[str, Any]
    expected: dict[str, Any]


def load_fixtures(entry: BotEntry) -> list[Fixture]:
    """Load every fixture of a bot (sorted by file name)."""
    out = []
    for path in sorted(entry.fixtures_dir.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        out.append(
            Fixture(
                kind=str(doc["kind"]),
                path=path,
                description=str(doc["description"]),
                mode=Mode(doc.get("mode", "advisory")),
                config=dict(doc.get("config", {})),
                input=dict(doc["input"]),
                expected=dict(doc["expected"]),
            )
        )
    return out


def run_fixture(entry: BotEntry, fixture: Fixture, registry: ReasonCodeRegistry) -> ReportEnvelope:
    bot_class = entry.bot_class
    config = bot_class.config_model.model_validate(fixture.config)
    runner = BotRunner(bot_class(config), fixture.mode, registry)
    as_of = fixture.input.get("as_of", "1970-01-01T00:00:00Z")
    when = datetime.fromisoformat(str(as_of).replace("Z", "+00:00"))
    symbol = fixture.input.get("symbol")
    return runner.run(fixture.input, as_of=when, symbol=str(symbol) if symbol else None)
