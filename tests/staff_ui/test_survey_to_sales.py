"""The owner of a closed case whose customer asked, in their survey, to talk about their services
hands them to sales in one click, the summary written from the survey."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cases.models import Case, Handoff
from cases.services import survey_submit
from tests.cases.dbstate import nothing_written
from tests.cases.steps import close_by_confirmation
from tests.conftest import Cast
from tests.factories import DepartmentFactory, make_staff
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import assert_field_error, case_url, html, text

SUMMARY = "Survey on {reference}: 4/5. The customer wrote: “A faster plan for home working?”."


@pytest.fixture
def sales_agent(db) -> User:
    return make_staff("samir", department=DepartmentFactory(code="sales", name="Sales"), first_name="Samir")


@pytest.fixture
def asked(cast: Cast, sales_agent: User) -> Case:
    close_by_confirmation(cast.case, cast.owner)
    survey_submit(
        actor=cast.customer.user, case=cast.case, score=4, comment="A faster plan for home working?", wants_contact=True
    )
    return Case.objects.get(pk=cast.case.pk)


def test_the_owner_sees_the_button_with_the_survey_as_summary(owner_client: Client, asked: Case) -> None:
    page = html(owner_client.get(case_url(asked)))
    assert 'action="/staff/cases/' in page and "/survey/to-sales/" in page
    assert "Hand off to sales" in page
    assert "csrfmiddlewaretoken" in page
    summary = SUMMARY.format(reference=asked.reference)
    assert summary.replace("“", "&ldquo;").replace("”", "&rdquo;") in page or summary in text(
        owner_client.get(case_url(asked))
    )


def test_one_click_hands_a_new_sales_case_to_sales(owner_client: Client, asked: Case, sales_agent: User) -> None:
    summary = SUMMARY.format(reference=asked.reference)
    response = owner_client.post(case_url(asked, "staff:case_survey_to_sales"), {"survey_sales-summary": summary})
    assert response.status_code == 302
    handoff = Handoff.objects.get(to_user=sales_agent)
    assert handoff.summary == summary and handoff.case.customer == asked.customer
    assert handoff.case.owner == sales_agent
    followed = text(owner_client.get(response.url))
    assert f"{handoff.case.reference} is now with Samir" in followed
    assert "Hand off to sales" not in followed  # once only


def test_others_are_refused_and_nothing_is_written(cast: Cast, asked: Case, sales_agent: User) -> None:
    url = case_url(asked, "staff:case_survey_to_sales")
    for colleague in (cast.other_agent, sales_agent):
        client = signed_in(colleague)
        assert "Hand off to sales" not in html(client.get(case_url(asked)))
        with nothing_written():
            assert client.post(url, {"survey_sales-summary": "Faster plan"}).status_code == 403
    # The staff pages do not exist for the customer's side.
    for customer_side in (cast.customer.user, cast.delegate):
        client = signed_in(customer_side)
        with nothing_written():
            assert client.post(url, {"survey_sales-summary": "x"}).status_code == 404


def test_an_empty_summary_is_a_form_error(owner_client: Client, asked: Case) -> None:
    with nothing_written():
        response = owner_client.post(case_url(asked, "staff:case_survey_to_sales"), {"survey_sales-summary": " "})
    assert response.status_code == 400
    assert_field_error(response, "id_survey_sales-summary", "summary the sales advisor will read first")


def test_no_button_without_a_request_to_talk(owner_client: Client, cast: Cast, sales_agent: User) -> None:
    close_by_confirmation(cast.case, cast.owner)
    survey_submit(actor=cast.customer.user, case=cast.case, score=4)
    assert "Hand off to sales" not in html(owner_client.get(case_url(cast.case)))
