"""Calm escalation (issue 13): news of a flag waits for the recipient's next working period
(urgent and vulnerable cases excepted), escalations of one case reach a person as one
notification, and nobody is told of the same flag twice (cases/notifications.py)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from cases.models import Case, Flag, Notification
from cases.notifications import (
    notification_mark_read,
    notification_queue,
    notifications_for,
    notifications_mark_all_read,
    notifications_send_digests,
    unread_count,
)
from cases.services import flag_escalate, flag_raise
from cases.watchers import watch_escalations
from cases.watchers.escalation import flags_due_for_escalation
from people.models import Department, StaffProfile
from tests.factories import CustomerFactory, make_case, make_staff

PARIS = ZoneInfo("Europe/Paris")
FRIDAY_EVENING = datetime(2026, 3, 13, 18, 30, tzinfo=PARIS)
MONDAY_OPENING = datetime(2026, 3, 16, 9, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _delays(settings):
    settings.FLAG_ESCALATION_MINUTES = {1: 240, 2: 480}


@pytest.fixture
def paris_agent(db):
    """An agent (with a manager) of a desk open Monday to Friday 9:00–18:00 in Paris."""
    department = Department.objects.create(code="field", name="Field")
    manager = make_staff("field-manager", department=department, role=StaffProfile.Role.MANAGER)
    return make_staff("field-agent", department=department, manager=manager)


def _case(owner, *, vulnerable: bool = False, **fields: object) -> Case:
    customer = CustomerFactory(vulnerability_notes="Lives alone, 91 years old" if vulnerable else "")
    with time_machine.travel(datetime(2026, 3, 12, 10, 0, tzinfo=PARIS), tick=False):
        return make_case(customer=customer, owner=owner, **fields)


def _raise(case: Case, now: datetime, n: int = 1) -> Flag:
    with time_machine.travel(now, tick=False):
        return flag_raise(
            kind="stale_promise", subject_key=f"promise:{n}", summary=f"Call back {n}", case=case, now=now
        )


# --- held until the next working period ----------------------------------------------------------


def test_a_flag_raised_on_friday_evening_reaches_the_owner_on_monday_at_opening(paris_agent):
    case = _case(paris_agent)
    _raise(case, FRIDAY_EVENING)

    [held] = Notification.objects.filter(recipient=paris_agent)
    assert held.held_until == MONDAY_OPENING
    with time_machine.travel(datetime(2026, 3, 15, 20, 0, tzinfo=PARIS), tick=False):  # Sunday evening
        assert notifications_for(paris_agent).count() == 0
        assert unread_count(paris_agent) == 0
        assert notifications_mark_all_read(actor=paris_agent) == 0  # nothing seen, nothing marked
        assert notifications_send_digests() == 0
    assert mail.outbox == []

    with time_machine.travel(MONDAY_OPENING, tick=False):
        assert [n.pk for n in notifications_for(paris_agent)] == [held.pk]
        assert unread_count(paris_agent) == 1
        assert notifications_send_digests() == 1  # the periodic run picks it up once due
        assert notifications_send_digests() == 0
    [digest] = mail.outbox
    assert digest.to == [paris_agent.email] and "Call back 1" in digest.body


def test_a_flag_raised_in_working_time_is_told_at_once(paris_agent):
    case = _case(paris_agent)
    _raise(case, datetime(2026, 3, 13, 17, 59, tzinfo=PARIS))
    assert Notification.objects.get(recipient=paris_agent).held_until is None


@pytest.mark.parametrize("fields", [{"priority": Case.Priority.URGENT}, {"vulnerable": True}])
def test_urgent_and_vulnerable_cases_are_told_at_once_even_on_friday_evening(paris_agent, fields):
    case = _case(paris_agent, **fields)
    _raise(case, FRIDAY_EVENING)

    [told] = Notification.objects.filter(recipient=paris_agent)
    assert told.held_until is None
    with time_machine.travel(FRIDAY_EVENING + timedelta(minutes=1), tick=False):
        assert [n.pk for n in notifications_for(paris_agent)] == [told.pk]
        assert notifications_send_digests() == 1


# --- escalations of one case grouped ---------------------------------------------------------------


def _three_flags_escalated_together(case, manager, clock) -> tuple[list[Flag], datetime]:
    flags = [_raise(case, clock.now, n) for n in (1, 2, 3)]
    notifications_send_digests()  # the owner's news of them went out; only the escalation is left
    mail.outbox.clear()
    moment = clock.now + timedelta(minutes=240)
    assert watch_escalations(now=moment).acted == 3
    assert {f.assignee_id for f in Flag.objects.filter(pk__in=[f.pk for f in flags])} == {manager.pk}
    return flags, moment


def test_three_flags_of_one_case_escalating_together_make_one_notification(case, owner, manager, clock):
    flags, moment = _three_flags_escalated_together(case, manager, clock)

    [entry] = notifications_for(manager)
    assert entry.reason == Notification.Reason.ESCALATED and entry.level == 2
    assert sorted(n.flag_id for n in entry.flags_told) == sorted(f.pk for f in flags)
    assert unread_count(manager) == 1
    # Reached from any one of the flags, the list shows that one entry.
    assert [n.pk for n in notifications_for(manager, flag_id=flags[2].pk)] == [entry.pk]

    assert notifications_send_digests() == 1
    [digest] = mail.outbox
    assert digest.to == [manager.email]
    assert digest.subject == "Steward: 3 flags need your attention"
    assert f"3 flags of case {case.reference}" in digest.body
    assert digest.body.count(f"/staff/cases/{case.reference}/") == 1
    assert all(f"Call back {n}" in digest.body for n in (1, 2, 3))

    # Running the pass again, even at the same moment, says nothing new.
    assert watch_escalations(now=moment).acted == 0
    assert Notification.objects.filter(recipient=manager).count() == 3
    assert len(notifications_for(manager)) == 1


def test_reading_the_grouped_notification_reads_all_its_flags(case, manager, clock):
    _three_flags_escalated_together(case, manager, clock)
    [entry] = notifications_for(manager)

    notification_mark_read(actor=manager, notification=entry)

    assert unread_count(manager) == 0
    assert not Notification.objects.filter(recipient=manager, read_at__isnull=True).exists()


def test_flags_of_one_case_escalating_at_different_passes_are_told_separately(case, manager, clock):
    first = _raise(case, clock.now, 1)
    second = _raise(case, clock.now + timedelta(minutes=30), 2)
    watch_escalations(now=first.escalate_at)
    watch_escalations(now=second.escalate_at)
    assert len(notifications_for(manager)) == 2


def test_flags_of_different_cases_are_not_grouped(case, other_case, owner, manager, clock):
    _raise(case, clock.now, 1)
    _raise(other_case, clock.now, 2)
    assert watch_escalations(now=clock.now + timedelta(minutes=240)).acted == 2
    assert len(notifications_for(manager)) == 2


# --- nobody told twice -----------------------------------------------------------------------------


def test_escalating_a_stale_copy_after_the_pass_writes_nothing(case, manager, clock):
    for n in (1, 2, 3):
        _raise(case, clock.now, n)
    moment = clock.now + timedelta(minutes=240)
    stale = list(flags_due_for_escalation(moment))  # a second worker read the same due flags…

    assert watch_escalations(now=moment).acted == 3  # …while the first one escalated them
    assert [flag_escalate(flag=flag, now=moment) for flag in stale] == [False, False, False]
    assert Notification.objects.filter(recipient=manager).count() == 3
    assert len(notifications_for(manager)) == 1


def test_a_retried_notification_writes_nothing_new(case, manager, clock):
    flag = _raise(case, clock.now)
    flag_escalate(flag=flag, now=clock.now)
    flag.refresh_from_db()

    again = notification_queue(flag=flag, reason=Notification.Reason.ESCALATED, now=clock.now + timedelta(minutes=5))

    assert again == Notification.objects.get(recipient=manager)


def test_two_writers_interleaved_between_look_and_insert_write_one_row(case, manager, clock, monkeypatch):
    """Writer A looks (nothing written yet), writer B writes the same notification, then A
    inserts: the unique (recipient, flag, level) refuses A's row and A gets B's, without
    spoiling the transaction around it."""
    flag = _raise(case, clock.now)
    flag_escalate(flag=flag, now=clock.now)
    Notification.objects.filter(recipient=manager).delete()  # as if A and B both escalated it
    flag.refresh_from_db()

    from cases import deadlines

    real_due = deadlines.notification_due
    written_by_b: list[Notification] = []

    def b_writes_in_between(*args, **kwargs):
        monkeypatch.setattr(deadlines, "notification_due", real_due)  # B runs unhindered
        written_by_b.append(notification_queue(flag=Flag.objects.get(pk=flag.pk), reason="escalated", now=clock.now))
        return real_due(*args, **kwargs)

    monkeypatch.setattr(deadlines, "notification_due", b_writes_in_between)
    with transaction.atomic():
        written_by_a = notification_queue(flag=flag, reason=Notification.Reason.ESCALATED, now=clock.now)
        Flag.objects.filter(pk=flag.pk).update(summary="still writable")  # the transaction goes on

    assert written_by_a == written_by_b[0]
    assert Notification.objects.filter(recipient=manager, flag=flag, level=2).count() == 1


def test_the_database_refuses_a_second_row_for_the_same_person_flag_and_level(case, owner, clock):
    flag = _raise(case, clock.now)
    told = Notification.objects.get(recipient=owner, flag=flag)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            recipient=owner, flag=flag, level=1, reason="raised", summary="again", created_at=clock.now
        )
    assert Notification.objects.filter(flag=flag).get() == told
