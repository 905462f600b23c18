"""The escalation ladder: owner (1) → owner's manager (2) → head of department (3), each step
after the delay configured in FLAG_ESCALATION_MINUTES, each step on the timeline and notified."""

from datetime import timedelta

import pytest

from cases.models import Flag, Notification, TimelineEvent
from cases.services import flag_acknowledge, promise_keep, promise_make
from cases.services.timeline import person_name
from cases.watchers import watch_escalations, watch_stale_promises
from people.models import StaffProfile
from tests.factories import make_case, make_staff
from tests.watchers.conftest import notified


@pytest.fixture(autouse=True)
def _delays(settings):
    settings.FLAG_ESCALATION_MINUTES = {1: 240, 2: 480}


def _flagged_promise(case, owner, clock):
    promise = promise_make(actor=owner, case=case, text="Technician back Monday", due_at=clock.now + timedelta(days=3))
    raised_at = promise.due_at + timedelta(minutes=1)
    watch_stale_promises(now=raised_at)
    return promise, Flag.objects.get(kind=Flag.Kind.STALE_PROMISE), raised_at


def test_unacknowledged_flag_climbs_the_ladder_with_the_configured_delays(case, owner, manager, head, clock):
    _promise, flag, raised_at = _flagged_promise(case, owner, clock)
    assert flag.escalate_at == raised_at + timedelta(minutes=240)

    assert watch_escalations(now=raised_at + timedelta(minutes=239)).acted == 0
    assert watch_escalations(now=raised_at + timedelta(minutes=240)).acted == 1
    flag.refresh_from_db()
    at_manager = raised_at + timedelta(minutes=240)
    assert (flag.level, flag.assignee, flag.escalate_at) == (2, manager, at_manager + timedelta(minutes=480))

    assert watch_escalations(now=at_manager + timedelta(minutes=479)).acted == 0
    assert watch_escalations(now=at_manager + timedelta(minutes=480)).acted == 1
    flag.refresh_from_db()
    assert (flag.level, flag.assignee, flag.escalate_at) == (3, head, None)

    assert watch_escalations(now=at_manager + timedelta(days=30)).examined == 0  # the top of the ladder
    levels = [e.data["level"] for e in TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.FLAG_ESCALATED)]
    assert levels == [2, 3]
    assert [(n.level, n.reason) for n in notified(owner)] == [(1, Notification.Reason.RAISED)]
    assert [(n.level, n.reason) for n in notified(manager)] == [(2, Notification.Reason.ESCALATED)]
    assert [(n.level, n.reason) for n in notified(head)] == [(3, Notification.Reason.ESCALATED)]


def test_acknowledged_flag_stops_climbing(case, owner, manager, clock):
    _promise, flag, raised_at = _flagged_promise(case, owner, clock)

    flag_acknowledge(flag=flag, actor=owner)

    assert watch_escalations(now=raised_at + timedelta(days=3)).acted == 0
    flag.refresh_from_db()
    assert flag.level == 1 and notified(manager) == []


def test_cleared_flag_stops_climbing(case, owner, manager, clock):
    promise, _flag, raised_at = _flagged_promise(case, owner, clock)

    promise_keep(actor=owner, promise=promise)

    assert watch_escalations(now=raised_at + timedelta(days=3)).acted == 0
    assert notified(manager) == []


def test_running_twice_escalates_once(case, owner, manager, clock):
    _promise, flag, raised_at = _flagged_promise(case, owner, clock)
    when = raised_at + timedelta(minutes=250)

    assert watch_escalations(now=when).acted == 1
    assert watch_escalations(now=when).acted == 0
    flag.refresh_from_db()
    assert flag.level == 2
    assert len(notified(manager)) == 1
    assert TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.FLAG_ESCALATED).count() == 1


def test_owner_without_a_manager_escalates_to_the_head_of_department(department, head, customer, clock):
    loner = make_staff("loner", department=department, manager=None, role=StaffProfile.Role.AGENT)
    case = make_case(customer=customer, owner=loner)
    _promise, flag, raised_at = _flagged_promise(case, loner, clock)

    watch_escalations(now=raised_at + timedelta(minutes=240))

    flag.refresh_from_db()
    assert (flag.level, flag.assignee) == (2, head)


def test_the_timeline_names_who_the_flag_climbed_to(case, owner, manager, head, clock, caplog):
    """Written by the batch path: the row-by-row fallback writes the same events, so a batch
    that fails every time must show in the log."""
    _promise, _flag, raised_at = _flagged_promise(case, owner, clock)
    with caplog.at_level("WARNING", logger="cases.watchers"):
        watch_escalations(now=raised_at + timedelta(minutes=240))
        watch_escalations(now=raised_at + timedelta(minutes=240 + 480))
    assert "a batch failed" not in caplog.text

    said = list(
        TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.FLAG_ESCALATED)
        .order_by("pk")
        .values_list("summary", flat=True)
    )
    assert [text.split(":")[0] for text in said] == [
        f"Flag escalated to level 2 ({person_name(manager)})",
        f"Flag escalated to level 3 ({person_name(head)})",
    ]
