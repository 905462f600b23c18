"""The staff scorecard of contractor companies: per company and period, jobs done,
cancellations by reason, damage reported, promises kept, broken or late, customers' survey
scores; aggregated in SQL, with the cases behind each figure."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from cases.demo.clock import clock_at
from cases.demo.stories import Stories, load_stories
from cases.models import Case, Promise
from cases.services import case_confirm, case_resolve, promise_break, promise_keep, promise_make, survey_submit
from contractors.models import ContractorCompany, Job
from contractors.selectors import Period, company_figures, scorecard
from contractors.services import (
    incident_report,
    job_cancel,
    job_complete,
    job_schedule,
    job_update_status,
    prerequisite_complete,
)
from people.models import Customer
from tests.factories import CompanyFactory, CustomerFactory, UserFactory, make_case, make_job

URL = reverse("contractor:scorecard")


def last_30_days() -> Period:
    return Period.last_days(30)  # read when the test runs, on the suite's clock


def _done(job: Job, technician: User) -> Job:
    for prerequisite in job.prerequisites.all():
        prerequisite_complete(actor=job.case.owner, prerequisite=prerequisite)  # the operator's, confirmed by staff
    job_update_status(actor=technician, job=job, status=Job.Status.ON_SITE)
    return job_complete(actor=technician, job=job, outcome_report="Done")


def _rated(case: Case, customer: Customer, owner: User, score: int) -> None:
    # The scorecard's cases keep their damage and rescheduled jobs open: not what is measured here.
    case_resolve(actor=owner, case=case, summary="Installed.", override_reason="Rated before the follow-ups end.")
    case_confirm(actor=customer.user, case=case)
    survey_submit(actor=customer.user, case=Case.objects.get(pk=case.pk), score=score)


@pytest.fixture
def season(
    case: Case,
    job: Job,
    owner: User,
    customer: Customer,
    company: ContractorCompany,
    contractor_user: User,
    other_company: ContractorCompany,
    other_case: Case,
    other_agent: User,
) -> dict[str, Case]:
    """A month of FibreCo's work, and one older job that falls outside the period."""
    now = timezone.now()
    day = {n: now - timedelta(days=n) for n in (60, 10, 9, 8, 7, 5, 4, 3, 2)}
    second_customer = CustomerFactory(user=UserFactory(username="second"), full_name="Bruno Second")
    second = make_case(customer=second_customer, owner=owner, subject="Router move")
    with clock_at(day[60]):
        old = make_job(case=second, company=company, actor=owner, title="Old visit")
    with clock_at(day[60] + timedelta(days=1, hours=1)):
        _done(old, contractor_user)
        incident_report(actor=contractor_user, job=old, what="Old scratch", location="Hall")
    # The cast's case: a cancelled visit, then done; damage reported; two jobs of FibreCo.
    with clock_at(day[10]):
        job_cancel(actor=contractor_user, job=job, reason="no_access", note="Nobody home")
    with clock_at(day[9]):
        job_schedule(actor=owner, job=job, window_start=day[8], window_end=day[8] + timedelta(hours=2))
    with clock_at(day[8]):
        _done(job, contractor_user)
        kept = promise_make(actor=contractor_user, case=case, job=job, text="Tidy up tomorrow", due_at=day[7])
        late = promise_make(actor=contractor_user, case=case, job=job, text="Back Monday", due_at=day[5])
    promise_keep(actor=contractor_user, promise=kept)
    assert late.status == Promise.Status.OPEN
    with clock_at(day[4]):
        extra = make_job(case=case, company=company, actor=owner, title="Second visit")
        incident_report(actor=contractor_user, job=extra, what="Drilled a pipe", location="Kitchen")
        broken = promise_make(actor=contractor_user, case=second, job=old, text="Send the invoice", due_at=day[3])
    promise_break(actor=owner, promise=broken, note="They never sent it.")
    with clock_at(day[2]):
        _rated(case, customer, owner, score=2)  # one survey, although FibreCo had two jobs on the case
        _rated(second, second_customer, owner, score=5)
        # Another company's cancellation stays on its own row.
        other_job = make_job(case=other_case, company=other_company, actor=other_agent, title="Their visit")
        job_cancel(actor=other_agent, job=other_job, reason="customer_request")
    return {"first": case, "second": second}


