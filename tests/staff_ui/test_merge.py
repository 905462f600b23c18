"""The merge pages: managers find the duplicate, read what moves, confirm with a reason; agents
never see the links and are refused the pages."""

import pytest
from django.urls import reverse

from cases.models import Case
from people.models import Customer
from tests.cases.dbstate import nothing_written
from tests.conftest import Cast
from tests.factories import CustomerFactory, make_case
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import text


@pytest.fixture
def duplicate(cast: Cast) -> Customer:
    record = CustomerFactory(full_name="Jeanne Martin", email="j.martin@work.test", phone="", user=None)
    make_case(customer=record, owner=cast.other_agent, subject="Triage: no internet")
    return record


@pytest.fixture
def second_case(cast: Cast) -> Case:
    return make_case(customer=cast.customer, owner=cast.owner, subject="Fibre box dead")


def test_the_case_page_offers_merging_to_managers_only(cast: Cast, second_case: Case) -> None:
    url = reverse("staff:case", args=[cast.case.reference])
    page = text(signed_in(cast.manager).get(url))
    assert "Merge another case of this customer into this case" in page
    assert "Merge a duplicate customer record into this one" in page
    agent_page = text(signed_in(cast.owner).get(url))
    assert "Merge a duplicate customer record" not in agent_page
    assert "into this case" not in agent_page


def test_manager_finds_the_duplicate_customer_and_merges_it(cast: Cast, duplicate: Customer) -> None:
    manager = signed_in(cast.manager)
    pick = manager.get(reverse("staff:customer_merge_pick", args=[cast.customer.pk]))
    assert "Jeanne Martin" in text(pick)
    preview_url = reverse("staff:customer_merge", args=[cast.customer.pk, duplicate.pk])
    assert preview_url in pick.content.decode()
    preview = text(manager.get(preview_url))
    assert "Open cases" in preview and "j.martin@work.test" in preview
    response = manager.post(preview_url, {"reason": "Same person, work address", "take_email": "take"})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    cast.customer.refresh_from_db()
    assert duplicate.merged_into == cast.customer
    assert cast.customer.email == "j.martin@work.test"


def test_a_merge_without_a_reason_is_refused_and_changes_nothing(cast: Cast, duplicate: Customer) -> None:
    url = reverse("staff:customer_merge", args=[cast.customer.pk, duplicate.pk])
    manager = signed_in(cast.manager)
    with nothing_written():
        response = manager.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Nothing was saved" in text(response)


def test_a_refused_merge_explains_why_before_anything_is_tried(cast: Cast) -> None:
    url = reverse("staff:customer_merge", args=[cast.customer.pk, cast.other_customer.pk])
    manager = signed_in(cast.manager)
    assert "own sign-in" in text(manager.get(url))
    with nothing_written():
        response = manager.post(url, {"reason": "Same person"})
    assert response.status_code == 400
    assert "own sign-in" in text(response)


def test_manager_merges_a_case_into_another(cast: Cast, second_case: Case) -> None:
    manager = signed_in(cast.manager)
    pick = manager.get(reverse("staff:case_merge_pick", args=[cast.case.reference]))
    preview_url = reverse("staff:case_merge", args=[cast.case.reference, second_case.reference])
    assert preview_url in pick.content.decode()
    assert "Messages, notes and calls" in text(manager.get(preview_url))
    response = manager.post(preview_url, {"reason": "Same fibre problem"})
    assert response.status_code == 302 and response.url == reverse("staff:case", args=[cast.case.reference])
    page = text(manager.get(response.url))
    assert f"On merged case {second_case.reference}" in page
    assert "Same fibre problem" in page


def test_cases_of_different_customers_are_refused_with_the_reason(cast: Cast) -> None:
    url = reverse("staff:case_merge", args=[cast.case.reference, cast.other_case.reference])
    manager = signed_in(cast.manager)
    assert "different customers" in text(manager.get(url))
    with nothing_written():
        assert manager.post(url, {"reason": "Same"}).status_code == 400


def test_an_agent_is_refused_the_merge_pages(cast: Cast, second_case: Case) -> None:
    agent = signed_in(cast.owner)
    url = reverse("staff:case_merge", args=[cast.case.reference, second_case.reference])
    assert agent.get(url).status_code == 403
    with nothing_written():
        assert agent.post(url, {"reason": "Same"}).status_code == 403
    assert agent.get(reverse("staff:customer_merge_pick", args=[cast.customer.pk])).status_code == 403
