"""Decision time ("as-of"): the one policy for when a run decides, and how times are read.

Every command and workflow takes its as-of from here. The rules are pure functions of
``now`` (read once through :func:`utc_now`, the only call to the system clock), so a test
pins them with a fixed time:

- offline, no ``--as-of``: :func:`offline_as_of`, now floored to the hour, so every rerun
  within the hour decides at the same time and writes the same bytes;
- ``tb run --live``, no ``--as-of``: :func:`after_fetch_as_of`, the first whole second
  after the data was fetched (fetch first, then decide: :mod:`shared.pipeline.prefetch`),
  so everything fetched was available at the decision time;
- ``tb universe run --live`` and the universe workflow's plan: :func:`universe_live_as_of`,
  now floored to the minute plus :data:`UNIVERSE_LEAD`. Shards fetch before that time, so
  the news they bring counts, and every shard shares the one time.

Example:

    >>> from datetime import UTC, datetime
    >>> offline_as_of(datetime(2026, 11, 20, 12, 34, 56, tzinfo=UTC)).isoformat()
    '2026-11-20T12:00:00+00:00'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = [
    "EARLIEST",
    "LATEST",
    "UNIVERSE_LEAD",
    "after_fetch_as_of",
    "format_as_of",
    "offline_as_of",
    "parse_time",
    "universe_live_as_of",
    "utc_now",
]

UNIVERSE_LEAD = timedelta(minutes=15)
# Decision times outside this range are refused when read: lookback and horizon arithmetic
# (and pandas' nanosecond timestamps, which end in 2262) must never overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)


def utc_now() -> datetime:
    """The current time, aware UTC; the one read of the system clock."""
    return datetime.now(UTC)


def offline_as_of(now: datetime) -> datetime:
    """An offline run's default as-of: ``now`` floored to the hour."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def after_fetch_as_of(fetched_at: datetime) -> datetime:
    """A live tracer run's as-of: the first whole second after its fetch finished."""
    return fetched_at.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)


def universe_live_as_of(now: datetime) -> datetime:
    """A live universe run's (and the workflow plan's) as-of: ``now`` floored to the
    minute, plus :data:`UNIVERSE_LEAD`."""
    return now.astimezone(UTC).replace(second=0, microsecond=0) + UNIVERSE_LEAD


def format_as_of(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``, what ``--as-of`` is given on the command line."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Read an ISO-8601 time as aware UTC: ``Z`` or an offset, or naive (taken as UTC).

    Raises ValueError naming the problem when ``text`` is not such a time or lies outside
    ``EARLIEST..LATEST``."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO-8601 time (e.g. 2026-11-20T12:00:00Z)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00
        raise ValueError(_out_of_range(text)) from None
    if not EARLIEST <= parsed <= LATEST:
        raise ValueError(_out_of_range(text))
    return parsed


def _out_of_range(text: str) -> str:
    return (f"{text!r} is out of range (supported: {format_as_of(EARLIEST)} to "
            f"{format_as_of(LATEST)})")
