"""Rule: a contractor user reads the promises made about a job THEY may see, never those of
another company's job, even when their own company has jobs and promises of its own.
(can_view_promise must ask about the promise's job, not about "any job".)"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Promise
from cases.policies import can_view_promise
from cases.services import promise_make
from contractors.models import Job
from tests.cases.dbstate import nothing_written
from tests.factories import make_job


def _visit_promise(actor: User, job: Job, text: str) -> Promise:
    return promise_make(
        actor=actor,
        case=job.case,
        job=job,
        kind=Promise.Kind.VISIT,
        text=text,
        due_at=timezone.now() + timedelta(days=2),
    )


@pytest.fixture
def first_promise(job: Job, contractor_user: User) -> Promise:
    return _visit_promise(contractor_user, job, "Back Thursday with the long ladder")


@pytest.fixture
def second_promise(other_case: Case, other_company, other_agent: User, other_contractor_user: User) -> Promise:
    """The other company has a job and a promise of its own, so "sees some job" is true for it."""
    own_job = make_job(case=other_case, company=other_company, actor=other_agent, title="Replace the router")
    return _visit_promise(other_contractor_user, own_job, "Router swapped by Friday")


def test_policy_another_company_cannot_see_the_first_companys_job_promise(
    first_promise: Promise, second_promise: Promise, contractor_user: User, other_contractor_user: User
) -> None:
    assert can_view_promise(other_contractor_user, second_promise)
    assert not can_view_promise(other_contractor_user, first_promise)
    assert can_view_promise(contractor_user, first_promise)
    assert not can_view_promise(contractor_user, second_promise)


def test_api_another_company_gets_404_for_the_promise_and_cannot_settle_it(
    first_promise: Promise, second_promise: Promise, other_contractor_user: User, api_as
) -> None:
    client = api_as(other_contractor_user)
    assert client.get(reverse("api:promise-detail", args=[second_promise.pk])).status_code == 200

    response = client.get(reverse("api:promise-detail", args=[first_promise.pk]))
    assert response.status_code == 404
    assert "Back Thursday" not in response.content.decode()
    with nothing_written():
        settle = client.post(
            reverse("api:promise-settle", args=[first_promise.pk]), {"outcome": "withdrawn", "note": "Not ours"}
        )
    assert settle.status_code == 404
    assert Promise.objects.get(pk=first_promise.pk).status == Promise.Status.OPEN


def test_pages_another_company_sees_only_its_own_jobs_promises(
    first_promise: Promise, second_promise: Promise, other_contractor_user: User, page_as
) -> None:
    client = page_as(other_contractor_user)
    own = client.get(reverse("contractor:job", args=[second_promise.job_id]))
    assert own.status_code == 200
    assert "Router swapped by Friday" in own.content.decode()
    assert "Back Thursday" not in own.content.decode()
    assert client.get(reverse("contractor:job", args=[first_promise.job_id])).status_code == 404
