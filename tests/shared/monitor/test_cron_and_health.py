"""Cron lines, missed-run detection tolerant to Actions lateness, degraded ratios."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contracts.monitor import AlertSeverity
from shared.errors import ConfigError
from shared.monitor.cron import Cron
from shared.monitor.health import MonitorSettings, missed_fires, stage_health
from shared.monitor.schedules import Schedule
from shared.monitor.series import RunPoint

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
HOURLY = Schedule("tracer", "tracer.yml", (Cron.parse("17 * * * *"),))
SETTINGS = MonitorSettings()


def test_cron_fires_hourly_daily_and_weekly() -> None:
    assert len(list(Cron.parse("17 * * * *").fires(T0, T0 + timedelta(days=1)))) == 24
    daily = list(Cron.parse("23 6 * * *").fires(T0, T0 + timedelta(days=3)))
    assert daily == [T0 + timedelta(days=d, hours=6, minutes=23) for d in range(3)]
    weekly = list(Cron.parse("47 7 * * 1").fires(T0 - timedelta(days=1), T0 + timedelta(days=14)))
    assert [t.isoweekday() for t in weekly] == [1, 1] and weekly[0] == T0.replace(hour=7,
                                                                                  minute=47)
    assert Cron.parse("*/15 0-1 * * 0,7").period() == timedelta(days=7) - timedelta(minutes=105)


@pytest.mark.parametrize("bad", ["* * * *", "61 * * * *", "x * * * *", "1-0 * * * *",
                                 "*/0 * * * *", "0 0 * * MON"])
def test_cron_bad_line_names_the_problem(bad: str) -> None:
    with pytest.raises(ValueError, match="cron"):
        Cron.parse(bad)


def _runs(times: list[datetime], degraded: set[int] = frozenset()) -> list[RunPoint]:  # type: ignore[assignment]
    return [RunPoint("tracer", t, k in degraded, f"{k:016x}") for k, t in enumerate(times)]


def test_late_and_floored_runs_are_not_missed() -> None:
    # Live runs start 0-39 minutes late (hourly: lead + grace stay under one period);
    # offline ones floor their as-of to the hour, before the :17 fire.
    late = [T0 + timedelta(hours=h, minutes=17 + (h * 37) % 40) for h in range(48)]
    floored = [T0 + timedelta(hours=h) for h in range(48)]
    now = T0 + timedelta(hours=48, minutes=5)  # the 48:17 fire is not due yet
    for times in (late, floored):
        assert missed_fires(HOURLY, _runs(times), now=now, window=timedelta(days=7),
                            settings=SETTINGS) == []


def test_daily_run_late_by_80_minutes_is_not_missed_but_a_skipped_day_is() -> None:
    daily = Schedule("eval-ingest", "eval.yml", (Cron.parse("23 6 * * *"),))
    times = [T0 + timedelta(days=d, hours=6, minutes=23 + 80 * (d % 2)) for d in range(10)
             if d != 4]
    now = T0 + timedelta(days=10)
    missed = missed_fires(daily, _runs(times), now=now, window=timedelta(days=14),
                          settings=SETTINGS)
    assert missed == [T0 + timedelta(days=4, hours=6, minutes=23)]


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(min_value=1, max_value=46), max_size=10),
       st.integers(min_value=0, max_value=39))
def test_planted_gaps_are_all_found(dropped: set[int], delay_mins: int) -> None:
    times = [T0 + timedelta(hours=h, minutes=17 + delay_mins) for h in range(48)
             if h not in dropped]
    now = T0 + timedelta(hours=48, minutes=5)
    missed = missed_fires(HOURLY, _runs(times), now=now, window=timedelta(days=7),
                          settings=SETTINGS)
    assert len(missed) == len(dropped)


def test_stage_health_ratios_streak_and_age() -> None:
    now = T0 + timedelta(days=2)
    times = [T0 + timedelta(hours=h, minutes=17) for h in range(48)]
    health = stage_health("tracer", _runs(times, degraded={10, 46, 47}), HOURLY, now=now,
                          settings=SETTINGS)
    assert health.last_run == times[-1] and health.age_s == 43 * 60
    assert health.runs_24h == 24 and health.degraded_24h == 2
    assert health.degraded_ratio_24h == pytest.approx(2 / 24)
    assert health.degraded_ratio_7d == pytest.approx(3 / 48)
    assert health.degraded_streak == 2 and health.missed_runs == 0


def test_settings_from_env_and_bad_values() -> None:
    tuned = MonitorSettings.from_env({"TB_DEGRADED_BUDGET": "0.05",
                                      "TB_CHECK_CRON_GRACE_MINS": "30"})
    assert tuned.degraded_budget == 0.05 and tuned.cron_grace == timedelta(minutes=30)
    with pytest.raises(ValueError, match="TB_CHECK_TREND_DROP"):
        MonitorSettings.from_env({"TB_CHECK_TREND_DROP": "a lot"})


def test_alert_routes_read_the_tiers_and_leave_other_keys(tmp_path: Path) -> None:
    from shared.monitor.alerts import load_routes

    path = tmp_path / "alerts.yaml"
    path.write_text("tiers:\n  critical: [telegram]\nalerts:\n  - bot: sizing\n"
                    "    severity: page\n")
    routes = load_routes(path)
    assert routes.tiers == {AlertSeverity.CRITICAL: ("telegram",)}
    path.write_text("tiers:\n  critical: [pager]\n")
    with pytest.raises(ConfigError, match="critical"):
        load_routes(path)
    assert load_routes(ROOT / "config" / "alerts.yaml").tiers[AlertSeverity.INFO] == (
        "summary",)
