"""Deadlines computed from one row: reply targets, the silent-case period, confirmation windows,
the handoff acknowledgement and escalation delays, all counted in working time (people/working_time.py).

The calendar is the one of the owner's department. A customer with vulnerability notes, or an
urgent case, is counted round the clock: nobody in that situation should wait for Monday. The
confirmation window is the exception: it is the customer's time to answer "is it fixed?", so it is
always counted in the department's working days, never shortened for a vulnerable customer.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q

from cases.models import Case
from people.models import Department
from people.working_time import (
    ROUND_THE_CLOCK,
    WorkingCalendar,
    next_working_moment,
    working_days,
    working_time_after,
    working_time_before,
)

# The cases counted round the clock, as a query (vulnerable: notes with something other than blanks,
# like Customer.is_vulnerable).
COUNTED_ROUND_THE_CLOCK = Q(priority=Case.Priority.URGENT) | Q(customer__vulnerability_notes__regex=r"\S")


def department_calendar(user: User | None) -> WorkingCalendar:
    """The working calendar of a member of staff's department (the model's defaults without one)."""
    profile = getattr(user, "staff_profile", None) if user is not None else None
    department = profile.department if profile is not None else Department()
    return WorkingCalendar.of_department(department)


def counts_round_the_clock(case: Case) -> bool:
    return case.priority == Case.Priority.URGENT or case.customer.is_vulnerable


def case_calendar(case: Case) -> WorkingCalendar:
    """The calendar a case's watched deadlines are counted in."""
    if counts_round_the_clock(case):
        return ROUND_THE_CLOCK
    return department_calendar(case.owner)


def reply_target(case: Case) -> timedelta:
    """How much working time a customer message may wait for a reply: tighter for vulnerable customers."""
    table = settings.VULNERABLE_RESPONSE_TARGET_HOURS if case.customer.is_vulnerable else settings.RESPONSE_TARGET_HOURS
    return timedelta(hours=table[case.priority])


def reply_due(case: Case, since: datetime) -> datetime:
    return working_time_after(case_calendar(case), since, reply_target(case))


def confirmation_due(case: Case, since: datetime) -> datetime:
    """CONFIRMATION_WINDOW_DAYS working days of the owner's department after `since`."""
    calendar = department_calendar(case.owner)
    return working_time_after(calendar, since, working_days(calendar, settings.CONFIRMATION_WINDOW_DAYS))


def flag_calendar(case: Case | None, assignee: User | None) -> WorkingCalendar:
    """The calendar a flag climbs and notifies in: its case's, or for a flag without a case (an
    emerging incident) the one of the person it is with."""
    return case_calendar(case) if case is not None else department_calendar(assignee)


def handoff_acknowledgement_due(receiver: User, since: datetime) -> datetime:
    """HANDOFF_ACK_WORKING_HOURS of the receiver's department after `since`. Their calendar, not the
    case's: what is awaited is the receiver reading the summary, in their own working hours."""
    return working_time_after(department_calendar(receiver), since, timedelta(hours=settings.HANDOFF_ACK_WORKING_HOURS))


def escalation_due(case: Case | None, level: int, since: datetime, *, assignee: User | None = None) -> datetime:
    """When a flag left unacknowledged at `level` goes up one."""
    delay = timedelta(minutes=settings.FLAG_ESCALATION_MINUTES[level])
    return working_time_after(flag_calendar(case, assignee), since, delay)


def notification_due(case: Case | None, recipient: User, now: datetime) -> datetime:
    """When news of a flag reaches its person: at once in working time (and always for a case
    counted round the clock), otherwise when the next working period opens."""
    return next_working_moment(flag_calendar(case, recipient), now)


def silence_over(field: str, now: datetime) -> Q:
    """Cases whose `field` moment (last contact, or opening) is more than SILENT_CASE_DAYS working
    days before `now`, each in its own calendar: one condition per department, plus the cases
    counted round the clock. The leading bound on `field` keeps the scan on its index."""

    def cutoff(calendar: WorkingCalendar) -> datetime:
        return working_time_before(calendar, now, working_days(calendar, settings.SILENT_CASE_DAYS))

    latest = cutoff(ROUND_THE_CLOCK)
    condition = COUNTED_ROUND_THE_CLOCK & Q(**{f"{field}__lte": latest})
    for department in Department.objects.all():
        department_cutoff = cutoff(WorkingCalendar.of_department(department))
        latest = max(latest, department_cutoff)
        condition |= (
            ~COUNTED_ROUND_THE_CLOCK
            & Q(owner__staff_profile__department=department)
            & Q(**{f"{field}__lte": department_cutoff})
        )
    return Q(**{f"{field}__lte": latest}) & condition
