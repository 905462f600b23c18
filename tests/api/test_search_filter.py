"""The API's `q` filters search as the staff search page does (issue 14): words by their start
whatever the accents and case, phone numbers however they are spelled, references and claim
numbers by their start, J-123 for a job; within what the caller may see; never by reading a
whole table."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from api.filters import CaseFilter, CustomerFilter
from cases import policies
from cases.services import claim_file
from people.models import Customer
from tests.api.conftest import ApiAs
from tests.conftest import Cast
from tests.factories import CustomerFactory, make_case
from tests.query_plans import plan_of
from tests.staff_ui.test_search_indexed import reads_a_whole_table

CUSTOMERS = reverse("api:customer-list")
CASES = reverse("api:case-list")


@pytest.fixture
def gerard(cast: Cast) -> Customer:
    customer = CustomerFactory(full_name="Gérard Dupont-Lefèvre", email="g.dupont@example.test", phone="06 12 34 56 78")
    case = make_case(customer=customer, owner=cast.owner, subject="Chauffage coupé après l'intervention")
    claim_file(actor=cast.owner, case=case, insurer="Axa", policy_holder="customer", claim_number="AXA-99812")
    return customer


def names(api_as: ApiAs, user, term: str) -> set[str]:
    response = api_as(user).get(CUSTOMERS, {"q": term})
    assert response.status_code == 200
    return {row["full_name"] for row in response.json()["results"]}


def subjects(api_as: ApiAs, user, term: str) -> set[str]:
    response = api_as(user).get(CASES, {"q": term})
    assert response.status_code == 200
    return {row["subject"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    "term", ["gerard", "GÉRARD dup", "lefevre", "g.dupont", "+33 6 12 34", "0033612345678", "06 12"]
)
def test_customers_by_word_start_or_phone_spelling(cast: Cast, api_as: ApiAs, gerard: Customer, term: str) -> None:
    assert names(api_as, cast.owner, term) == {"Gérard Dupont-Lefèvre"}


@pytest.mark.parametrize("term", ["rard", "upont", "34 56 78", "zzz"])
def test_a_customer_term_must_start_a_word_or_the_number(cast: Cast, api_as: ApiAs, gerard: Customer, term: str):
    assert names(api_as, cast.owner, term) == set()


@pytest.mark.parametrize("term", ["chauff", "APRES", "axa-998", "cs-2026"])
def test_cases_by_subject_word_claim_number_or_reference(cast: Cast, api_as: ApiAs, gerard: Customer, term: str):
    assert "Chauffage coupé après l'intervention" in subjects(api_as, cast.owner, term)


def test_a_job_by_its_number(cast: Cast, api_as: ApiAs) -> None:
    assert subjects(api_as, cast.owner, f"J-{cast.job.pk}") == {cast.case.subject}


def test_a_term_finds_only_what_the_caller_may_see(cast: Cast, api_as: ApiAs, gerard: Customer) -> None:
    assert subjects(api_as, cast.customer.user, "chauffage") == set()
    assert names(api_as, cast.customer.user, "gerard") == set()
    assert subjects(api_as, cast.contractor_user, f"J-{cast.job.pk}") == set()
    assert subjects(api_as, cast.customer.user, cast.case.subject.split()[0]) == {cast.case.subject}


def test_a_blank_term_filters_nothing(cast: Cast, api_as: ApiAs) -> None:
    assert names(api_as, cast.owner, "  ") == {
        row["full_name"] for row in api_as(cast.owner).get(CUSTOMERS).json()["results"]
    }


@pytest.mark.parametrize("term", ["gérard dup", "+33 6 12", "axa-998", "cs-2026-0000", "J-12"])
def test_no_filtered_list_reads_a_whole_table(cast: Cast, gerard: Customer, term: str) -> None:
    request = RequestFactory().get("/")
    request.user = cast.owner
    cases = CaseFilter({"q": term}, queryset=policies.cases_visible_to(cast.owner), request=request).qs
    assert not reads_a_whole_table(plan := plan_of(cases.order_by("-last_activity_at", "-pk")[:21])), plan
    customers = CustomerFilter({"q": term}, queryset=Customer.objects.all(), request=request).qs
    assert not reads_a_whole_table(plan := plan_of(customers.order_by("full_name", "pk")[:21])), plan
