from datetime import timedelta

from cases.models import Case, Flag, Promise, TimelineEvent
from cases.services import (
    case_set_status,
    message_receive,
    promise_break,
    promise_keep,
    promise_make,
    promise_withdraw,
)
from cases.watchers import watch_stale_promises
from tests.watchers.conftest import notified, open_flags

STALE = Flag.Kind.STALE_PROMISE


def _back_monday(case: Case, actor: object, clock: object) -> Promise:
    return promise_make(
        actor=actor,
        case=case,
        text="Technician back Monday with more workers",
        kind=Promise.Kind.VISIT,
        due_at=clock.now + timedelta(days=3),
    )


def test_open_promise_is_flagged_once_its_due_time_passes_and_not_before(case, owner, clock):
    promise = _back_monday(case, owner, clock)

    early = watch_stale_promises(now=promise.due_at - timedelta(minutes=1))
    assert early.raised == 0 and open_flags() == []

    late = watch_stale_promises(now=promise.due_at + timedelta(minutes=1))
    assert late.raised == 1
    [flag] = open_flags(STALE)
    assert (flag.case, flag.subject_key, flag.level, flag.assignee) == (case, f"promise:{promise.pk}", 1, owner)
    assert "back Monday" in flag.summary
    raised = TimelineEvent.objects.get(case=case, kind=TimelineEvent.Kind.FLAG_RAISED)
    assert raised.customer_visible is False  # internal flags never reach the customer
    assert [n.flag for n in notified(owner)] == [flag]


def test_running_twice_raises_nothing_twice(case, owner, clock):
    promise = _back_monday(case, owner, clock)
    after = promise.due_at + timedelta(hours=1)

    first = watch_stale_promises(now=after)
    second = watch_stale_promises(now=after + timedelta(minutes=1))

    assert (first.raised, second.raised, second.examined) == (1, 0, 0)
    assert Flag.objects.filter(kind=STALE).count() == 1
    assert len(notified(owner)) == 1


def test_customer_replies_and_status_changes_never_move_or_pause_the_due_date(case, owner, customer, clock):
    promise = _back_monday(case, owner, clock)
    due = promise.due_at
    clock.advance(days=1)
    message_receive(case=case, actor=customer.user, body="Is he still coming on Monday?")
    case_set_status(actor=owner, case=case, status=Case.Status.WAITING_CONTRACTOR)

    promise.refresh_from_db()
    assert promise.due_at == due
    assert watch_stale_promises(now=due + timedelta(minutes=1)).raised == 1


def test_keeping_the_promise_clears_its_flag(case, owner, clock):
    promise = _back_monday(case, owner, clock)
    watch_stale_promises(now=promise.due_at + timedelta(minutes=5))

    promise_keep(actor=owner, promise=promise, note="Came on Tuesday with two colleagues")

    flag = Flag.objects.get(kind=STALE)
    assert flag.cleared_at is not None and flag.clear_note == "promise kept"
    assert TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.FLAG_CLEARED).exists()


def test_withdrawing_or_marking_broken_by_a_person_clears_the_flag(case, owner, clock):
    withdrawn = _back_monday(case, owner, clock)
    broken = promise_make(actor=owner, case=case, text="Call back at 15:00", due_at=clock.now + timedelta(hours=2))
    watch_stale_promises(now=clock.now + timedelta(days=4))
    assert len(open_flags(STALE)) == 2

    promise_withdraw(actor=owner, promise=withdrawn, note="Replaced by the operator's visit")
    promise_break(actor=owner, promise=broken, note="I missed it; I called on Wednesday instead")

    assert open_flags(STALE) == []


def test_settled_promises_are_never_flagged(case, owner, clock):
    promise = _back_monday(case, owner, clock)
    promise_keep(actor=owner, promise=promise)

    assert watch_stale_promises(now=promise.due_at + timedelta(days=1)).examined == 0
    assert not Flag.objects.exists()


def test_a_batch_of_overdue_promises_is_flagged_in_one_go_without_falling_back(case, owner, clock, caplog):
    """The batch handler flags the whole batch; the row-by-row fallback is for a batch that fails."""
    promises = [_back_monday(case, owner, clock) for _ in range(3)]
    with caplog.at_level("WARNING", logger="cases.watchers"):
        result = watch_stale_promises(now=promises[0].due_at + timedelta(minutes=1))
    assert result.raised == 3
    assert len(open_flags(STALE)) == 3
    assert "a batch failed" not in caplog.text
