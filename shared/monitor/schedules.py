"""Which stage runs on which cron: read from ``.github/workflows/*.yml``, never restated.

A stage is one workflow (``tracer.yml``), or one job of a workflow whose jobs each run on
their own cron (``eval.yml``: the job's ``if:`` names ``github.event.schedule == '<cron>'``).
A workflow that is missing or does not parse gives its stages no schedule (reported, never
raised), so a fork that removed a workflow still gets a status.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from shared.monitor.cron import Cron

__all__ = ["STAGE_WORKFLOWS", "Schedule", "read_schedules"]

logger = logging.getLogger(__name__)

STAGE_WORKFLOWS: Mapping[str, tuple[str, str | None]] = {
    "tracer": ("tracer.yml", None),
    "universe": ("universe.yml", None),
    "eval-ingest": ("eval.yml", "ingest"),
    "eval-daily": ("eval.yml", "ingest"),  # the daily snapshot runs in the ingest job
    "eval-weekly": ("eval.yml", "weekly"),
    "check": ("check.yml", None),
}
"""Stage → (workflow file, job whose ``if:`` picks its crons, or None for every cron)."""

_SCHEDULE_IF = re.compile(r"github\.event\.schedule\s*==\s*'([^']*)'")


@dataclass(frozen=True)
class Schedule:
    """A stage's crons (empty: not scheduled) and why, when they could not be read."""

    stage: str
    workflow: str
    crons: tuple[Cron, ...] = ()
    problem: str | None = None

    @property
    def period(self) -> timedelta | None:
        """The longest gap between two fires (None when not scheduled)."""
        if not self.crons:
            return None
        return min(cron.period() for cron in self.crons)


def _load(path: Path) -> dict[Any, Any] | str:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"{path.name} not found"
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        return f"{path.name} does not read: {e}"
    return doc if isinstance(doc, dict) else f"{path.name} is not a mapping"


def _crons(doc: dict[Any, Any], job: str | None) -> list[str]:
    triggers = doc.get("on", doc.get(True)) or {}
    entries = triggers.get("schedule") if isinstance(triggers, dict) else None
    crons = [str(e["cron"]) for e in entries or [] if isinstance(e, dict) and "cron" in e]
    if job is None:
        return crons
    condition = str(((doc.get("jobs") or {}).get(job) or {}).get("if", ""))
    named = set(_SCHEDULE_IF.findall(condition))
    return [cron for cron in crons if cron in named]


def read_schedules(workflows_dir: Path) -> dict[str, Schedule]:
    """Every stage of :data:`STAGE_WORKFLOWS` with the crons its workflow declares."""
    out: dict[str, Schedule] = {}
    for stage, (workflow, job) in STAGE_WORKFLOWS.items():
        doc = _load(workflows_dir / workflow)
        if isinstance(doc, str):
            out[stage] = Schedule(stage, workflow, problem=doc)
            continue
        try:
            crons = tuple(Cron.parse(text) for text in _crons(doc, job))
        except ValueError as e:
            out[stage] = Schedule(stage, workflow, problem=str(e))
            continue
        out[stage] = Schedule(stage, workflow, crons)
    return out
