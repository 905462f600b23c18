"""Running a watcher twice, from two beats, or on two workers at the same moment raises,
escalates and notifies nothing twice."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count

from cases import tasks
from cases.models import Case, Flag, Notification, Promise, TimelineEvent
from cases.services import case_resolve, promise_make
from cases.watchers import WATCHERS, run_all, watch_escalations, watch_stale_promises, watch_unconfirmed_resolutions
from correspondence.models import CustomerNotice
from tests.attention import assert_attention_counted
from tests.factories import make_case
from tests.watchers.scenario import build_everything_due

KINDS_RAISED_BY_WATCHERS = {
    Flag.Kind.STALE_PROMISE,
    Flag.Kind.UNANSWERED_MESSAGE,
    Flag.Kind.SILENT_CASE,
    Flag.Kind.REPEATED_CANCELLATION,
    Flag.Kind.INCIDENT,
    Flag.Kind.STALLED_CLAIM,
    Flag.Kind.UNCONFIRMED_RESOLUTION,
    Flag.Kind.EMERGING_INCIDENT,
    Flag.Kind.HANDOFF_UNACKNOWLEDGED,
}


@pytest.fixture
def everything(case, owner, customer, job, contractor_user):
    return build_everything_due(case=case, owner=owner, customer=customer, job=job, contractor_user=contractor_user)


def _state() -> tuple[int, int, int, int]:
    return (
        Flag.objects.count(),
        Notification.objects.count(),
        TimelineEvent.objects.filter(kind__startswith="flag_").count(),
        TimelineEvent.objects.filter(kind=TimelineEvent.Kind.REMINDER).count(),
    )


def test_every_watcher_has_work_and_a_second_run_does_nothing(everything):
    first = {r.watcher: r for r in run_all(now=everything.due)}
    assert {f.kind for f in Flag.objects.all()} == KINDS_RAISED_BY_WATCHERS
    # The stale-promise watcher, running before it, counts the attention of the cases whose promise
    # it flags: the attention watcher is left the promises that fall due with no flag raised.
    idle = {"escalations", "attention_due"}
    assert all(first[name].raised + first[name].acted > 0 for name in WATCHERS if name not in idle)
    assert_attention_counted(everything.due)  # every watcher's writes kept the worklist order
    after_first = _state()

    second = run_all(now=everything.due)

    assert [(r.watcher, r.raised, r.acted) for r in second if r.raised or r.acted] == []
    assert _state() == after_first


def test_two_beats_sending_every_task_twice_double_nothing(everything, clock):
    clock.now = everything.due  # the tasks read the clock, as under a real beat
    for name in WATCHERS:
        tasks.run_watcher.apply(args=[name])
    after_one_beat = _state()

    for name in WATCHERS:
        tasks.run_watcher.apply(args=[name])  # the second beat's copy of the same tick

    assert _state() == after_one_beat
    assert {f.kind for f in Flag.objects.all()} == KINDS_RAISED_BY_WATCHERS
    raised_twice = Flag.objects.values("kind", "subject_key").annotate(n=Count("pk")).filter(n__gt=1)
    assert list(raised_twice) == []


def test_escalating_twice_at_the_same_moment_escalates_once(everything):
    run_all(now=everything.due)
    later = everything.due + timedelta(days=1)

    first = watch_escalations(now=later)
    second = watch_escalations(now=later)

    assert first.acted == Flag.objects.filter(cleared_at__isnull=True).count() > 0
    assert second.acted == 0
    assert Notification.objects.filter(level=2).count() == first.acted


def race(work) -> list:
    """`work` on two threads (two connections) started at the same moment; their results."""
    barrier = threading.Barrier(2)
    results: list = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_moment_raise_and_escalate_each_flag_once(case, owner, manager):
    due = case.created_at + timedelta(hours=1)
    for n in range(60):
        promise_make(actor=owner, case=case, text=f"Call back about point {n}", due_at=due)
    Case.objects.filter(pk=case.pk).update(last_activity_at=due)

    raised = race(lambda: watch_stale_promises(now=due + timedelta(minutes=1), batch_size=7))
    assert sum(r.raised for r in raised) == 60
    assert Flag.objects.filter(kind=Flag.Kind.STALE_PROMISE).count() == 60
    assert Promise.objects.filter(overdue_flagged_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=owner).count() == 60

    escalated = race(lambda: watch_escalations(now=due + timedelta(days=1), batch_size=7))
    assert sum(r.acted for r in escalated) == 60
    assert Notification.objects.filter(recipient=manager, level=2).count() == 60
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.FLAG_ESCALATED).count() == 60


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_two_workers_remind_each_customer_once(customer, owner):
    """Reminders are rendered before the batch's transaction: a case the other worker holds or
    has just reminded is left to it, never told twice."""
    cases = [
        case_resolve(actor=owner, case=make_case(customer=customer, owner=owner, subject=f"Line {n}"), summary="Fixed")
        for n in range(30)
    ]
    later = max(case.confirmation_due_at for case in cases) + timedelta(minutes=1)

    reminded = race(lambda: watch_unconfirmed_resolutions(now=later, batch_size=7))

    assert sum(r.acted for r in reminded) == sum(r.raised for r in reminded) == 30
    per_case = Counter(TimelineEvent.objects.filter(kind=TimelineEvent.Kind.REMINDER).values_list("case_id", flat=True))
    assert per_case == Counter({case.pk: 1 for case in cases})
    notices = CustomerNotice.objects.filter(topic="confirmation").values_list("case_id", flat=True)
    assert Counter(notices) == Counter({case.pk: 2 for case in cases})  # "is it fixed?", then the reminder
    assert Flag.objects.filter(kind=Flag.Kind.UNCONFIRMED_RESOLUTION).count() == 30
