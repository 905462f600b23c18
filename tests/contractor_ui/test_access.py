"""Who reaches the contractor pages: the users of the job's company (and of a company it is
shared with). Anonymous visitors are sent to sign in; staff, customers and delegates get a 404;
a user of another company gets a 404 for every job, photo and report of this one, and what
they post changes nothing."""

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import assign_perm

from cases import policies
from contractors.models import ContractorCompany, IncidentReport, Job
from contractors.services import incident_report, job_share
from people.models import Customer
from tests.cases.dbstate import nothing_written
from tests.contractor_ui.conftest import signed_in
from tests.factories import CompanyFactory, make_contractor_user


@pytest.fixture
def incident(job: Job, contractor_user: User, photo: Callable[..., SimpleUploadedFile]) -> IncidentReport:
    return incident_report(
        actor=contractor_user, job=job, what="Drilled into a pipe", location="Kitchen", photos=[photo()]
    )


def _contractor_pages(job: Job, incident: IncidentReport) -> list[str]:
    return [
        reverse("contractor:jobs"),
        reverse("contractor:job", args=[job.pk]),
        reverse("contractor:incident_new", args=[job.pk]),
        reverse("contractor:incident", args=[incident.pk]),
        reverse("contractor:team"),
    ]


def _job_records(job: Job, incident: IncidentReport) -> list[str]:
    """Every page and photo about one job."""
    return [
        reverse("contractor:job", args=[job.pk]),
        reverse("contractor:incident_new", args=[job.pk]),
        reverse("contractor:incident", args=[incident.pk]),
        reverse("contractor:photo", args=[incident.photos.get().pk]),
    ]


def _job_actions(job: Job, incident: IncidentReport) -> dict[str, dict[str, object]]:
    prerequisite = job.prerequisites.get()
    return {
        reverse("contractor:job_on_the_way", args=[job.pk]): {},
        reverse("contractor:job_start", args=[job.pk]): {"start-override_reason": "Customer asked"},
        reverse("contractor:job_cancel", args=[job.pk]): {"cancel-reason": "no_access", "cancel-note": "Gate shut"},
        reverse("contractor:job_outcome", args=[job.pk]): {
            "outcome-outcome": "completed",
            "outcome-outcome_report": "Done",
        },
        reverse("contractor:prerequisite_done", args=[job.pk, prerequisite.pk]): {},
        reverse("contractor:job_promise", args=[job.pk]): {
            "promise-text": "Back Monday",
            "promise-due_at": "2099-01-05T08:00",
        },
        reverse("contractor:incident_new", args=[job.pk]): {"incident-what": "Broke it", "incident-location": "Hall"},
        reverse("contractor:incident_correct", args=[incident.pk]): {"correction-text": "It was the other pipe."},
    }


def test_the_companys_technician_reaches_every_page(tech_client: Client, job: Job, incident: IncidentReport) -> None:
    for url in [*_contractor_pages(job, incident), *_job_records(job, incident)]:
        assert tech_client.get(url).status_code == 200, url


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, job: Job, incident: IncidentReport) -> None:
    pages = [*_contractor_pages(job, incident), *_job_records(job, incident), reverse("contractor:scorecard")]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        location = urlparse(response["Location"])
        assert location.path == reverse("login")
        assert parse_qs(location.query)["next"] == [url]


def test_staff_customers_and_delegates_get_404_on_contractor_pages(
    owner: User, manager: User, customer: Customer, delegate: User, job: Job, incident: IncidentReport
) -> None:
    for user in (owner, manager, customer.user, delegate):
        client = signed_in(user)
        for url in _contractor_pages(job, incident):
            assert client.get(url).status_code == 404, (user.username, url)
        for url in _job_actions(job, incident):
            assert client.post(url).status_code == 404, (user.username, url)


def test_another_company_gets_404_for_every_job_photo_and_report(
    other_tech_client: Client, job: Job, incident: IncidentReport
) -> None:
    for url in _job_records(job, incident):
        assert other_tech_client.get(url).status_code == 404, url


def test_another_company_posting_to_this_job_gets_404_and_changes_nothing(
    other_tech_client: Client, job: Job, incident: IncidentReport
) -> None:
    for url, data in _job_actions(job, incident).items():
        with nothing_written():
            assert other_tech_client.post(url, data).status_code == 404, url
        # Even the wrong method answers 404: the job is looked up first.
        assert other_tech_client.get(url).status_code == 404, url


def test_another_company_reading_an_action_url_learns_nothing(
    other_tech_client: Client, tech_client: Client, job: Job
) -> None:
    url = reverse("contractor:job_on_the_way", args=[job.pk])
    assert other_tech_client.get(url).status_code == 404
    assert tech_client.get(url).status_code == 405


def test_another_companys_job_list_does_not_show_this_job(
    other_tech_client: Client, job: Job, other_company: ContractorCompany
) -> None:
    response = other_tech_client.get(reverse("contractor:jobs") + "?show=all")
    assert response.status_code == 200
    assert job.title not in response.content.decode()
    assert job.case.customer.full_name not in response.content.decode()


def test_a_company_the_job_is_shared_with_may_open_it(owner: User, job: Job) -> None:
    plumbers = CompanyFactory(name="Plumbers")
    plumber = make_contractor_user(plumbers, "plumber")
    client = signed_in(plumber)
    assert client.get(reverse("contractor:job", args=[job.pk])).status_code == 404
    job_share(actor=owner, job=job, company=plumbers)
    response = client.get(reverse("contractor:job", args=[job.pk]))
    assert response.status_code == 200
    assert "Shared with your company" in response.content.decode()


def test_a_job_shared_with_one_user_only_is_theirs_alone(job: Job, other_company: ContractorCompany) -> None:
    chosen = make_contractor_user(other_company, "chosen")
    colleague = make_contractor_user(other_company, "colleague")
    assign_perm(f"contractors.{policies.SHARED_JOB_PERM}", chosen, job)
    assert signed_in(chosen).get(reverse("contractor:job", args=[job.pk])).status_code == 200
    assert signed_in(colleague).get(reverse("contractor:job", args=[job.pk])).status_code == 404


def test_a_deactivated_company_loses_its_pages(tech_client: Client, job: Job) -> None:
    ContractorCompany.objects.filter(pk=job.company_id).update(is_active=False)
    assert tech_client.get(reverse("contractor:jobs")).status_code == 404
    assert tech_client.get(reverse("contractor:job", args=[job.pk])).status_code == 404


def test_staff_may_see_the_photos_but_not_customers(
    owner_client: Client, customer: Customer, delegate: User, incident: IncidentReport
) -> None:
    url = reverse("contractor:photo", args=[incident.photos.get().pk])
    assert owner_client.get(url).status_code == 200
    for user in (customer.user, delegate):
        assert signed_in(user).get(url).status_code == 404


def test_the_scorecard_is_for_staff_only(
    owner_client: Client, tech_client: Client, customer: Customer, delegate: User, administrator: User
) -> None:
    url = reverse("contractor:scorecard")
    assert owner_client.get(url).status_code == 200
    for client in (tech_client, signed_in(customer.user), signed_in(delegate), signed_in(administrator)):
        assert client.get(url).status_code == 404


def test_a_contractor_lands_on_the_jobs_after_signing_in(contractor_user: User) -> None:
    client = Client()
    client.force_login(contractor_user)
    response = client.get(reverse("landing"))
    assert response.status_code == 302
    assert response["Location"] == reverse("contractor:jobs")
