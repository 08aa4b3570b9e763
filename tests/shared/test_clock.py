"""``shared.clock``: every as-of rule, with ``now`` pinned, and the one time parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared import clock

NOW = datetime(2026, 3, 3, 17, 43, 27, 123456, tzinfo=UTC)


def test_utc_now_is_aware_utc() -> None:
    now = clock.utc_now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_offline_as_of_floors_now_to_the_hour() -> None:
    assert clock.offline_as_of(NOW) == datetime(2026, 3, 3, 17, tzinfo=UTC)


def test_offline_as_of_on_the_hour_is_unchanged() -> None:
    on_the_hour = datetime(2026, 3, 3, 17, tzinfo=UTC)
    assert clock.offline_as_of(on_the_hour) == on_the_hour


def test_after_fetch_as_of_is_the_first_whole_second_after_the_fetch() -> None:
    assert clock.after_fetch_as_of(NOW) == datetime(2026, 3, 3, 17, 43, 28, tzinfo=UTC)
    whole = NOW.replace(microsecond=0)
    assert clock.after_fetch_as_of(whole) == whole + timedelta(seconds=1)


def test_universe_live_as_of_is_the_minute_plus_fifteen() -> None:
    assert clock.universe_live_as_of(NOW) == datetime(2026, 3, 3, 17, 58, tzinfo=UTC)
    assert clock.UNIVERSE_LEAD == timedelta(minutes=15)


def test_universe_live_as_of_crosses_the_hour_and_day() -> None:
    late = datetime(2026, 12, 31, 23, 50, 59, tzinfo=UTC)
    assert clock.universe_live_as_of(late) == datetime(2027, 1, 1, 0, 5, tzinfo=UTC)


def test_rules_read_a_non_utc_now_as_the_same_instant() -> None:
    eastern = NOW.astimezone(timezone(timedelta(hours=-5)))
    assert clock.offline_as_of(eastern) == clock.offline_as_of(NOW)
    assert clock.universe_live_as_of(eastern) == clock.universe_live_as_of(NOW)
    assert clock.offline_as_of(eastern).tzinfo == UTC


def test_format_as_of_is_seconds_with_z() -> None:
    assert clock.format_as_of(NOW) == "2026-03-03T17:43:27Z"


@pytest.mark.parametrize(
    "text",
    ["2026-03-03T17:00:00Z", "2026-03-03T17:00:00", "2026-03-03T17:00:00+00:00",
     "2026-03-03T18:00:00+01:00", "2026-03-03T12:00:00-05:00"],
)
def test_parse_time_naive_z_and_offsets_are_the_same_instant(text: str) -> None:
    parsed = clock.parse_time(text)
    assert parsed == datetime(2026, 3, 3, 17, tzinfo=UTC)
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize(
    ("text", "message"),
    [("yesterday", "not an ISO-8601 time"), ("2026-13-01T00:00:00Z", "not an ISO-8601 time"),
     ("", "not an ISO-8601 time"),
     ("9999-12-31T23:59:59Z", "out of range"), ("9999-12-31T23:59:59-05:00", "out of range"),
     ("0001-01-01T00:00:00+01:00", "out of range"), ("1969-12-31T23:59:59Z", "out of range"),
     ("2200-01-01T00:00:00Z", "out of range")],
)
def test_parse_time_refuses_garbage_and_out_of_range(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        clock.parse_time(text)


def test_parse_time_accepts_the_bounds() -> None:
    assert clock.parse_time("1970-01-01T00:00:00Z") == clock.EARLIEST
    assert clock.parse_time("2199-12-31T23:59:59Z") == clock.LATEST