def test_figures_are_counted_per_company_and_period(season: dict[str, Case], company: ContractorCompany) -> None:
    rows = {row.name: row for row in scorecard(last_30_days())}
    fibreco, other = rows[company.name], rows["Other Works"]
    assert fibreco.jobs_done == 1  # the old job was done 60 days ago
    assert (fibreco.cancellations, fibreco.cancelled_no_access, fibreco.cancelled_customer_request) == (1, 1, 0)
    assert fibreco.incidents == 1
    assert (fibreco.promises_kept, fibreco.promises_broken, fibreco.promises_late) == (1, 1, 1)
    assert fibreco.ratings == 2
    assert fibreco.rating_average == pytest.approx(3.5)
    assert (other.cancellations, other.cancelled_customer_request, other.jobs_done, other.ratings) == (1, 1, 0, 0)


def test_a_longer_period_takes_in_the_older_work(season: dict[str, Case], company: ContractorCompany) -> None:
    fibreco = scorecard(Period.last_days(90)).get(pk=company.pk)
    assert (fibreco.jobs_done, fibreco.incidents) == (2, 2)


def test_each_figure_lists_the_cases_behind_it(season: dict[str, Case], company: ContractorCompany) -> None:
    period = last_30_days()
    fibreco = scorecard(period).get(pk=company.pk)
    behind = {figure.key: [case.reference for case in figure.cases] for figure in company_figures(fibreco, period)}
    first, second = season["first"].reference, season["second"].reference
    assert behind["jobs_done"] == [first]
    assert behind["cancelled_no_access"] == [first]
    assert behind["cancelled_prerequisite_missing"] == []
    assert behind["incidents"] == [first]
    assert behind["promises_kept"] == [first]
    assert behind["promises_late"] == [first]
    assert behind["promises_broken"] == [second]
    assert behind["ratings"] == [first, second]


def test_the_page_charts_the_chosen_company_and_links_its_cases(
    owner_client: Client, season: dict[str, Case], company: ContractorCompany
) -> None:
    response = owner_client.get(URL + f"?company={company.pk}")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="score-chart"' in page
    assert "Cancelled: no access to the premises" in page
    assert "3.5 / 5" in page
    assert reverse("staff:case", args=[season["first"].reference]) in page
    assert "Other Works" in page  # every company's row in the table


def test_a_period_ending_before_it_starts_is_refused(owner_client: Client) -> None:
    response = owner_client.get(URL + "?first_day=2026-03-10&last_day=2026-03-01")
    assert response.status_code == 400
    assert "The period must end on or after its first day." in response.content.decode()


def test_the_scorecard_is_one_query_whatever_the_number_of_companies(
    owner_client: Client, season: dict[str, Case], company: ContractorCompany
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get(URL + f"?company={company.pk}").status_code == 200
        return len(captured)

    with_two = count()
    for n in range(5):
        CompanyFactory(name=f"Extra {n}")
    assert count() == with_two
    with CaptureQueriesContext(connection) as captured:
        list(scorecard(last_30_days()))
    assert len(captured) == 1


# --- on the demo stories --------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[Stories]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_stories()
        transaction.set_rollback(True)


def test_the_demo_scorecard_shows_fibrecos_record(demo: Stories, db: None) -> None:
    """What the lead sees on the demo data: FibreCo's two cancellations for the missing street
    connection, the drilled pipe and the "back Monday" promise left open past its date."""
    rows = {row.name: row for row in scorecard(Period.last_days(90))}
    fibreco, lumiere = rows["FibreCo Installations"], rows["Lumière Câblage"]
    assert (fibreco.jobs_done, fibreco.cancellations, fibreco.cancelled_prerequisite_missing) == (0, 2, 2)
    assert fibreco.incidents == 1
    assert (fibreco.promises_kept, fibreco.promises_broken, fibreco.promises_late) == (0, 0, 1)
    assert (lumiere.jobs_done, lumiere.cancellations, lumiere.incidents, lumiere.promises_late) == (0, 0, 0, 0)
    figures = {f.key: f for f in company_figures(rows["FibreCo Installations"], Period.last_days(90))}
    assert [case.reference for case in figures["promises_late"].cases] == [demo.fibre.case.reference]
