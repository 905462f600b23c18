"""Working time: when a department is open, and the moment N working hours after another.

Every deadline Steward watches (reply targets, the silent-case period, the confirmation window,
the escalation delays) is counted here, in the calendar of the department that owns the work:
a message written on Friday at 18:00 to a desk open Monday to Friday 9:00–18:00 is due on
Monday, not on Saturday. A round-the-clock calendar counts every hour of every day.

Working periods are built from the calendar's own local dates and wall-clock hours (so 9:00 stays
9:00 across a daylight-saving change) and then measured in UTC, where subtracting two moments
gives the real time between them: Python subtracts two datetimes sharing one ZoneInfo as wall
clocks, which is an hour wrong across a change.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays

if TYPE_CHECKING:
    from people.models import Department

# A calendar whose every day is a holiday or a day off never opens; searching further than this
# for an opening is a set-up mistake, said loudly rather than looped on.
_LONGEST_SEARCH_DAYS = 3 * 366


@cache
def _public_holidays(country: str, subdivision: str) -> holidays.HolidayBase:
    # Built once per place; the object adds each year's dates the first time a date in it is asked.
    return holidays.country_holidays(country, subdiv=subdivision or None)


@dataclass(frozen=True)
class WorkingCalendar:
    """Opening hours on working days, in one time zone, closed on the place's public holidays."""

    time_zone: str = "Europe/Paris"
    working_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO weekdays: 1 is Monday
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    holiday_country: str = ""
    holiday_subdivision: str = ""
    round_the_clock: bool = False

    @classmethod
    def of_department(cls, department: "Department") -> "WorkingCalendar":
        if department.round_the_clock:
            return ROUND_THE_CLOCK
        return cls(
            time_zone=department.time_zone,
            working_days=frozenset(int(day) for day in department.working_days),
            opens=department.opens_at,
            closes=department.closes_at,
            holiday_country=department.holiday_country,
            holiday_subdivision=department.holiday_subdivision,
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def working_day(self) -> timedelta:
        """The working hours of one working day: what "N working days" multiplies."""
        if self.round_the_clock:
            return timedelta(days=1)
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def is_working_date(self, day: date) -> bool:
        if day.isoweekday() not in self.working_days:
            return False
        return not (self.holiday_country and day in _public_holidays(self.holiday_country, self.holiday_subdivision))

    def period_on(self, day: date) -> tuple[datetime, datetime]:
        """The working period of one local date, as UTC moments."""
        zone = self.zone
        start = datetime.combine(day, self.opens, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day, self.closes, tzinfo=zone).astimezone(UTC)
        return start, end

    def periods(self, moment: datetime, *, backwards: bool = False) -> Iterator[tuple[datetime, datetime]]:
        """Working periods in time order from the one around `moment` (or in reverse order, back
        from it), as UTC moments; periods wholly on the wrong side of `moment` are skipped."""
        moment = moment.astimezone(UTC)
        day = moment.astimezone(self.zone).date()
        step = timedelta(days=-1 if backwards else 1)
        for _ in range(_LONGEST_SEARCH_DAYS):
            if self.is_working_date(day):
                start, end = self.period_on(day)
                if (start < moment) if backwards else (end > moment):
                    yield start, end
            day += step
        raise ValueError(f"No working day within {_LONGEST_SEARCH_DAYS} days of {moment:%Y-%m-%d}: check the calendar.")


ROUND_THE_CLOCK = WorkingCalendar(round_the_clock=True)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Working time is counted between aware datetimes only.")


def working_time_after(calendar: WorkingCalendar, start: datetime, duration: timedelta) -> datetime:
    """The moment `duration` of working time after `start`.

    Time outside working periods does not count; a duration that ends exactly at closing time
    ends there (not at the next opening). A zero duration gives the moment working time resumes.
    """
    _require_aware(start)
    if duration < timedelta(0):
        raise ValueError("A working-time duration cannot be negative.")
    if calendar.round_the_clock:
        return (start.astimezone(UTC) + duration).astimezone(start.tzinfo)
    left = duration
    for period_start, period_end in calendar.periods(start):
        begin = max(period_start, start.astimezone(UTC))
        if begin + left <= period_end:
            return (begin + left).astimezone(start.tzinfo)
        left -= period_end - begin
    raise AssertionError("unreachable: periods() ends by raising")  # pragma: no cover


def working_time_before(calendar: WorkingCalendar, end: datetime, duration: timedelta) -> datetime:
    """The latest moment that is `duration` of working time before `end`: the inverse of
    working_time_after, so a deadline counted from any moment up to it has passed by `end`."""
    _require_aware(end)
    if duration < timedelta(0):
        raise ValueError("A working-time duration cannot be negative.")
    if calendar.round_the_clock:
        return (end.astimezone(UTC) - duration).astimezone(end.tzinfo)
    left = duration
    for period_start, period_end in calendar.periods(end, backwards=True):
        finish = min(period_end, end.astimezone(UTC))
        if finish - left >= period_start:
            return (finish - left).astimezone(end.tzinfo)
        left -= finish - period_start
    raise AssertionError("unreachable: periods() ends by raising")  # pragma: no cover


def is_working_time(calendar: WorkingCalendar, moment: datetime) -> bool:
    """Whether `moment` falls inside a working period (opening time in, closing time out)."""
    return next_working_moment(calendar, moment) == moment


def next_working_moment(calendar: WorkingCalendar, moment: datetime) -> datetime:
    """When working time resumes: `moment` itself inside working time, else the next opening."""
    return working_time_after(calendar, moment, timedelta(0))


def working_days(calendar: WorkingCalendar, days: int) -> timedelta:
    """`days` working days as working time: that many of the calendar's working days' hours."""
    return calendar.working_day() * days
