"""``tb check``: the self-checks, as data. Each check is a pure function of what is committed
(and ``now``); the shell writes the report and alerts.

| check              | fails when                                                  | tier     |
|--------------------|-------------------------------------------------------------|----------|
| artifacts_valid    | any artifact does not validate (``tb validate``'s rules)     | critical |
| heartbeat          | a scheduled stage's last run is older than N periods + grace | critical |
| missed_runs        | more fires than ``TB_CHECK_MISSED_MAX`` went unrun (7 days)   | warning  |
| degraded_ratio_24h | a stage's degraded share over 24 h exceeds the budget         | warning  |
| degraded_ratio_7d  | a stage's degraded share over 7 days exceeds the budget       | critical |
| hit_rate_trend     | the daily trend row is missing, or the hit rate fell by more  | warning  |
|                    | than ``TB_CHECK_TREND_DROP`` below its trailing mean          |          |
| autocommit         | a stage ran in the last 24 h but committed nothing            | warning  |
| provider_requests  | a live provider is "ok" with no request recorded              | warning  |
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shared.contracts import ProviderState
from shared.contracts.monitor import AlertSeverity, CheckReport, CheckResult
from shared.errors import ArtifactError
from shared.monitor.health import DAY, MonitorSettings, StageHealth
from shared.monitor.series import RunPoint
from shared.store.csvfile import read_rows
from shared.store.layout import ARTIFACT_ROOTS, EvalPaths
from shared.store.validate import check_tree

__all__ = [
    "AUTOCOMMIT_STAGES",
    "artifacts_check",
    "autocommit_check",
    "build_report",
    "degraded_checks",
    "heartbeat_check",
    "missed_runs_check",
    "provider_requests_check",
    "trend_check",
]

logger = logging.getLogger(__name__)

AUTOCOMMIT_STAGES = {"tracer": "tracer", "universe": "universe", "eval-ingest": "eval-ingest",
                     "eval-weekly": "eval-weekly"}
"""Monitored stage → the ``--stage`` its workflow passes to autocommit.py."""
_ORDER = {AlertSeverity.INFO: 0, AlertSeverity.WARNING: 1, AlertSeverity.CRITICAL: 2}


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def artifacts_check(root: Path) -> CheckResult:
    """Every artifact validates (the rules of ``tb validate``)."""
    report = check_tree(root)
    problems = [str(p) for p in report.problems]
    return CheckResult(
        name="artifacts_valid", ok=not problems, severity=AlertSeverity.CRITICAL,
        summary=(f"{report.count} artifacts valid" if not problems else
                 f"{len(problems)} problems in {report.count} artifacts; first: {problems[0]}"
                 )[:500],
        details={"checked": report.count, "problems": problems[:50],
                 "accepted_quarantined": len(report.quarantined)})


def heartbeat_check(health: Mapping[str, StageHealth], settings: MonitorSettings
                    ) -> CheckResult:
    """Each scheduled stage that has run ran within ``N`` periods plus the grace."""
    stale = {}
    ages = {}
    for name, item in sorted(health.items()):
        ages[name] = item.age_s
        if item.period_s is None or item.age_s is None:
            continue
        limit = item.period_s * settings.heartbeat_periods + settings.cron_grace.total_seconds()
        if item.age_s > limit:
            stale[name] = {"age_s": item.age_s, "limit_s": limit}
    return CheckResult(
        name="heartbeat", ok=not stale, severity=AlertSeverity.CRITICAL,
        summary=("every scheduled stage ran recently" if not stale else
                 "stale: " + ", ".join(f"{k} ({v['age_s'] / 3600:.1f} h)"
                                        for k, v in stale.items()))[:500],
        details={"age_s": ages, "stale": stale})


def missed_runs_check(health: Mapping[str, StageHealth], settings: MonitorSettings
                      ) -> CheckResult:
    """Fires of each schedule over 7 days that no run covered (cron lateness tolerated)."""
    missed = {name: item.missed_runs for name, item in sorted(health.items())}
    over = {name: n for name, n in missed.items() if n > settings.missed_max}
    return CheckResult(
        name="missed_runs", ok=not over, severity=AlertSeverity.WARNING,
        summary=("no missed runs in 7 days" if not over else
                 "missed in 7 days: " + ", ".join(f"{k} {v}" for k, v in over.items()))[:500],
        details={"missed_runs_7d": missed, "grace_mins": settings.cron_grace.total_seconds() / 60,
                 "max": settings.missed_max,
                 "missed_times": {name: [t.strftime("%Y-%m-%dT%H:%M:%SZ")
                                         for t in item.missed_times[:24]]
                                  for name, item in sorted(health.items()) if item.missed_runs}})


def degraded_checks(health: Mapping[str, StageHealth], settings: MonitorSettings
                    ) -> list[CheckResult]:
    """The degraded share of runs per stage over 24 h and 7 days against the budget."""
    out = []
    for label, severity in (("24h", AlertSeverity.WARNING), ("7d", AlertSeverity.CRITICAL)):
        ratios = {name: getattr(item, f"degraded_ratio_{label}")
                  for name, item in sorted(health.items())}
        counts = {name: [getattr(item, f"degraded_{label}"), getattr(item, f"runs_{label}")]
                  for name, item in sorted(health.items())}
        over = {n: r for n, r in ratios.items() if r is not None and r > settings.degraded_budget}
        out.append(CheckResult(
            name=f"degraded_ratio_{label}", ok=not over, severity=severity,
            summary=(f"within the {_pct(settings.degraded_budget)} budget" if not over else
                     f"over the {_pct(settings.degraded_budget)} budget: " +
                     ", ".join(f"{k} {_pct(v)} ({counts[k][0]}/{counts[k][1]})"
                               for k, v in over.items()))[:500],
            details={"ratio": ratios, "degraded_and_runs": counts,
                     "budget": settings.degraded_budget}))
    return out


def _float(text: str | None) -> float | None:
    try:
        return None if not text else float(text)
    except ValueError:
        return None


def trend_check(root: Path, *, now: datetime, settings: MonitorSettings) -> CheckResult:
    """The daily trend row is there, and the hit rate has not fallen below its trailing
    window by more than the allowed drop (same headline feed, enough calls)."""
    try:
        rows = [r for r in read_rows(EvalPaths(root).trend) if r.get("kind") == "daily"]
    except ArtifactError as e:
        return CheckResult(name="hit_rate_trend", ok=False, severity=AlertSeverity.WARNING,
                           summary=str(e)[:500])
    rows = [r for r in rows if r.get("as_of", "") <= now.strftime("%Y-%m-%dT%H:%M:%SZ")]
    details: dict[str, Any] = {"window": settings.trend_window, "drop": settings.trend_drop,
                               "min_n": settings.trend_min_n, "daily_rows": len(rows)}
    if not rows:
        return CheckResult(name="hit_rate_trend", ok=True, severity=AlertSeverity.WARNING,
                           summary="no daily snapshot yet: nothing to compare", details=details)
    latest = rows[-1]
    age = now - datetime.fromisoformat(latest["as_of"].replace("Z", "+00:00"))
    details |= {"latest_as_of": latest["as_of"], "latest_age_h": round(age / timedelta(hours=1),
                                                                       2)}
    if age > DAY + settings.cron_grace:
        return CheckResult(name="hit_rate_trend", ok=False, severity=AlertSeverity.WARNING,
                           summary=f"no daily trend row since {latest['as_of']}",
                           details=details)
    feed = latest.get("feed", "")
    rate, n = _float(latest.get("win_rate")), int(latest.get("n") or 0)
    trailing = [r for r in rows[:-1] if r.get("feed", "") == feed][-settings.trend_window:]
    rates = [v for v in (_float(r.get("win_rate")) for r in trailing) if v is not None]
    details |= {"feed": feed, "win_rate": rate, "n": n, "trailing": rates}
    if rate is None or not rates or n < settings.trend_min_n:
        return CheckResult(name="hit_rate_trend", ok=True, severity=AlertSeverity.WARNING,
                           summary=f"not enough to compare (n = {n}, {len(rates)} earlier rows)",
                           details=details)
    mean = sum(rates) / len(rates)
    details["trailing_mean"] = mean
    ok = rate >= mean - settings.trend_drop
    return CheckResult(
        name="hit_rate_trend", ok=ok, severity=AlertSeverity.WARNING,
        summary=(f"hit rate {rate:.3f} (n = {n}) vs trailing mean {mean:.3f} of {len(rates)} "
                 f"days ({feed}); allowed drop {settings.trend_drop:.3f}"
                 + ("" if ok else ": regression"))[:500],
        details=details)


def _commit_log(root: Path) -> tuple[bool, list[dict[str, str]]]:
    present, rows = False, []
    for base in ARTIFACT_ROOTS:
        path = root / base / "autocommit_log.csv"
        if path.is_file():
            present = True
            try:
                rows += read_rows(path)
            except ArtifactError as e:
                logger.warning("autocommit log: %s", e)
    return present, rows


def autocommit_check(root: Path, series: Mapping[str, Sequence[RunPoint]], *,
                     now: datetime) -> CheckResult:
    """Each stage that ran in the last 24 h committed too (autocommit.py's records)."""
    present, rows = _commit_log(root)
    since = (now - DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    commits = {stage: sum(1 for r in rows if r.get("stage") == name and since < r.get("at", "")
                          <= stamp) for stage, name in AUTOCOMMIT_STAGES.items()}
    runs = {stage: sum(1 for p in series.get(stage, ()) if p.as_of > now - DAY)
            for stage in AUTOCOMMIT_STAGES}
    details = {"commits_24h": commits, "runs_24h": runs, "records": present}
    if not present:
        return CheckResult(name="autocommit", ok=True, severity=AlertSeverity.WARNING,
                           summary="no autocommit records yet", details=details)
    silent = [s for s in AUTOCOMMIT_STAGES if runs[s] and not commits[s]]
    return CheckResult(
        name="autocommit", ok=not silent, severity=AlertSeverity.WARNING,
        summary=("every stage that ran committed" if not silent else
                 "ran but committed nothing in 24 h: " + ", ".join(silent)),
        details=details)


def provider_requests_check(series: Mapping[str, Sequence[RunPoint]], *, now: datetime
                            ) -> CheckResult:
    """No manifest in the last 24 h lists a live provider as "ok" with no request sent."""
    suspects: list[str] = []
    for stage in ("tracer", "universe"):
        for point in series.get(stage, ()):
            if point.as_of <= now - DAY:
                continue
            suspects += [f"{stage} {point.run_id}: {s.provider}" for s in point.providers
                         if s.state is ProviderState.OK and s.requests == 0]
    return CheckResult(
        name="provider_requests", ok=not suspects, severity=AlertSeverity.WARNING,
        summary=("request counts consistent" if not suspects else
                 f"{len(suspects)} 'ok' providers with no request; first: {suspects[0]}")[:500],
        details={"suspects": suspects[:50]})


def build_report(checks: Sequence[CheckResult], *, now: datetime) -> CheckReport:
    """The report: ok when every check passed; exit 1 when a critical one failed."""
    failing = [c for c in checks if not c.ok]
    worst = max((c.severity for c in failing), key=_ORDER.__getitem__, default=None)
    return CheckReport(as_of=now, ok=not failing, checks=tuple(checks),
                       failing=tuple(c.name for c in failing), worst=worst,
                       exit_code=int(worst is AlertSeverity.CRITICAL))
