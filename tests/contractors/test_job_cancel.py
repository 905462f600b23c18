"""job_cancel: a visit is cancelled with a reason from the fixed list ("other" needs a note);
the second cancellation, or one for a missing prerequisite, flags the owner once."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from cases.models import Flag, TimelineDepartment, TimelineEvent
from cases.services.timeline import person_name
from contractors.models import Job, JobCancellation
from contractors.services import job_cancel, job_schedule
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import later

Reason = Job.CancellationReason


def _reschedule(actor: User, job: Job) -> Job:
    start = later(days=2)
    return job_schedule(actor=actor, job=job, window_start=start, window_end=start + timedelta(hours=4))


def test_cancellation_is_recorded_and_shown_to_the_customer(job: Job, contractor_user: User) -> None:
    with events_written() as events:
        cancelled = job_cancel(actor=contractor_user, job=job, reason=Reason.NO_ACCESS, note=" Nobody home ")
    cancelled.refresh_from_db()
    assert cancelled.status == Job.Status.CANCELLED
    assert cancelled.cancellation_count == 1
    assert cancelled.last_cancellation_reason == Reason.NO_ACCESS
    row = JobCancellation.objects.get(job=job)
    assert (row.reason, row.note, row.cancelled_by) == (Reason.NO_ACCESS, "Nobody home", contractor_user)
    event = events.one(TimelineEvent.Kind.JOB_CANCELLED)
    # The customer is told of the cancellation too, in the way they prefer.
    assert events.kinds() == [TimelineEvent.Kind.JOB_CANCELLED, TimelineEvent.Kind.CUSTOMER_INFORMED]
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.FIELD
    assert event.actor_label == f"{person_name(contractor_user)} (FibreCo Installations)"
    assert event.summary == "Visit cancelled (FibreCo Installations): No access to the premises — Nobody home"
    assert event.data == {"reason": "no_access", "count": 1, "sentence": event.data["sentence"]}


def test_second_cancellation_flags_the_owner_once(owner: User, job: Job, contractor_user: User) -> None:
    job_cancel(actor=contractor_user, job=job, reason=Reason.NO_ACCESS)
    assert not Flag.objects.filter(subject_key=f"job:{job.pk}").exists()
    job = _reschedule(owner, job)
    with events_written() as events:
        job_cancel(actor=contractor_user, job=job, reason=Reason.NO_SHOW)
    flag = Flag.objects.get(kind=Flag.Kind.REPEATED_CANCELLATION, subject_key=f"job:{job.pk}")
    assert flag.assignee == owner and flag.cleared_at is None
    assert "cancelled 2 times" in flag.summary
    assert events.kinds() == [
        TimelineEvent.Kind.JOB_CANCELLED,
        TimelineEvent.Kind.FLAG_RAISED,
        TimelineEvent.Kind.CUSTOMER_INFORMED,
    ]
    job = _reschedule(owner, job)
    job_cancel(actor=contractor_user, job=job, reason=Reason.NO_SHOW)
    assert Flag.objects.filter(kind=Flag.Kind.REPEATED_CANCELLATION, cleared_at__isnull=True).count() == 1


def test_missing_prerequisite_flags_the_owner_at_the_first_cancellation(
    owner: User, job: Job, contractor_user: User
) -> None:
    job_cancel(actor=contractor_user, job=job, reason=Reason.PREREQUISITE_MISSING)
    flag = Flag.objects.get(kind=Flag.Kind.MISSING_PREREQUISITE, subject_key=f"job:{job.pk}")
    assert flag.assignee == owner
    # The story: the second prerequisite cancellation flags the repetition too, and nothing twice.
    job = _reschedule(owner, job)
    job_cancel(actor=contractor_user, job=job, reason=Reason.PREREQUISITE_MISSING)
    open_kinds = sorted(
        Flag.objects.filter(subject_key=f"job:{job.pk}", cleared_at__isnull=True).values_list("kind", flat=True)
    )
    assert open_kinds == [Flag.Kind.MISSING_PREREQUISITE, Flag.Kind.REPEATED_CANCELLATION]


def test_other_reason_needs_a_note(job: Job, contractor_user: User) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_cancel(actor=contractor_user, job=job, reason=Reason.OTHER, note="  ")
    assert refused.value.field == "note"
    assert "Explain the reason" in refused.value.message
    job_cancel(actor=contractor_user, job=job, reason=Reason.OTHER, note="Van broke down")
    assert JobCancellation.objects.get(job=job).note == "Van broke down"


@pytest.mark.parametrize("reason", ["weather", "", "OTHER"])
def test_reason_must_come_from_the_list(job: Job, contractor_user: User, reason: str) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_cancel(actor=contractor_user, job=job, reason=reason, note="x")
    assert refused.value.field == "reason"
    assert "not a valid cancellation reason" in refused.value.message


def test_a_cancelled_or_completed_job_cannot_be_cancelled(job: Job, contractor_user: User) -> None:
    job_cancel(actor=contractor_user, job=job, reason=Reason.NO_ACCESS)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_cancel(actor=contractor_user, job=job, reason=Reason.NO_ACCESS)
    assert refused.value.field == "status"
    assert "can only become: scheduled" in refused.value.message


def test_outsiders_cannot_cancel(job: Job, other_contractor_user: User, other_agent: User, customer: Customer) -> None:
    for outsider in (other_contractor_user, other_agent, customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            job_cancel(actor=outsider, job=job, reason=Reason.NO_ACCESS)


def test_the_owner_may_cancel_for_the_customer(owner: User, job: Job) -> None:
    job_cancel(actor=owner, job=job, reason=Reason.CUSTOMER_REQUEST)
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED


class TimelineDown(Exception):
    pass


def test_a_failing_timeline_write_rolls_back_the_cancellation(
    monkeypatch: pytest.MonkeyPatch, job: Job, contractor_user: User
) -> None:
    def failing(**kwargs: object) -> None:
        raise TimelineDown("timeline unavailable")

    monkeypatch.setattr("contractors.services.record_event", failing)
    with nothing_written(), pytest.raises(TimelineDown):
        job_cancel(actor=contractor_user, job=job, reason=Reason.PREREQUISITE_MISSING)


# --- the database's half --------------------------------------------------------------------------


def test_database_refuses_other_without_a_note(job: Job, contractor_user: User) -> None:
    with pytest.raises(IntegrityError, match="cancellation_other_needs_note"), transaction.atomic():
        JobCancellation.objects.create(job=job, reason=Reason.OTHER, note="", cancelled_by=contractor_user)


def test_database_refuses_an_unknown_reason(job: Job, contractor_user: User) -> None:
    with pytest.raises(IntegrityError, match="cancellation_reason_valid"), transaction.atomic():
        JobCancellation.objects.create(job=job, reason="weather", cancelled_by=contractor_user)


def test_database_refuses_a_cancelled_job_without_reason(job: Job) -> None:
    with pytest.raises(IntegrityError, match="job_cancelled_has_reason"), transaction.atomic():
        Job.objects.filter(pk=job.pk).update(status=Job.Status.CANCELLED)
