"""people/working_time.py: the moment N working hours after T, at the edges of the working week,
on public holidays, across daylight-saving changes and in another time zone."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from people.models import Department
from people.working_time import (
    ROUND_THE_CLOCK,
    WorkingCalendar,
    is_working_time,
    next_working_moment,
    working_days,
    working_time_after,
    working_time_before,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
# The demo's default: Monday to Friday, 9:00–18:00 in Paris, closed on French public holidays.
FRANCE = WorkingCalendar.of_department(Department())
NEW_YORK_DESK = WorkingCalendar(time_zone="America/New_York", holiday_country="US", holiday_subdivision="NY")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def test_the_default_calendar_is_the_paris_working_week_with_french_holidays():
    assert (
        WorkingCalendar(
            time_zone="Europe/Paris",
            working_days=frozenset({1, 2, 3, 4, 5}),
            opens=time(9),
            closes=time(18),
            holiday_country="FR",
        )
        == FRANCE
    )


# --- the end of the working week: Friday 13 March 2026 ------------------------------------------------


def test_a_message_on_friday_at_six_is_due_on_wednesday_not_saturday():
    # The measured bug: 24 hours from Friday 18:00 gave Saturday 18:00. 24 working hours are
    # Monday (9), Tuesday (9) and 6 hours of Wednesday.
    assert working_time_after(FRANCE, paris(2026, 3, 13, 18, 0), hours(24)) == paris(2026, 3, 18, 15, 0)


def test_friday_one_minute_before_closing_counts_that_minute():
    assert working_time_after(FRANCE, paris(2026, 3, 13, 17, 59), hours(1)) == paris(2026, 3, 16, 9, 59)


def test_friday_one_minute_after_closing_counts_from_monday_morning():
    assert working_time_after(FRANCE, paris(2026, 3, 13, 18, 1), hours(1)) == paris(2026, 3, 16, 10, 0)


def test_a_duration_that_ends_at_closing_time_ends_there():
    assert working_time_after(FRANCE, paris(2026, 3, 13, 17, 0), hours(1)) == paris(2026, 3, 13, 18, 0)


def test_a_night_does_not_count():
    assert working_time_after(FRANCE, paris(2026, 3, 10, 17, 0), hours(2)) == paris(2026, 3, 11, 10, 0)
    assert working_time_after(FRANCE, paris(2026, 3, 11, 3, 0), hours(2)) == paris(2026, 3, 11, 11, 0)


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (paris(2026, 3, 13, 17, 59), True),
        (paris(2026, 3, 13, 18, 0), False),  # closing time is outside
        (paris(2026, 3, 13, 18, 1), False),
        (paris(2026, 3, 14, 12, 0), False),  # Saturday
        (paris(2026, 3, 16, 8, 59), False),
        (paris(2026, 3, 16, 9, 0), True),  # opening time is inside
        (paris(2026, 7, 14, 11, 0), False),  # Bastille Day, a Tuesday
    ],
)
def test_is_working_time(moment, inside):
    assert is_working_time(FRANCE, moment) is inside


def test_working_time_resumes_at_the_next_opening_or_right_away():
    assert next_working_moment(FRANCE, paris(2026, 3, 13, 18, 1)) == paris(2026, 3, 16, 9, 0)
    assert next_working_moment(FRANCE, paris(2026, 3, 13, 18, 0)) == paris(2026, 3, 16, 9, 0)
    assert next_working_moment(FRANCE, paris(2026, 3, 12, 11, 30)) == paris(2026, 3, 12, 11, 30)
    assert next_working_moment(FRANCE, paris(2026, 3, 12, 7, 0)) == paris(2026, 3, 12, 9, 0)


# --- public holidays ---------------------------------------------------------------------------------------


def test_bastille_day_is_skipped():
    # Monday 13 July 2026 17:00 + 2 working hours: 1 on Monday, none on Tuesday 14 July, 1 on Wednesday.
    assert working_time_after(FRANCE, paris(2026, 7, 13, 17, 0), hours(2)) == paris(2026, 7, 15, 10, 0)


def test_christmas_day_is_skipped():
    # Thursday 24 December 2026 17:00; Friday 25 is Christmas Day, then the weekend.
    assert working_time_after(FRANCE, paris(2026, 12, 24, 17, 0), hours(2)) == paris(2026, 12, 28, 10, 0)


def test_without_a_holiday_country_public_holidays_are_worked():
    works_holidays = WorkingCalendar(holiday_country="")
    assert working_time_after(works_holidays, paris(2026, 7, 13, 17, 0), hours(2)) == paris(2026, 7, 14, 10, 0)


def test_a_region_adds_its_own_holidays():
    # Good Friday (3 April 2026) is a holiday in Moselle only; Easter Monday everywhere in France.
    moselle = WorkingCalendar(holiday_country="FR", holiday_subdivision="57")
    assert working_time_after(FRANCE, paris(2026, 4, 2, 17, 0), hours(2)) == paris(2026, 4, 3, 10, 0)
    assert working_time_after(moselle, paris(2026, 4, 2, 17, 0), hours(2)) == paris(2026, 4, 7, 10, 0)


# --- daylight saving time in Paris: 29 March and 25 October 2026 ------------------------------------------


def test_opening_hours_follow_the_wall_clock_across_the_spring_change():
    # Friday 27 March 17:00 CET + 2 working hours: Monday 30 March 10:00 CEST, i.e. 08:00 UTC.
    due = working_time_after(FRANCE, paris(2026, 3, 27, 17, 0), hours(2))
    assert due == paris(2026, 3, 30, 10, 0)
    assert due.astimezone(ZoneInfo("UTC")).hour == 8


def test_opening_hours_follow_the_wall_clock_across_the_autumn_change():
    due = working_time_after(FRANCE, paris(2026, 10, 23, 17, 0), hours(2))
    assert due == paris(2026, 10, 26, 10, 0)
    assert due.astimezone(ZoneInfo("UTC")).hour == 9


def test_a_period_that_spans_the_change_holds_real_hours():
    # A night desk open 01:00–05:00 every day: on 29 March 2026 that is 3 real hours (02:00 does not exist),
    # on 25 October 5 real hours (02:00–03:00 happens twice).
    night = WorkingCalendar(working_days=frozenset(range(1, 8)), opens=time(1), closes=time(5))
    assert working_time_after(night, paris(2026, 3, 29, 1, 0), hours(3)) == paris(2026, 3, 29, 5, 0)
    assert working_time_after(night, paris(2026, 3, 29, 1, 0), hours(4)) == paris(2026, 3, 30, 2, 0)
    assert working_time_after(night, paris(2026, 10, 25, 1, 0), hours(4)) == paris(2026, 10, 25, 4, 0)


def test_round_the_clock_counts_real_hours_across_the_change():
    assert working_time_after(ROUND_THE_CLOCK, paris(2026, 3, 28, 12, 0), hours(24)) == paris(2026, 3, 29, 13, 0)
    assert working_time_after(ROUND_THE_CLOCK, paris(2026, 10, 24, 12, 0), hours(24)) == paris(2026, 10, 25, 11, 0)


# --- a department in New York ---------------------------------------------------------------------------------


def test_a_new_york_desk_counts_its_own_hours():
    # Monday 16 March 2026, 10:00 in Paris is 05:00 in New York: the desk opens at 09:00 there.
    assert working_time_after(NEW_YORK_DESK, paris(2026, 3, 16, 10, 0), hours(1)) == datetime(
        2026, 3, 16, 10, 0, tzinfo=NEW_YORK
    )
    # Friday 13 March, 23:30 in Paris is 18:30 in New York: closed until Monday.
    assert working_time_after(NEW_YORK_DESK, paris(2026, 3, 13, 23, 30), hours(1)) == datetime(
        2026, 3, 16, 10, 0, tzinfo=NEW_YORK
    )


def test_a_new_york_desk_follows_american_clocks_and_holidays():
    # The US moved to summer time on 8 March 2026, Paris only on 29 March: 9:00 in New York is 14:00 in Paris.
    assert next_working_moment(NEW_YORK_DESK, paris(2026, 3, 9, 12, 0)) == paris(2026, 3, 9, 14, 0)
    # Independence Day falls on a Saturday in 2026: observed on Friday 3 July. Bastille Day is worked there.
    assert working_time_after(NEW_YORK_DESK, datetime(2026, 7, 2, 17, 0, tzinfo=NEW_YORK), hours(2)) == datetime(
        2026, 7, 6, 10, 0, tzinfo=NEW_YORK
    )
    assert is_working_time(NEW_YORK_DESK, datetime(2026, 7, 14, 11, 0, tzinfo=NEW_YORK))


# --- round the clock, working days, the inverse, refusals --------------------------------------------------


def test_round_the_clock_counts_nights_and_weekends():
    assert working_time_after(ROUND_THE_CLOCK, paris(2026, 3, 13, 18, 0), hours(24)) == paris(2026, 3, 14, 18, 0)
    assert is_working_time(ROUND_THE_CLOCK, paris(2026, 12, 25, 3, 0))


def test_a_department_marked_round_the_clock_gets_the_round_the_clock_calendar():
    assert WorkingCalendar.of_department(Department(round_the_clock=True, time_zone="Asia/Tokyo")) == ROUND_THE_CLOCK


def test_working_days_are_the_hours_of_that_many_working_days():
    assert working_days(FRANCE, 5) == hours(45)
    assert working_days(ROUND_THE_CLOCK, 5) == hours(120)
    # Five working days from Monday 10:00 end the next Monday at 10:00.
    assert working_time_after(FRANCE, paris(2026, 3, 9, 10, 0), working_days(FRANCE, 5)) == paris(2026, 3, 16, 10, 0)


@pytest.mark.parametrize(
    "start",
    [paris(2026, 3, 13, 17, 59), paris(2026, 3, 27, 12, 0), paris(2026, 7, 13, 10, 0), paris(2026, 12, 24, 9, 0)],
)
@pytest.mark.parametrize("duration", [hours(1), hours(9), hours(45)])
def test_working_time_before_is_the_latest_start_whose_deadline_has_passed(start, duration):
    end = working_time_after(FRANCE, start, duration)
    latest = working_time_before(FRANCE, end, duration)
    assert latest == start
    assert working_time_after(FRANCE, latest, duration) <= end
    assert working_time_after(FRANCE, latest + timedelta(minutes=1), duration) > end


def test_a_zero_duration_is_the_moment_work_resumes():
    assert working_time_after(FRANCE, paris(2026, 3, 14, 12, 0), timedelta(0)) == paris(2026, 3, 16, 9, 0)


def test_refusals():
    with pytest.raises(ValueError, match="negative"):
        working_time_after(FRANCE, paris(2026, 3, 13, 12, 0), hours(-1))
    with pytest.raises(ValueError, match="aware"):
        working_time_after(FRANCE, datetime(2026, 3, 13, 12, 0), hours(1))
    never_open = WorkingCalendar(working_days=frozenset())
    with pytest.raises(ValueError, match="No working day"):
        working_time_after(never_open, paris(2026, 3, 13, 12, 0), hours(1))
