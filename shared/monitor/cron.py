"""Cron lines as GitHub Actions reads them (five fields, UTC), and the times they fire.

Supported: ``*``, numbers, lists (``1,15``), ranges (``1-5``) and steps (``*/15``,
``0-30/10``), weekday 0-7 (0 and 7 are Sunday). Day-of-month and day-of-week follow cron:
when both are restricted, a day matching either fires. Names (``MON``, ``JAN``) are not
supported (the workflows use numbers); they raise ValueError naming the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["Cron"]

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
           ("day of week", 0, 7))


def _values(text: str, name: str, lo: int, hi: int) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if body == "*":
                start, stop = lo, hi
            elif "-" in body:
                first, last = body.split("-", 1)
                start, stop = int(first), int(last)
            else:
                start = int(body)
                stop = hi if step_text else start
        except ValueError:
            raise ValueError(f"cron {name}: cannot read {part!r}") from None
        if step < 1 or not lo <= start <= stop <= hi:
            raise ValueError(f"cron {name}: {part!r} is outside {lo}-{hi}")
        out.update(range(start, stop + 1, step))
    return frozenset(out)


@dataclass(frozen=True)
class Cron:
    """One parsed cron line."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Cron:
        """Parse ``"17 * * * *"``; ValueError names the field that does not read."""
        parts = text.split()
        if len(parts) != 5:
            raise ValueError(f"cron {text!r}: expected 5 fields, found {len(parts)}")
        values = [_values(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in values[4])
        return cls(text, values[0], values[1], values[2], values[3], weekdays,
                   parts[2] == "*", parts[4] == "*")

    def _day_matches(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = day.isoweekday() % 7 in self.weekdays
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return in_week
        if self.any_weekday:
            return in_month
        return in_month or in_week

    def fires(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Every time in ``(start, end]`` the line fires, in order (UTC, aware)."""
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        while day <= end:
            if self._day_matches(day):
                for hour in hours:
                    for minute in minutes:
                        t = day.replace(hour=hour, minute=minute)
                        if start < t <= end:
                            yield t
            day += timedelta(days=1)

    def period(self) -> timedelta:
        """The longest gap between two fires over a fortnight (how late "late" is)."""
        anchor = datetime(2024, 1, 1, tzinfo=UTC)
        times = list(self.fires(anchor, anchor + timedelta(days=15)))
        if len(times) < 2:
            return timedelta(days=31)
        return max(b - a for a, b in zip(times, times[1:], strict=False))
