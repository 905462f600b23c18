"""Rule: a completed job never goes back to scheduled (or anywhere else). Its outcome report and
photos tell of a visit that happened; more work is a new job. Refused by job_schedule itself,
so the staff page and the contractor's API are refused with the same words, and nothing is written."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from contractors.models import Job
from contractors.services import job_complete, job_schedule, job_update_status, prerequisite_complete
from portal.errors import RuleViolation
from tests.cases.dbstate import nothing_written

REFUSAL = "is completed and cannot change any more. If more work is needed, request a new job."


@pytest.fixture
def completed_job(job: Job, owner: User, contractor_user: User) -> Job:
    for prerequisite in job.prerequisites.all():
        prerequisite_complete(actor=owner, prerequisite=prerequisite)
    job_update_status(actor=contractor_user, job=job, status=Job.Status.ON_SITE)
    return job_complete(actor=contractor_user, job=job, outcome_report="Socket installed and tested")


def _tomorrow() -> tuple:
    start = timezone.now() + timedelta(days=1)
    return start, start + timedelta(hours=3)


def test_the_service_refuses_to_schedule_a_completed_job(completed_job: Job, contractor_user: User) -> None:
    start, end = _tomorrow()
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_schedule(actor=contractor_user, job=completed_job, window_start=start, window_end=end)
    assert refused.value.field == "status"
    assert refused.value.message == f"Job {completed_job.reference} {REFUSAL}"


def test_a_stale_copy_that_still_says_on_site_cannot_reschedule_either(
    job: Job, owner: User, contractor_user: User
) -> None:
    """The page was opened before the visit was reported done: the service reads the job again."""
    for prerequisite in job.prerequisites.all():
        prerequisite_complete(actor=owner, prerequisite=prerequisite)
    stale = job_update_status(actor=contractor_user, job=job, status=Job.Status.ON_SITE)
    job_complete(actor=contractor_user, job=Job.objects.get(pk=job.pk), outcome_report="Done")
    start, end = _tomorrow()
    with nothing_written(), pytest.raises(RuleViolation, match="cannot change any more"):
        job_schedule(actor=owner, job=stale, window_start=start, window_end=end)


def test_the_contractor_api_refuses_with_the_reason_and_changes_nothing(
    completed_job: Job, contractor_user: User, api_as
) -> None:
    client = api_as(contractor_user)
    start, end = _tomorrow()
    url = reverse("api:job-schedule", args=[completed_job.pk])
    with nothing_written():
        response = client.post(url, {"window_start": start.isoformat(), "window_end": end.isoformat()})
    assert response.status_code == 400
    assert response.json() == {"status": [f"Job {completed_job.reference} {REFUSAL}"]}
    assert Job.objects.get(pk=completed_job.pk).status == Job.Status.COMPLETED


def test_the_staff_page_refuses_with_the_reason_and_changes_nothing(completed_job: Job, owner: User, page_as) -> None:
    client = page_as(owner)
    key = f"schedule-{completed_job.pk}"
    start, end = (timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") for moment in _tomorrow())
    url = reverse("staff:job_schedule", args=[completed_job.case.reference, completed_job.pk])
    with nothing_written():
        response = client.post(url, {f"{key}-window_start": start, f"{key}-window_end": end})
    assert response.status_code == 400
    page = response.content.decode()
    assert REFUSAL in page
    assert "Nothing was saved" in page
    assert Job.objects.get(pk=completed_job.pk).status == Job.Status.COMPLETED
