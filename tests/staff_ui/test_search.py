"""Search across customers (name, e-mail, phone), case references, claim numbers and job
ids: any case is two clicks away (search, then the case)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import selectors
from cases.services import claim_file
from people.models import Customer
from tests.conftest import Cast
from tests.factories import CustomerFactory, make_case
from tests.staff_ui.pages import case_url, html, text

SEARCH = reverse("staff:search")


def case_links(response) -> list[str]:
    return re.findall(r'href="/staff/cases/([^/]+)/"', html(response))


@pytest.fixture
def martin(cast: Cast) -> Customer:
    customer = Customer.objects.get(pk=cast.customer.pk)
    customer.email, customer.phone = "jeanne.martin@example.test", "+33 4 78 25 14 07"
    customer.save()  # save() keeps the phone's search key
    return customer


@pytest.mark.parametrize(
    "term", ["martin", "JEANNE", "jeanne.martin@example", "04 78 25 14 07", "+33478251407", "04.78.25"]
)
def test_customer_is_found_by_name_email_or_phone_with_their_case_one_click_away(
    owner_client,
    martin: Customer,
    cast: Cast,
    term: str,
) -> None:
    response = owner_client.get(SEARCH, {"q": term})
    assert "Jeanne Martin" in text(response)
    assert cast.case.reference in case_links(response)


def test_exact_reference_goes_straight_to_the_case(owner_client, cast: Cast) -> None:
    response = owner_client.get(SEARCH, {"q": cast.case.reference.lower()})
    assert response.status_code == 302 and response.url == case_url(cast.case)


def test_part_of_a_reference_lists_the_matching_cases(owner_client, cast: Cast) -> None:
    response = owner_client.get(SEARCH, {"q": cast.case.reference[:-2]})
    assert set(case_links(response)) >= {cast.case.reference, cast.other_case.reference}


def test_claim_number_finds_its_case(owner_client, cast: Cast) -> None:
    claim_file(actor=cast.owner, case=cast.case, insurer="Axa", policy_holder="customer", claim_number="AXA-99812")
    response = owner_client.get(SEARCH, {"q": "axa-998"})
    assert case_links(response) == [cast.case.reference]
    assert "claim AXA-99812" in text(response)


@pytest.mark.parametrize("form", ["J-{}", "j{}", "J {}"])
def test_job_id_finds_its_case(owner_client, cast: Cast, form: str) -> None:
    response = owner_client.get(SEARCH, {"q": form.format(cast.job.pk)})
    assert cast.case.reference in case_links(response)
    assert cast.other_case.reference not in case_links(response)


def test_nothing_found_says_so(owner_client, cast: Cast) -> None:
    page = text(owner_client.get(SEARCH, {"q": "zzzz-nobody"}))
    assert "No case reference, subject, claim number or job id matches." in page
    assert "No customer's name, e-mail or phone number matches." in page


def test_one_letter_asks_for_more(owner_client, cast: Cast) -> None:
    assert "Type at least two characters." in text(owner_client.get(SEARCH, {"q": "m"}))


@pytest.fixture
def dupont_family(cast: Cast) -> list[Customer]:
    family = [CustomerFactory(full_name=f"Dupont {name}") for name in ("Anne", "Bruno", "Chloé", "Denis", "Eva")]
    for member in family:
        make_case(customer=member, owner=cast.owner, subject="Router")
    return family


def test_customers_are_paginated_by_keyset(owner_client, dupont_family, monkeypatch) -> None:
    monkeypatch.setattr(selectors, "SEARCH_PAGE_SIZE", 2)
    seen: list[str] = []
    url = f"{SEARCH}?q=dupont"
    for _ in range(4):
        response = owner_client.get(url)
        seen += re.findall(r"<strong>(Dupont [^<]+)</strong>", html(response))
        more = re.search(r'<a href="([^"]+)" rel="next">More customers</a>', html(response))
        if not more:
            break
        url = SEARCH + more.group(1).replace("&amp;", "&")
    assert seen == ["Dupont Anne", "Dupont Bruno", "Dupont Chloé", "Dupont Denis", "Dupont Eva"]


def test_a_customer_with_many_cases_links_to_all_of_them(owner_client, cast: Cast) -> None:
    for n in range(6):
        make_case(customer=cast.customer, owner=cast.owner, subject=f"Case {n}")
    response = owner_client.get(SEARCH, {"q": "Jeanne"})
    assert len(case_links(response)) == selectors.CASES_PER_CUSTOMER
    assert "All 7 cases of Jeanne Martin" in text(response)
    every_case = owner_client.get(SEARCH, {"customer": cast.customer.pk})
    assert len(case_links(every_case)) == 7


def test_query_count_is_the_same_for_few_and_many_results(
    owner_client, cast: Cast, django_assert_max_num_queries
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            owner_client.get(SEARCH, {"q": "dupont"})
        return len(captured.captured_queries)

    CustomerFactory(full_name="Dupont Alone")
    make_case(customer=Customer.objects.get(full_name="Dupont Alone"), owner=cast.owner)
    owner_client.get(SEARCH, {"q": "dupont"})
    few = count()
    for n in range(15):
        member = CustomerFactory(full_name=f"Dupont {n}")
        for _ in range(3):
            make_case(customer=member, owner=cast.owner, subject=f"Dupont router {n}")
    with django_assert_max_num_queries(8):
        owner_client.get(SEARCH, {"q": "dupont"})
    assert count() == few
