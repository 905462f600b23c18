"""The jobs list: today, upcoming, needing a report; filtered by technician and status; the
same number of queries whatever the number of jobs."""

import itertools
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.demo.clock import clock_at
from cases.models import Case
from contractors.models import ContractorCompany, Job
from contractors.services import job_request, job_schedule, job_update_status
from tests.factories import CustomerFactory, make_case, make_contractor_user

URL = reverse("contractor:jobs")


def _at(hours_from_now: float) -> datetime:
    return timezone.now() + timedelta(hours=hours_from_now)


def _today_at(hour: int) -> datetime:
    local = timezone.localtime()
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def _job(
    case: Case,
    company: ContractorCompany,
    owner: User,
    title: str,
    start: datetime | None,
    technician: User | None = None,
) -> Job:
    job = job_request(actor=owner, case=case, company=company, title=title)
    if start is not None:
        with clock_at(min(start, timezone.now())):
            job = job_schedule(
                actor=owner, job=job, window_start=start, window_end=start + timedelta(hours=2), technician=technician
            )
    return job


def _titles(client: Client, query: str = "") -> str:
    response = client.get(URL + query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def agenda(case: Case, company: ContractorCompany, owner: User, contractor_user: User) -> dict[str, Job]:
    """Jobs at every point of a technician's week, including one waiting for its report."""
    colleague = make_contractor_user(company, "colleague")
    return {
        "today": _job(case, company, owner, "Socket in the hall", _today_at(22), contractor_user),
        "tomorrow": _job(case, company, owner, "Router upstairs", _at(30), colleague),
        "undated": _job(case, company, owner, "Cable the garage", None),
        "missed": _job(case, company, owner, "Splice the cabinet", _at(-50), contractor_user),
    }


def test_each_tab_lists_its_jobs(tech_client: Client, agenda: dict[str, Job]) -> None:
    today = _titles(tech_client, "?show=today")
    assert "Socket in the hall" in today
    assert "Router upstairs" not in today

    upcoming = _titles(tech_client, "?show=upcoming")
    assert "Router upstairs" in upcoming
    assert "Cable the garage" in upcoming  # requested, no date yet
    assert "Socket in the hall" not in upcoming

    report = _titles(tech_client, "?show=report")
    assert "Splice the cabinet" in report  # its window has passed without an outcome
    assert "Report missing" in report
    assert "Router upstairs" not in report

    everything = _titles(tech_client, "?show=all")
    for job in agenda.values():
        assert job.title in everything


def test_a_visit_under_way_needs_a_report(tech_client: Client, agenda: dict[str, Job], contractor_user: User) -> None:
    assert "Socket in the hall" not in _titles(tech_client, "?show=report")
    job_update_status(actor=contractor_user, job=agenda["today"], status=Job.Status.ON_THE_WAY)
    assert "Socket in the hall" in _titles(tech_client, "?show=report")


def test_tabs_show_their_counts(tech_client: Client, agenda: dict[str, Job]) -> None:
    response = tech_client.get(URL)
    tabs = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs == {"today": 1, "upcoming": 2, "report": 1, "all": 4}


def test_filter_by_technician(tech_client: Client, agenda: dict[str, Job], contractor_user: User) -> None:
    mine = _titles(tech_client, f"?show=all&technician={contractor_user.pk}")
    assert "Socket in the hall" in mine and "Splice the cabinet" in mine
    assert "Router upstairs" not in mine and "Cable the garage" not in mine

    unassigned = _titles(tech_client, "?show=all&technician=none")
    assert "Cable the garage" in unassigned
    assert "Socket in the hall" not in unassigned


def test_filter_by_status(tech_client: Client, agenda: dict[str, Job]) -> None:
    requested = _titles(tech_client, "?show=all&status=requested")
    assert "Cable the garage" in requested
    assert "Socket in the hall" not in requested


def test_a_technician_of_another_company_is_not_a_filter_choice(
    tech_client: Client, agenda: dict[str, Job], other_contractor_user: User
) -> None:
    response = tech_client.get(URL + f"?show=all&technician={other_contractor_user.pk}")
    assert response.status_code == 200
    assert response.context["form"].errors["technician"]
    # The refused filter is not applied: every job stays listed.
    assert "Cable the garage" in response.content.decode()


def test_other_companies_jobs_never_appear(
    tech_client: Client, agenda: dict[str, Job], other_company: ContractorCompany, other_agent: User, other_case: Case
) -> None:
    _job(other_case, other_company, other_agent, "Other company's visit", _today_at(22))
    page = _titles(tech_client, "?show=all")
    assert "Other company&#x27;s visit" not in page and "Other company's visit" not in page
    assert other_case.customer.full_name not in page


def test_the_list_shows_what_the_visit_needs(tech_client: Client, agenda: dict[str, Job], job: Job) -> None:
    page = _titles(tech_client, "?show=today")
    assert job.case.customer.full_name in page
    assert "1 prerequisite open" in page


def _queries(client: Client, query: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL + query).status_code == 200
    return len(captured)


START = {
    "today": lambda: _today_at(0) + timedelta(minutes=30),
    "upcoming": lambda: _at(40),
    "report": lambda: _at(-30),
    "all": lambda: _at(40),
}


@pytest.mark.parametrize("tab", list(START))
def test_query_count_does_not_grow_with_the_jobs(
    tech_client: Client, company: ContractorCompany, owner: User, tab: str
) -> None:
    made = itertools.count()

    def add_jobs(count: int) -> None:
        for _ in range(count):
            n = next(made)
            case = make_case(customer=CustomerFactory(), owner=owner, subject=f"Install {n}")
            job = job_request(
                actor=owner,
                case=case,
                company=company,
                title=f"Visit {n}",
                prerequisites=[("Cabinet connection", "operator"), ("Basement key", "customer")],
            )
            start = START[tab]()
            with clock_at(min(start, timezone.now())):
                job_schedule(
                    actor=owner,
                    job=job,
                    window_start=start,
                    window_end=start + timedelta(hours=2),
                    technician=make_contractor_user(company, f"technician{n}"),
                )

    query = f"?show={tab}&status=scheduled"
    add_jobs(1)
    with_one = _queries(tech_client, query)
    add_jobs(6)
    response = tech_client.get(URL + query)
    assert len(response.context["rows"]) >= 7
    assert _queries(tech_client, query) == with_one
