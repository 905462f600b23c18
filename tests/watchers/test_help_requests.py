"""The watchers and help requests: a colleague asked for help is not the case's escalation
ladder, so the request never climbs to the owner's manager or head of department, while the
owner's own flags on the same case climb as before."""

from datetime import timedelta

import pytest

from cases.models import Flag, Notification, TimelineEvent
from cases.services import flag_escalate, note_add, promise_make
from cases.watchers import run_all, watch_escalations, watch_stale_promises
from tests.factories import make_staff
from tests.watchers.conftest import notified, open_flags


@pytest.fixture(autouse=True)
def _delays(settings):
    settings.FLAG_ESCALATION_MINUTES = {1: 240, 2: 480}


@pytest.fixture
def helper(department):
    return make_staff("samir", department=department, first_name="Samir", last_name="Helper")


def test_a_help_request_never_escalates(case, owner, manager, head, helper, clock):
    note_add(actor=owner, case=case, body="@samir any idea?")
    [flag] = open_flags(Flag.Kind.HELP_REQUESTED)
    assert flag.escalate_at is None

    for days in (1, 10, 60):
        assert watch_escalations(now=clock.now + timedelta(days=days)).acted == 0
    # Every watcher, weeks on: the case's own flags (a silent case) are raised and climb; the request does not.
    for days in (10, 20, 60):
        run_all(now=clock.now + timedelta(days=days))
    flag.refresh_from_db()
    assert (flag.level, flag.assignee, flag.cleared_at) == (1, helper, None)
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.FLAG_ESCALATED, subject_key=f"flag:{flag.pk}")
    assert [(n.recipient, n.reason) for n in Notification.objects.filter(flag=flag)] == [
        (helper, Notification.Reason.RAISED)
    ]
    assert all(n.flag.kind != Flag.Kind.HELP_REQUESTED for n in notified(manager) + notified(head))


def test_escalating_a_help_request_by_hand_is_refused(case, owner, helper):
    note_add(actor=owner, case=case, body="@samir any idea?")
    [flag] = open_flags(Flag.Kind.HELP_REQUESTED)
    assert flag_escalate(flag=flag) is False
    flag.refresh_from_db()
    assert (flag.level, flag.assignee) == (1, helper)


def test_the_owners_flags_on_the_same_case_still_climb(case, owner, manager, helper, clock):
    note_add(actor=owner, case=case, body="@samir the technician may not come back")
    promise = promise_make(actor=owner, case=case, text="Technician back Monday", due_at=clock.now + timedelta(days=1))
    raised_at = promise.due_at + timedelta(minutes=1)
    watch_stale_promises(now=raised_at)

    assert watch_escalations(now=raised_at + timedelta(minutes=240)).acted == 1
    stale = Flag.objects.get(kind=Flag.Kind.STALE_PROMISE)
    asked = Flag.objects.get(kind=Flag.Kind.HELP_REQUESTED)
    assert (stale.level, stale.assignee) == (2, manager)
    assert (asked.level, asked.assignee) == (1, helper)
