"""job_update_status, job_complete and job_fail: a visit moves scheduled → on the way → on
site → completed or failed, never skipping a state; starting with a prerequisite open needs
a stated reason and flags the owner."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from cases.models import Case, Flag, TimelineDepartment, TimelineEvent
from cases.services import flag_raise
from contractors.models import ContractorCompany, Job, JobPhoto, Prerequisite
from contractors.services import (
    job_cancel,
    job_complete,
    job_fail,
    job_update_status,
    prerequisite_complete,
)
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import EXECUTABLE, PDF, PNG, upload
from tests.factories import make_job

Status = Job.Status
REASON = "Customer without heating; operator booked for tomorrow"


def _on_site(job: Job, actor: User) -> Job:
    job_update_status(actor=actor, job=job, status=Status.ON_THE_WAY)
    return job_update_status(actor=actor, job=job, status=Status.ON_SITE, override_reason=REASON)


def test_technician_on_the_way_is_shown_to_the_customer(job: Job, contractor_user: User) -> None:
    with events_written() as events:
        moved = job_update_status(actor=contractor_user, job=job, status=Status.ON_THE_WAY)
    assert moved.status == Status.ON_THE_WAY
    event = events.one(TimelineEvent.Kind.JOB_STATUS)
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.FIELD
    assert event.summary == "Technician on the way (FibreCo Installations)"


def test_starting_with_an_open_prerequisite_needs_a_reason(job: Job, contractor_user: User) -> None:
    job_update_status(actor=contractor_user, job=job, status=Status.ON_THE_WAY)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_update_status(actor=contractor_user, job=job, status=Status.ON_SITE, override_reason=" ")
    assert refused.value.field == "override_reason"
    assert "Operator connection at the street cabinet" in refused.value.message
    assert "Give a reason to start anyway" in refused.value.message


def test_starting_anyway_raises_a_flag_for_the_owner(owner: User, job: Job, contractor_user: User) -> None:
    job_update_status(actor=contractor_user, job=job, status=Status.ON_THE_WAY)
    with events_written() as events:
        job_update_status(actor=contractor_user, job=job, status=Status.ON_SITE, override_reason=REASON)
    job.refresh_from_db()
    assert job.status == Status.ON_SITE
    flag = Flag.objects.get(kind=Flag.Kind.PREREQUISITE_OVERRIDE, subject_key=f"job:{job.pk}")
    assert flag.assignee == owner
    assert REASON in flag.summary
    status_event = events.one(TimelineEvent.Kind.JOB_STATUS)
    assert f"started with prerequisites open: {REASON}" in status_event.summary
    assert events.one(TimelineEvent.Kind.FLAG_RAISED).customer_visible is False


def test_no_reason_needed_once_prerequisites_are_done(job: Job, contractor_user: User) -> None:
    for prerequisite in job.prerequisites.all():
        prerequisite_complete(actor=job.case.owner, prerequisite=prerequisite)
    job_update_status(actor=contractor_user, job=job, status=Status.ON_SITE)
    assert not Flag.objects.filter(subject_key=f"job:{job.pk}").exists()


def test_completion_clears_the_jobs_flags_and_stores_photos(owner: User, job: Job, contractor_user: User) -> None:
    _on_site(job, contractor_user)
    flag_raise(kind=Flag.Kind.REPEATED_CANCELLATION, subject_key=f"job:{job.pk}", summary="x2", case=job.case)
    with events_written() as events:
        done = job_complete(
            actor=contractor_user, job=job, outcome_report=" Socket installed, 940 Mb/s ", photos=[upload("s.png", PNG)]
        )
    done.refresh_from_db()
    assert done.status == Status.COMPLETED and done.completed_at is not None
    assert done.outcome_report == "Socket installed, 940 Mb/s"
    photo = JobPhoto.objects.get(job=job)
    assert (photo.content_type, photo.uploaded_by, photo.incident) == ("image/png", contractor_user, None)
    event = events.one(TimelineEvent.Kind.JOB_COMPLETED)
    assert event.customer_visible is True and event.department == TimelineDepartment.FIELD
    assert len(events.of_kind(TimelineEvent.Kind.FLAG_CLEARED)) == 2
    assert not Flag.objects.filter(subject_key=f"job:{job.pk}", cleared_at__isnull=True).exists()


def test_completion_needs_a_report(job: Job, contractor_user: User) -> None:
    _on_site(job, contractor_user)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_complete(actor=contractor_user, job=job, outcome_report="")
    assert refused.value.field == "outcome_report"


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("report.pdf", PDF, "photos (JPEG, PNG, GIF or WebP)"),
        ("s.png", EXECUTABLE, "not a file type"),
        ("e.png", b"", "empty"),
    ],
)
def test_completion_photos_must_be_images(
    job: Job, contractor_user: User, name: str, content: bytes, words: str
) -> None:
    _on_site(job, contractor_user)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_complete(actor=contractor_user, job=job, outcome_report="Done", photos=[upload(name, content)])
    assert refused.value.field == "photos"
    assert words in refused.value.message


def test_failed_visit_is_recorded(job: Job, contractor_user: User) -> None:
    job_update_status(actor=contractor_user, job=job, status=Status.ON_THE_WAY)
    with events_written() as events:
        failed = job_fail(actor=contractor_user, job=job, outcome_report="Road closed")
    assert failed.status == Status.FAILED and failed.outcome_report == "Road closed"
    event = events.one(TimelineEvent.Kind.JOB_STATUS)
    assert event.customer_visible is True
    assert event.summary == "Visit failed (FibreCo Installations): Road closed"


def test_failure_needs_a_report(job: Job, contractor_user: User) -> None:
    _on_site(job, contractor_user)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_fail(actor=contractor_user, job=job, outcome_report="  ")
    assert refused.value.field == "outcome_report"


# --- no skipped states ------------------------------------------------------------------------------

MOVES: dict[str, Callable[[Job, User], object]] = {
    "on the way": lambda job, actor: job_update_status(actor=actor, job=job, status=Status.ON_THE_WAY),
    "on site": lambda job, actor: job_update_status(actor=actor, job=job, status=Status.ON_SITE, override_reason="x"),
    "completed": lambda job, actor: job_complete(actor=actor, job=job, outcome_report="Done"),
    "failed": lambda job, actor: job_fail(actor=actor, job=job, outcome_report="Failed"),
    "cancelled": lambda job, actor: job_cancel(actor=actor, job=job, reason=Job.CancellationReason.NO_ACCESS),
}


def _job_in(status: str, case: Case, company: ContractorCompany, owner: User, technician: User) -> Job:
    job = make_job(case=case, company=company, actor=owner, title=f"Job {status}", scheduled=status != "requested")
    if status in ("on_the_way", "on_site", "completed"):
        job_update_status(actor=technician, job=job, status=Status.ON_THE_WAY)
    if status in ("on_site", "completed"):
        job_update_status(actor=technician, job=job, status=Status.ON_SITE)
    if status == "completed":
        job_complete(actor=technician, job=job, outcome_report="Done")
    if status == "cancelled":
        job_cancel(actor=technician, job=job, reason=Job.CancellationReason.NO_ACCESS)
    job.refresh_from_db()
    assert job.status == status
    return job


@pytest.mark.parametrize(
    ("start", "move"),
    [
        ("requested", "on the way"),
        ("requested", "on site"),
        ("requested", "completed"),
        ("requested", "failed"),
        ("scheduled", "completed"),
        ("scheduled", "failed"),
        ("on_the_way", "completed"),
        ("on_site", "on the way"),
        ("on_site", "cancelled"),
        ("completed", "on site"),
        ("completed", "failed"),
        ("completed", "cancelled"),
        ("cancelled", "on site"),
        ("cancelled", "completed"),
    ],
)
def test_a_job_cannot_skip_or_leave_its_path(
    owner: User, case: Case, company: ContractorCompany, contractor_user: User, start: str, move: str
) -> None:
    job = _job_in(start, case, company, owner, contractor_user)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        MOVES[move](job, contractor_user)
    assert refused.value.field == "status"
    # A completed job has no move left: the refusal says so, and that more work is a new job.
    expected = "cannot change any more" if start == "completed" else "can only become"
    assert expected in refused.value.message


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.SCHEDULED, Status.CANCELLED, "teleported"])
def test_update_status_only_reports_the_visit(job: Job, contractor_user: User, status: str) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_update_status(actor=contractor_user, job=job, status=status)
    assert refused.value.field == "status"
    assert "not a valid visit status" in refused.value.message


def test_outsiders_cannot_report_on_the_visit(
    job: Job, contractor_user: User, other_contractor_user: User, other_agent: User, customer: Customer
) -> None:
    for outsider in (other_contractor_user, other_agent, customer.user):
        for move in ("on the way", "cancelled"):
            with nothing_written(), pytest.raises(NotAllowed):
                MOVES[move](job, outsider)
    _on_site(job, contractor_user)
    for outsider in (other_contractor_user, other_agent, customer.user):
        for move in ("completed", "failed"):
            with nothing_written(), pytest.raises(NotAllowed):
                MOVES[move](job, outsider)


def test_prerequisite_state_is_untouched_by_an_override(job: Job, contractor_user: User) -> None:
    _on_site(job, contractor_user)
    assert job.prerequisites.get().state == Prerequisite.State.OPEN


def test_a_long_report_is_cut_at_200_characters_on_the_timeline_and_kept_whole_on_the_job(
    job: Job, contractor_user: User
) -> None:
    _on_site(job, contractor_user)
    report = " ".join(f"step{n}" for n in range(60))  # numbered words: a cut anywhere else reads differently
    assert len(report) > 200
    with events_written() as events:
        job_complete(actor=contractor_user, job=job, outcome_report=report)
    assert Job.objects.get(pk=job.pk).outcome_report == report
    event = events.one(TimelineEvent.Kind.JOB_COMPLETED)
    assert event.summary == f"Job {job.reference} completed (FibreCo Installations): {report[:200]}"
