"""Watched deadlines count the working time of the owner's department (cases/deadlines.py):
reply targets, the silent-case period, the confirmation window and the escalation ladder. A
customer with vulnerability notes, or an urgent case, counts round the clock."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import Case, Flag
from cases.services import case_resolve, flag_raise, message_receive
from cases.watchers import watch_escalations, watch_silent_cases, watch_unanswered_messages
from people.models import Department, StaffProfile
from tests.factories import CustomerFactory, make_case, make_staff

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def new_york(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


@pytest.fixture(autouse=True)
def _targets(settings):
    settings.RESPONSE_TARGET_HOURS = {"urgent": 4, "high": 8, "normal": 24, "low": 72}
    settings.VULNERABLE_RESPONSE_TARGET_HOURS = {"urgent": 2, "high": 4, "normal": 8, "low": 24}
    settings.FLAG_ESCALATION_MINUTES = {1: 240, 2: 480}
    settings.SILENT_CASE_DAYS = 5
    settings.CONFIRMATION_WINDOW_DAYS = 7


def _desk(code: str, **calendar: object) -> tuple[Department, object, object, object]:
    """A department with its head, a manager and an agent; the calendar is the model's default
    (Monday–Friday 9:00–18:00 in Paris, French holidays) unless given."""
    department = Department.objects.create(code=code, name=code.capitalize(), **calendar)
    head = make_staff(f"{code}-head", department=department, role=StaffProfile.Role.MANAGER)
    department.head = head
    department.save(update_fields=["head"])
    manager = make_staff(f"{code}-manager", department=department, manager=head, role=StaffProfile.Role.MANAGER)
    agent = make_staff(f"{code}-agent", department=department, manager=manager)
    return department, head, manager, agent


@pytest.fixture
def paris_desk(db):
    return _desk("field")


@pytest.fixture
def new_york_desk(db):
    return _desk("americas", time_zone="America/New_York", holiday_country="US", holiday_subdivision="NY")


def _case_at(moment: datetime, owner, *, vulnerable: bool = False, **fields: object) -> Case:
    customer = CustomerFactory(vulnerability_notes="Lives alone, 91 years old" if vulnerable else "")
    with time_machine.travel(moment, tick=False):
        return make_case(customer=customer, owner=owner, **fields)


def _customer_writes(case: Case, moment: datetime) -> Case:
    with time_machine.travel(moment, tick=False):
        message_receive(case=case, body="Any news?", channel="email")
    case.refresh_from_db()
    return case


# --- reply targets -----------------------------------------------------------------------------------------


def test_a_message_on_friday_evening_is_due_in_working_time_not_on_saturday(paris_desk):
    _dept, _head, _manager, agent = paris_desk
    case = _case_at(paris(2026, 3, 12, 10, 0), agent)

    case = _customer_writes(case, paris(2026, 3, 13, 18, 0))

    assert case.reply_due_at == paris(2026, 3, 18, 15, 0)  # 24 working hours: Monday, Tuesday, 6 h of Wednesday
    assert watch_unanswered_messages(now=paris(2026, 3, 14, 18, 1)).raised == 0
    assert watch_unanswered_messages(now=paris(2026, 3, 18, 14, 59)).raised == 0
    assert watch_unanswered_messages(now=paris(2026, 3, 18, 15, 0)).raised == 1


@pytest.mark.parametrize(
    ("written", "due"),
    [
        (paris(2026, 3, 13, 17, 59), paris(2026, 3, 16, 16, 59)),  # one minute on Friday, 7 h 59 on Monday
        (paris(2026, 3, 13, 18, 1), paris(2026, 3, 16, 17, 0)),  # nothing on Friday
    ],
)
def test_friday_just_before_and_just_after_closing(paris_desk, written, due):
    case = _case_at(paris(2026, 3, 12, 10, 0), paris_desk[3], priority=Case.Priority.HIGH)
    assert _customer_writes(case, written).reply_due_at == due


def test_a_public_holiday_does_not_count(paris_desk):
    case = _case_at(paris(2026, 7, 10, 10, 0), paris_desk[3], priority=Case.Priority.HIGH)
    # Monday 13 July 17:00, 8 working hours: 1 on Monday, none on Bastille Day, 7 on Wednesday.
    assert _customer_writes(case, paris(2026, 7, 13, 17, 0)).reply_due_at == paris(2026, 7, 15, 16, 0)


def test_the_spring_clock_change_keeps_opening_hours(paris_desk):
    case = _case_at(paris(2026, 3, 26, 10, 0), paris_desk[3], priority=Case.Priority.HIGH)
    # Friday 27 March 17:00 CET; the clocks go forward on Sunday; Monday 16:00 CEST.
    assert _customer_writes(case, paris(2026, 3, 27, 17, 0)).reply_due_at == paris(2026, 3, 30, 16, 0)


def test_a_vulnerable_customer_at_three_in_the_morning_counts_round_the_clock(paris_desk):
    vulnerable = _case_at(paris(2026, 3, 9, 10, 0), paris_desk[3], vulnerable=True)
    ordinary = _case_at(paris(2026, 3, 9, 10, 0), paris_desk[3])

    assert _customer_writes(vulnerable, paris(2026, 3, 10, 3, 0)).reply_due_at == paris(2026, 3, 10, 11, 0)
    # The same night for a customer without vulnerability notes: counted from Tuesday 9:00.
    assert _customer_writes(ordinary, paris(2026, 3, 10, 3, 0)).reply_due_at == paris(2026, 3, 12, 15, 0)


def test_an_urgent_case_counts_round_the_clock_at_the_weekend(paris_desk):
    case = _case_at(paris(2026, 3, 12, 10, 0), paris_desk[3], priority=Case.Priority.URGENT)
    assert _customer_writes(case, paris(2026, 3, 14, 3, 0)).reply_due_at == paris(2026, 3, 14, 7, 0)


def test_a_department_in_new_york_counts_its_own_hours(new_york_desk):
    case = _case_at(paris(2026, 3, 12, 10, 0), new_york_desk[3], priority=Case.Priority.HIGH)
    # Friday 20:00 in Paris is 15:00 in New York: 3 hours on Friday there, 5 on Monday.
    assert _customer_writes(case, paris(2026, 3, 13, 20, 0)).reply_due_at == new_york(2026, 3, 16, 14, 0)


def test_priority_change_recounts_in_working_time(paris_desk):
    from cases.services import case_edit

    case = _case_at(paris(2026, 3, 12, 10, 0), paris_desk[3])
    case = _customer_writes(case, paris(2026, 3, 13, 17, 0))
    with time_machine.travel(paris(2026, 3, 13, 17, 30), tick=False):
        case_edit(actor=paris_desk[3], case=case, priority=Case.Priority.HIGH)
    case.refresh_from_db()
    assert case.reply_due_at == paris(2026, 3, 16, 16, 0)  # 8 working hours from Friday 17:00


# --- the escalation ladder -------------------------------------------------------------------------------------


def test_the_ladder_climbs_one_two_three_in_working_time(paris_desk):
    _dept, head, manager, agent = paris_desk
    case = _case_at(paris(2026, 3, 12, 10, 0), agent)
    raised = paris(2026, 3, 13, 16, 0)  # Friday afternoon
    flag = flag_raise(kind=Flag.Kind.STALE_PROMISE, subject_key="promise:1", summary="Late", case=case, now=raised)

    assert flag.escalate_at == paris(2026, 3, 16, 11, 0)  # 4 working hours: 2 on Friday, 2 on Monday
    assert watch_escalations(now=paris(2026, 3, 14, 12, 0)).acted == 0  # not at the manager's on Saturday
    assert watch_escalations(now=paris(2026, 3, 16, 10, 59)).acted == 0
    assert watch_escalations(now=paris(2026, 3, 16, 11, 0)).acted == 1
    flag.refresh_from_db()
    assert (flag.level, flag.assignee, flag.escalate_at) == (2, manager, paris(2026, 3, 17, 10, 0))

    assert watch_escalations(now=paris(2026, 3, 17, 9, 59)).acted == 0
    assert watch_escalations(now=paris(2026, 3, 17, 10, 0)).acted == 1
    flag.refresh_from_db()
    assert (flag.level, flag.assignee, flag.escalate_at) == (3, head, None)


def test_the_ladder_of_a_vulnerable_customer_climbs_at_night(paris_desk):
    case = _case_at(paris(2026, 3, 12, 10, 0), paris_desk[3], vulnerable=True)
    raised = paris(2026, 3, 13, 16, 0)
    flag = flag_raise(kind=Flag.Kind.STALE_PROMISE, subject_key="promise:1", summary="Late", case=case, now=raised)
    assert flag.escalate_at == paris(2026, 3, 13, 20, 0)


# --- silent cases -------------------------------------------------------------------------------------------------


def test_silence_counts_working_days_of_each_department(paris_desk, new_york_desk):
    opened = paris(2026, 3, 9, 10, 0)  # Monday
    in_paris = _case_at(opened, paris_desk[3])
    vulnerable = _case_at(opened, paris_desk[3], vulnerable=True)
    in_new_york = _case_at(new_york(2026, 3, 9, 10, 0), new_york_desk[3])

    def flagged() -> set[Case]:
        return {flag.case for flag in Flag.objects.filter(kind=Flag.Kind.SILENT_CASE)}

    watch_silent_cases(now=paris(2026, 3, 14, 10, 1))  # Saturday: five days, round the clock
    assert flagged() == {vulnerable}
    watch_silent_cases(now=paris(2026, 3, 16, 9, 59))
    assert flagged() == {vulnerable}
    watch_silent_cases(now=paris(2026, 3, 16, 10, 1))  # five working days in Paris
    assert flagged() == {vulnerable, in_paris}
    watch_silent_cases(now=new_york(2026, 3, 16, 9, 59))
    assert flagged() == {vulnerable, in_paris}
    watch_silent_cases(now=new_york(2026, 3, 16, 10, 1))  # five working days in New York
    assert flagged() == {vulnerable, in_paris, in_new_york}


# --- the confirmation window ------------------------------------------------------------------------------------


@pytest.mark.parametrize("vulnerable", [False, True], ids=["ordinary", "vulnerable"])
def test_the_confirmation_window_is_seven_working_days(paris_desk, vulnerable):
    # Vulnerable customers too: the window is their time to answer, never shortened.
    case = _case_at(paris(2026, 3, 12, 10, 0), paris_desk[3], vulnerable=vulnerable)
    with time_machine.travel(paris(2026, 3, 13, 17, 0), tick=False):
        case_resolve(actor=paris_desk[3], case=case, summary="Socket replaced")
    case.refresh_from_db()
    # 63 working hours from Friday 17:00: 1 on Friday, 45 the next week, then Monday and 8 h of Tuesday.
    assert case.confirmation_due_at == paris(2026, 3, 24, 17, 0)
