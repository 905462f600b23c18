"""A contractor cannot set off or start a visit before the day of its window without a
recorded reason, which flags the case owner; the job page asks for that reason."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from cases.models import Flag, TimelineEvent
from contractors.models import Job
from contractors.services import (
    job_complete,
    job_schedule,
    job_update_status,
    prerequisite_complete,
    visit_is_early,
)
from portal.errors import RuleViolation
from tests.cases.dbstate import nothing_written
from tests.contractor_ui.conftest import signed_in
from tests.factories import make_job

Status = Job.Status
REASON = "The customer called: she is home today and asked us to come early"


@pytest.fixture
def early_job(job: Job, owner: User) -> Job:
    """The cast's job, booked for the day after tomorrow, its prerequisite already done."""
    prerequisite_complete(actor=owner, prerequisite=job.prerequisites.get())
    start = timezone.now() + timedelta(days=2)
    return job_schedule(actor=owner, job=job, window_start=start, window_end=start + timedelta(hours=4))


def _early_flags(job: Job) -> list[Flag]:
    return list(Flag.objects.filter(kind=Flag.Kind.EARLY_VISIT, subject_key=f"job:{job.pk}", cleared_at__isnull=True))


@pytest.mark.parametrize("status", [Status.ON_THE_WAY, Status.ON_SITE])
def test_setting_off_before_the_day_needs_a_reason(early_job: Job, contractor_user: User, status: str) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_update_status(actor=contractor_user, job=early_job, status=status, early_reason="  ")
    assert refused.value.field == "early_reason"
    assert "Give a reason to start it before that day" in refused.value.message
    assert Job.objects.get(pk=early_job.pk).status == Status.SCHEDULED


def test_the_reason_is_on_the_timeline_and_flags_the_owner(early_job: Job, contractor_user: User, owner: User) -> None:
    moved = job_update_status(actor=contractor_user, job=early_job, status=Status.ON_THE_WAY, early_reason=REASON)
    assert moved.status == Status.ON_THE_WAY
    [flag] = _early_flags(early_job)
    assert flag.case == early_job.case and flag.assignee == owner
    assert REASON in flag.summary and "before the day of its window" in flag.summary
    said = TimelineEvent.objects.filter(case=early_job.case, subject_key=f"job:{early_job.pk}")
    staff_only = said.get(summary__contains=REASON)
    assert staff_only.customer_visible is False
    assert said.get(summary="Technician on the way (FibreCo Installations)").customer_visible is True


def test_once_on_the_way_arriving_needs_no_second_reason(early_job: Job, contractor_user: User) -> None:
    job_update_status(actor=contractor_user, job=early_job, status=Status.ON_THE_WAY, early_reason=REASON)
    arrived = job_update_status(actor=contractor_user, job=early_job, status=Status.ON_SITE)
    assert arrived.status == Status.ON_SITE
    assert len(_early_flags(early_job)) == 1


def test_on_the_day_of_the_window_no_reason_is_asked(job: Job, contractor_user: User) -> None:
    # The cast's job is booked for today.
    job_update_status(actor=contractor_user, job=job, status=Status.ON_THE_WAY)
    assert Job.objects.get(pk=job.pk).status == Status.ON_THE_WAY
    assert _early_flags(job) == []


def test_completing_the_job_clears_the_early_visit_flag(early_job: Job, contractor_user: User) -> None:
    job_update_status(actor=contractor_user, job=early_job, status=Status.ON_SITE, early_reason=REASON)
    assert len(_early_flags(early_job)) == 1
    job_complete(actor=contractor_user, job=early_job, outcome_report="Socket installed, line tested")
    assert _early_flags(early_job) == []


@pytest.mark.parametrize(("zone", "early"), [("Europe/Paris", False), ("America/Martinique", True)])
def test_the_day_is_the_customers_day(job: Job, zone: str, early: bool) -> None:
    """02:30 UTC is already the visit's day in Paris, still the day before in Martinique."""
    customer = job.case.customer
    customer.time_zone = zone
    customer.save(update_fields=["time_zone"])
    start = datetime(2026, 6, 11, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    Job.objects.filter(pk=job.pk).update(window_start=start, window_end=start + timedelta(hours=4))
    job = Job.objects.select_related("case__customer").get(pk=job.pk)
    assert visit_is_early(job, now=datetime(2026, 6, 11, 2, 30, tzinfo=ZoneInfo("UTC"))) is early


# --- the job page ---------------------------------------------------------------------------


def test_the_job_page_asks_for_the_reason_before_the_day(early_job: Job, contractor_user: User) -> None:
    page = signed_in(contractor_user).get(reverse("contractor:job", args=[early_job.pk])).content.decode()
    assert 'id="early-visit"' in page and "the visit is booked for" in page
    assert 'id="id_on_the_way-early_reason"' in page and 'id="id_start-early_reason"' in page


def test_the_job_page_does_not_ask_on_the_day(job: Job, contractor_user: User) -> None:
    page = signed_in(contractor_user).get(reverse("contractor:job", args=[job.pk])).content.decode()
    assert 'id="early-visit"' not in page and "early_reason" not in page


def test_setting_off_early_without_a_reason_is_refused_on_the_page(early_job: Job, contractor_user: User) -> None:
    client = signed_in(contractor_user)
    with nothing_written():
        response = client.post(reverse("contractor:job_on_the_way", args=[early_job.pk]), {})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page and "Give a reason to start it before that day" in page
    assert 'id="id_on_the_way-early_reason_error"' in page


def test_starting_early_with_a_reason_flags_the_owner(early_job: Job, contractor_user: User) -> None:
    client = signed_in(contractor_user)
    response = client.post(reverse("contractor:job_start", args=[early_job.pk]), {"start-early_reason": REASON})
    assert response.status_code == 302
    assert Job.objects.get(pk=early_job.pk).status == Status.ON_SITE
    [flag] = _early_flags(early_job)
    assert REASON in flag.summary


# --- the API --------------------------------------------------------------------------------


def test_the_api_asks_for_the_reason_and_takes_it(early_job: Job, contractor_user: User) -> None:
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=contractor_user).key}")
    url = reverse("api:job-detail", args=[early_job.pk]) + "visit/"
    refused = client.post(url, {"status": "on_the_way"})
    assert refused.status_code == 400 and "early_reason" in refused.json()
    taken = client.post(url, {"status": "on_the_way", "early_reason": REASON})
    assert taken.status_code == 200 and taken.json()["status"] == "on_the_way"


def test_a_job_with_no_visit_booked_is_never_early(owner: User, case, company) -> None:
    requested = make_job(case=case, company=company, actor=owner, scheduled=False)
    assert requested.window_start is None
    assert visit_is_early(requested) is False
