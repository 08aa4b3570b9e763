"""``tb status``: one screen of the system's state, from what is committed and ``now``.

Per stage: last run and its age, runs and degraded share over 24 h and 7 days, the degraded
streak, missed runs (7 days), the schedule. Then the last trigger, the latest evaluation
verdict, the latest self-check, the pause switch, and which keys are detected: provider
names and variable *names* only, never a value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from shared.errors import ConfigError
from shared.monitor.health import MonitorSettings, StageHealth, stage_health
from shared.monitor.pause import pause_state
from shared.monitor.schedules import read_schedules
from shared.monitor.series import CHECKS_DIR, RunPoint, read_series
from shared.settings import _SECRET_FIELDS, PROVIDERS, Settings
from shared.store.layout import EVAL_DIR, SNAPSHOT_KINDS

__all__ = ["build_status", "detected_keys", "latest_check", "latest_verdict", "render_status"]

_STAMP = re.compile(r"^\d{8}T\d{6}Z$")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def detected_keys(environ: Mapping[str, str]) -> dict[str, Any]:
    """Per provider whether its keys are set, and the variable names that are set."""
    names = sorted(name.upper() for name in _SECRET_FIELDS if environ.get(name.upper()))
    # Built without validation or a read of the process environment: only the names given.
    given: dict[str, Any] = {name: SecretStr(environ[name.upper()])
                             for name in _SECRET_FIELDS if environ.get(name.upper())}
    settings = Settings.model_construct(**given)
    return {"variables_set": names,
            "providers": {p: settings.has_keys_for(p) for p in PROVIDERS}}


def latest_verdict(root: Path, now: datetime) -> dict[str, Any] | None:
    """The newest snapshot (daily or weekly) at or before ``now``: kind, time, verdict."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    found = [(folder.name, kind, folder) for kind in SNAPSHOT_KINDS
             for folder in (root / EVAL_DIR / kind).glob("*")
             if _STAMP.match(folder.name) and folder.name <= stamp]
    for name, kind, folder in sorted(found, reverse=True):
        try:
            doc = json.loads((folder / "metrics.json").read_bytes())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict):
            return {"kind": kind, "as_of": doc.get("as_of"), "verdict": doc.get("verdict"),
                    "headline_feed": doc.get("headline_feed"),
                    "verdict_polymarket": doc.get("verdict_polymarket"),
                    "path": folder.relative_to(root).as_posix(), "stamp": name}
    return None


def latest_check(root: Path, now: datetime) -> dict[str, Any] | None:
    """The newest self-check report at or before ``now``."""
    best: dict[str, Any] | None = None
    for path in sorted((root / CHECKS_DIR).glob("*.json")):
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and str(doc.get("as_of", "")) <= (_iso(now) or ""):
            best = {"as_of": doc.get("as_of"), "ok": doc.get("ok"),
                    "failing": doc.get("failing", []), "path": path.relative_to(root).as_posix()}
    return best


def _last_trigger(series: Mapping[str, list[RunPoint]]) -> dict[str, Any] | None:
    triggers = [t for points in series.values() for p in points for t in p.triggers]
    if not triggers:
        return None
    last = max(triggers, key=lambda t: (t.as_of, t.stage, t.symbol))
    return {"stage": last.stage, "symbol": last.symbol, "as_of": _iso(last.as_of),
            "direction": last.direction, "run_id": last.run_id}


def stage_healths(root: Path, *, now: datetime, settings: MonitorSettings,
                  workflows_dir: Path) -> tuple[dict[str, StageHealth],
                                                dict[str, list[RunPoint]]]:
    """Every monitored stage's health, and the runs it was computed from."""
    series = read_series(root, now=now)
    schedules = read_schedules(workflows_dir)
    health = {stage: stage_health(stage, points, schedules.get(stage), now=now,
                                  settings=settings)
              for stage, points in series.items()}
    return health, series


def build_status(root: Path, *, now: datetime, environ: Mapping[str, str],
                 workflows_dir: Path, settings: MonitorSettings) -> dict[str, Any]:
    """The status document (``tb status --json``)."""
    health, series = stage_healths(root, now=now, settings=settings,
                                   workflows_dir=workflows_dir)
    try:
        pause: dict[str, Any] = pause_state(root, environ).model_dump()
    except ConfigError as e:
        pause = {"paused": None, "reason": str(e), "source": "config/pause.yaml"}
    return {
        "as_of": _iso(now),
        "stages": {name: item.as_json() for name, item in health.items()},
        "last_trigger": _last_trigger(series),
        "evaluation": latest_verdict(root, now),
        "last_check": latest_check(root, now),
        "pause": pause,
        "keys": detected_keys(environ),
        "degraded_budget": settings.degraded_budget,
    }


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    hours = seconds / 3600
    return f"{seconds / 60:.0f} min" if hours < 1 else (
        f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d")


def _ratio(value: object) -> str:
    return "-" if not isinstance(value, float) else f"{value:.1%}"


def render_status(doc: Mapping[str, Any]) -> str:
    """The one screen, as plain text."""
    lines = [f"Tracer Bullet status at {doc['as_of']}"]
    pause = doc["pause"]
    lines.append("PAUSED: " + str(pause.get("reason")) + f" ({pause.get('source')})"
                 if pause.get("paused") else "running (not paused)")
    lines.append("")
    lines.append(f"{'stage':<12} {'last run':<21} {'age':>8} {'24h':>5} {'degr 24h':>9} "
                 f"{'degr 7d':>8} {'streak':>6} {'missed 7d':>9}")
    for name, stage in doc["stages"].items():
        lines.append(f"{name:<12} {stage['last_run'] or '-':<21} {_age(stage['age_s']):>8} "
                     f"{stage['runs_24h']:>5} {_ratio(stage['degraded_ratio_24h']):>9} "
                     f"{_ratio(stage['degraded_ratio_7d']):>8} {stage['degraded_streak']:>6} "
                     f"{stage['missed_runs']:>9}")
    lines.append("")
    trigger = doc["last_trigger"]
    lines.append("last trigger: " + (f"{trigger['symbol']} {trigger['direction'] or ''} at "
                                     f"{trigger['as_of']} ({trigger['stage']})"
                                     if trigger else "none in the last 7 days"))
    evaluation = doc["evaluation"]
    lines.append("evaluation: " + (f"{evaluation['kind']} {evaluation['as_of']} "
                                   f"[{evaluation['headline_feed']}]: {evaluation['verdict']}"
                                   if evaluation else "no snapshot yet"))
    check = doc["last_check"]
    lines.append("last check: " + (f"{check['as_of']} "
                                   + ("ok" if check["ok"] else
                                      "failing: " + ", ".join(check["failing"]))
                                   if check else "none yet"))
    keys = doc["keys"]
    providers = keys.get("providers", {})
    lines.append("keys: " + (", ".join(f"{p} {'yes' if ok else 'no'}"
                                        for p, ok in providers.items()) or "-")
                 + f" (set: {', '.join(keys['variables_set']) or 'none'})")
    return "\n".join(lines)
