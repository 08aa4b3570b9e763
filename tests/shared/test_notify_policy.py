"""config/notify.yaml: a quiet hour sends nothing; one quiet run a day sends a heartbeat."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.errors import ConfigError
from shared.notify import NotifyPolicy, heartbeat_line, load_notify_policy, plan_delivery

QUIET_HOUR = datetime(2026, 3, 2, 13, tzinfo=UTC)
HEARTBEAT_HOUR = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_the_shipped_policy_is_triggers_with_a_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TB_NOTIFY", raising=False)
    assert load_notify_policy() == NotifyPolicy(notify="triggers", heartbeat_hour_utc=8)


@pytest.mark.parametrize(("notify", "triggered", "as_of", "plan"), [
    ("triggers", True, QUIET_HOUR, "digest"),
    ("triggers", False, QUIET_HOUR, "none"),
    ("triggers", False, HEARTBEAT_HOUR, "heartbeat"),
    ("always", False, QUIET_HOUR, "digest"),
    ("never", True, HEARTBEAT_HOUR, "none"),
])
def test_plan(notify: str, triggered: bool, as_of: datetime, plan: str) -> None:
    policy = NotifyPolicy.model_validate({"notify": notify})
    assert plan_delivery(policy, triggered=triggered, as_of=as_of) == plan


def test_no_heartbeat_when_switched_off() -> None:
    policy = NotifyPolicy(heartbeat_hour_utc=None)
    assert plan_delivery(policy, triggered=False, as_of=HEARTBEAT_HOUR) == "none"


def test_env_override_and_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TB_NOTIFY", "always")
    assert load_notify_policy().notify == "always"
    monkeypatch.setenv("TB_NOTIFY", "sometimes")
    with pytest.raises(ConfigError, match="TB_NOTIFY"):
        load_notify_policy()


def test_heartbeat_line_is_escaped_and_names_the_trace() -> None:
    line = heartbeat_line("BTC-USD", "no call (the divergence is below the threshold)",
                          HEARTBEAT_HOUR, "0123456789abcdef")
    assert line == ("💓 *Tracer Bullet* BTC\\-USD: no call \\(the divergence is below the "
                    "threshold\\) at 2026\\-03\\-02 08:00 UTC \\(daily heartbeat; quiet runs "
                    "send nothing\\) trace `0123456789abcdef`")
