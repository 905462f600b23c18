"""A handoff the receiver has not acknowledged within HANDOFF_ACK_WORKING_HOURS of their
department's working time raises a flag to them, which climbs to their manager; acknowledging,
handing the case on again or closing it clears the flag (cases/watchers/handoffs.py)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import Flag, Handoff
from cases.services import case_handoff, handoff_acknowledge
from cases.watchers import watch_escalations, watch_unacknowledged_handoffs
from people.models import Department, StaffProfile
from tests.factories import CustomerFactory, make_case, make_staff
from tests.watchers.conftest import open_flags

PARIS = ZoneInfo("Europe/Paris")
UNACKNOWLEDGED = Flag.Kind.HANDOFF_UNACKNOWLEDGED


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _four_working_hours(settings):
    settings.HANDOFF_ACK_WORKING_HOURS = 4
    settings.FLAG_ESCALATION_MINUTES = {1: 240, 2: 480}


@pytest.fixture
def desk(db):
    """A Paris department (Monday–Friday 9:00–18:00, French holidays): the giver, and the receiver
    with their manager."""
    department = Department.objects.create(code="field", name="Field")
    head = make_staff("field-head", department=department, role=StaffProfile.Role.MANAGER)
    department.head = head
    department.save(update_fields=["head"])
    manager = make_staff("field-manager", department=department, manager=head, role=StaffProfile.Role.MANAGER)
    giver = make_staff("field-giver", department=department, manager=manager)
    receiver = make_staff("field-receiver", department=department, manager=manager)
    return giver, receiver, manager


def _hand_off(case, actor, to_user, moment: datetime) -> Handoff:
    with time_machine.travel(moment, tick=False):
        return case_handoff(actor=actor, case=case, to_user=to_user, reason="Going on leave", summary="Visit Monday.")


def _case(owner, moment: datetime):
    with time_machine.travel(moment, tick=False):
        return make_case(customer=CustomerFactory(), owner=owner)


def test_a_handoff_on_friday_afternoon_is_flagged_four_working_hours_later_on_monday(desk):
    giver, receiver, _manager = desk
    case = _case(giver, paris(2026, 3, 13, 10, 0))
    handoff = _hand_off(case, giver, receiver, paris(2026, 3, 13, 16, 0))  # Friday 16:00: two hours left

    assert handoff.acknowledge_due_at == paris(2026, 3, 16, 11, 0)  # and two on Monday morning
    assert watch_unacknowledged_handoffs(now=paris(2026, 3, 14, 20, 0)).raised == 0  # not on Saturday
    assert watch_unacknowledged_handoffs(now=paris(2026, 3, 16, 10, 59)).raised == 0
    assert watch_unacknowledged_handoffs(now=paris(2026, 3, 16, 11, 0)).raised == 1

    (flag,) = open_flags(UNACKNOWLEDGED)
    assert (flag.case, flag.assignee, flag.level, flag.subject_key) == (case, receiver, 1, f"handoff:{handoff.pk}")
    assert "has not acknowledged the handoff" in flag.text


def test_the_flag_is_raised_once_however_often_the_watcher_runs(desk):
    giver, receiver, _manager = desk
    case = _case(giver, paris(2026, 3, 16, 9, 0))
    _hand_off(case, giver, receiver, paris(2026, 3, 16, 9, 0))

    first = watch_unacknowledged_handoffs(now=paris(2026, 3, 16, 13, 0))
    again = watch_unacknowledged_handoffs(now=paris(2026, 3, 16, 13, 1))

    assert (first.raised, again.raised, again.examined) == (1, 0, 0)
    assert Flag.objects.filter(kind=UNACKNOWLEDGED).count() == 1


def test_the_flag_escalates_to_the_receivers_manager(desk):
    giver, receiver, manager = desk
    case = _case(giver, paris(2026, 3, 16, 9, 0))
    _hand_off(case, giver, receiver, paris(2026, 3, 16, 9, 0))
    watch_unacknowledged_handoffs(now=paris(2026, 3, 16, 13, 0))

    assert watch_escalations(now=paris(2026, 3, 16, 16, 59)).acted == 0
    assert watch_escalations(now=paris(2026, 3, 16, 17, 0)).acted == 1  # four working hours at level 1

    (flag,) = open_flags(UNACKNOWLEDGED)
    assert (flag.level, flag.assignee) == (2, manager)


def test_acknowledging_the_handoff_clears_its_flag_with_a_reason(desk):
    giver, receiver, _manager = desk
    case = _case(giver, paris(2026, 3, 16, 9, 0))
    handoff = _hand_off(case, giver, receiver, paris(2026, 3, 16, 9, 0))
    watch_unacknowledged_handoffs(now=paris(2026, 3, 16, 13, 0))

    handoff_acknowledge(actor=receiver, handoff=handoff)

    assert open_flags(UNACKNOWLEDGED) == []
    flag = Flag.objects.get(kind=UNACKNOWLEDGED)
    assert flag.clear_note == "handoff acknowledged"
    assert case.timeline.filter(kind="flag_cleared", actor=receiver).exists()


def test_a_handoff_acknowledged_in_time_is_never_flagged(desk):
    giver, receiver, _manager = desk
    case = _case(giver, paris(2026, 3, 16, 9, 0))
    handoff = _hand_off(case, giver, receiver, paris(2026, 3, 16, 9, 0))
    with time_machine.travel(paris(2026, 3, 16, 12, 59), tick=False):
        handoff_acknowledge(actor=receiver, handoff=handoff)

    assert watch_unacknowledged_handoffs(now=paris(2026, 3, 17, 9, 0)).raised == 0
    assert not Flag.objects.filter(kind=UNACKNOWLEDGED).exists()


def test_handing_the_case_on_again_clears_the_flag_and_the_next_receiver_gets_their_own_deadline(desk):
    giver, receiver, _manager = desk
    case = _case(giver, paris(2026, 3, 16, 9, 0))
    first = _hand_off(case, giver, receiver, paris(2026, 3, 16, 9, 0))
    watch_unacknowledged_handoffs(now=paris(2026, 3, 16, 13, 0))

    case.refresh_from_db()
    second = _hand_off(case, receiver, giver, paris(2026, 3, 16, 14, 0))

    assert open_flags(UNACKNOWLEDGED) == []
    assert Flag.objects.get(kind=UNACKNOWLEDGED).clear_note == "handed on again"
    first.refresh_from_db()
    assert first.acknowledge_due_at is None
    assert second.acknowledge_due_at == paris(2026, 3, 16, 18, 0)  # 14:00 + 4 working hours: closing time
    result = watch_unacknowledged_handoffs(now=paris(2026, 3, 16, 18, 0))
    assert result.raised == 1
    (flag,) = open_flags(UNACKNOWLEDGED)
    assert (flag.subject_key, flag.assignee) == (f"handoff:{second.pk}", giver)
