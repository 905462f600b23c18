"""Replaying the stories at their own moments.

The services stamp `timezone.now()` (and `auto_now_add` fields call it too), so moving
Django's clock is enough for every row and timeline event of a step to carry the past
moment at which the story says it happened.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Make Django's clock read `moment` while the block runs. The clock stands still, so a
    service's own `now` and the rows it stamps agree to the microsecond; events of one step
    keep their order by id."""
    if timezone.is_naive(moment):
        raise ValueError("clock_at needs an aware datetime")
    real_now: Callable[[], datetime] = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real_now


def last_monday(today: date) -> date:
    """The latest Monday strictly before `today`, so a promise due that day is already late."""
    return today - timedelta(days=today.weekday() or 7)


@dataclass(frozen=True)
class Calendar:
    """Story moments relative to the real now, in the portal's local time."""

    now: datetime

    @property
    def today(self) -> date:
        return timezone.localtime(self.now).date()

    @property
    def monday(self) -> date:
        return last_monday(self.today)

    def on(self, day: date, hhmm: str) -> datetime:
        hours, minutes = (int(part) for part in hhmm.split(":"))
        return timezone.make_aware(datetime.combine(day, time(hours, minutes)))

    def days_ago(self, days: int, hhmm: str) -> datetime:
        return self.on(self.today - timedelta(days=days), hhmm)

    def monday_plus(self, days: int, hhmm: str) -> datetime:
        """A moment counted from last Monday (negative days go back before it)."""
        return self.on(self.monday + timedelta(days=days), hhmm)

    def working_day(self, day: date) -> date:
        """The day itself, or the Monday after when it falls on a weekend."""
        return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)

    def hours_ago(self, hours: float) -> datetime:
        return self.now - timedelta(hours=hours)
