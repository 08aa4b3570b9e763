"""``tb paper replay``, ``tb paper run``, ``tb drill`` and the paper status, wired to the
configured pipeline (see :mod:`shared.execution`). Paper results predict nothing live."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shared.contracts.paper import DrillResult
from shared.errors import ArtifactError
from shared.execution.incidents import EXPECTED_HALT, DrillScenario, Incident
from shared.execution.ledger import read_jsonl
from shared.execution.risk import RiskConfig, load_risk_config, load_state
from shared.execution.session import replay, replay_run_id, write_json
from shared.notify import send_parts, telegram_configured
from shared.pipeline import SymbolJob
from shared.pipeline.build import build_offline_sources
from shared.pipeline.settings import load_pipeline_settings
from shared.reason_codes import default_registry
from shared.signal.engine import SignalEngine

__all__ = ["DRILL_DIR", "PAPER_DIR", "paper_status", "run_drill", "run_replay"]

PAPER_DIR = Path("runs") / "paper"
DRILL_DIR = Path("runs") / "drills"


def _job(symbol: str | None, engine: SignalEngine, settings: Any) -> SymbolJob:
    return SymbolJob(symbol=symbol or settings.tracer.symbol, signal=settings.signal,
                     engine=engine, history_hours=settings.tracer.history_hours,
                     max_bar_age_hours=settings.tracer.max_bar_age_hours)


def run_replay(*, feed: str, seed: int, start: datetime, end: datetime, symbol: str | None,
               artifacts_dir: Path, risk_config: Path | None,
               incident: Incident | None = None, ledger_dir: Path | None = None
               ) -> dict[str, Any]:
    """Replay the paper path over ``[start, end]`` on ``feed``; the ledger goes to
    ``artifacts_dir/runs/paper/`` (or ``ledger_dir``)."""
    settings = load_pipeline_settings()
    config: RiskConfig = load_risk_config(risk_config)
    sources = build_offline_sources(feed, seed=seed, config=settings)
    registry = default_registry()
    engine = SignalEngine(settings.signal, settings.bots, registry)
    job = _job(symbol, engine, settings)
    run_id = replay_run_id(feed=sources.feed_name, seed=seed, symbol=job.symbol,
                           start=start.isoformat(), end=end.isoformat(),
                           config=config.model_dump_json(), engine=engine.config_digest,
                           incident=incident.scenario.value if incident else "")
    directory = ledger_dir or artifacts_dir / PAPER_DIR
    summary = replay(job, sources, start=start, end=end, config=config, registry=registry,
                     ledger_dir=directory, run_id=run_id, incident=incident)
    return summary | {"feed": sources.feed_name, "seed": seed, "symbol": job.symbol,
                      "start": start.isoformat(), "end": end.isoformat(),
                      "ledger_dir": str(directory)}


def run_drill(scenario: DrillScenario, *, seed: int, start: datetime, days: int,
              artifacts_dir: Path, risk_config: Path | None) -> dict[str, Any]:
    """Replay a recorded incident against the paper path; the drill passes when the expected
    kill-switch trips, nothing is sent after it and the alert is recorded (and delivered to
    Telegram when it is configured). Writes ``runs/drills/<scenario>.json``."""
    end = start + timedelta(days=days)
    at = _strike_time(seed=seed, start=start, end=end, artifacts_dir=artifacts_dir,
                      risk_config=risk_config)
    ledger = artifacts_dir / DRILL_DIR / scenario.value / "paper"
    summary = run_replay(feed="synthetic", seed=seed, start=start, end=end, symbol=None,
                         artifacts_dir=artifacts_dir, risk_config=risk_config,
                         incident=Incident(scenario, at), ledger_dir=ledger)
    expected = EXPECTED_HALT[scenario]
    alerts = read_jsonl(ledger / "alerts.jsonl")
    delivery = "not_configured"
    if alerts and telegram_configured():
        delivery = send_parts((f"[drill {scenario.value}] {alerts[0]['message']}",))
    refused_after = int(summary["refused"].get("RISK_HALTED", 0))
    passed = (summary["halted"] and summary["halt_reason"] == expected
              and summary["orders_after_halt"] == 0 and bool(alerts))
    result = {
        "scenario": scenario.value,
        "incident_at": at.isoformat(), "start": start.isoformat(), "end": end.isoformat(),
        "seed": seed, "expected_halt": expected, "halt_reason": summary["halt_reason"],
        "halted": summary["halted"],
        "orders_before_halt": summary["orders"] - summary["orders_after_halt"],
        "orders_after_halt": summary["orders_after_halt"],
        "intents_refused_after_halt": refused_after, "alerts": len(alerts),
        "alert_delivery": delivery, "passed": passed,
        "ledger_dir": str(ledger.relative_to(artifacts_dir)),
    }
    record = DrillResult.model_validate_json(json.dumps(result))
    write_json(artifacts_dir / DRILL_DIR / f"{scenario.value}.json", record)
    return record.model_dump(mode="json")


def _strike_time(*, seed: int, start: datetime, end: datetime, artifacts_dir: Path,
                 risk_config: Path | None) -> datetime:
    """When the incident strikes: two hours after the undisturbed replay's first entry, so a
    position is open and its exit is due after the halt (the drill then shows that intent
    refused, not sent); 60 % into the period if the replay never trades."""
    baseline = artifacts_dir / DRILL_DIR / "baseline" / "paper"
    run_replay(feed="synthetic", seed=seed, start=start, end=end, symbol=None,
               artifacts_dir=artifacts_dir, risk_config=risk_config, ledger_dir=baseline)
    buys = [f for f in read_jsonl(baseline / "fills.jsonl") if f.get("side") == "buy"]
    if buys:
        return datetime.fromisoformat(str(buys[0]["ts"])) + timedelta(hours=2)
    return start + timedelta(hours=int((end - start).total_seconds() // 3600 * 0.6))


def paper_status(root: Path) -> dict[str, Any]:
    """The paper trader's state for ``tb paper status`` and ``tb status``: trading state,
    halt reason and since when, and the last equity line (paper, not live)."""
    directory = root / PAPER_DIR
    state = load_state(directory)
    equity_file = directory / "equity.csv"
    last = None
    as_of, equity = last_equity(equity_file)
    if as_of is not None:
        last = {"as_of": as_of.isoformat(), "equity": equity}
    return {"state": state.state.value, "halt_reason": state.reason_code or None,
            "detail": state.detail or None, "since": state.since or None,
            "last_equity": last, "note": "paper trading; says nothing about live results"}


def last_equity(path: Path) -> tuple[datetime | None, float | None]:
    """The last row of ``equity.csv`` (time, equity), or (None, None) when there is none;
    a corrupt file is an ArtifactError."""
    if not path.is_file():
        return None, None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) < 2:
            return None, None
        fields = lines[-1].split(",")
        return datetime.fromisoformat(fields[0]), float(fields[3])
    except (OSError, ValueError, IndexError) as e:
        raise ArtifactError(f"{path}: unreadable last row: {e}") from e


def status_line(root: Path) -> str:
    """One line for the digest: the paper state, never a claim about live results."""
    s = paper_status(root)
    if s["state"] == "halted":
        return f"Paper trading halted ({s['halt_reason']}) until re-armed."
    return f"Paper trading {s['state']} (paper only, not live results)."
