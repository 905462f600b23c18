"""Editing a case and its customer, and adding or removing a specialist, from the case page."""

import re

import pytest
from django.contrib.auth.models import User

from cases.models import Case, TimelineEvent
from cases.services import specialist_add
from people.models import Customer
from tests.cases.dbstate import nothing_written
from tests.conftest import Cast
from tests.factories import make_staff
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import assert_field_error, case_url, folded_form, html, text


def customer_form(customer: Customer, **changes: str) -> dict[str, str]:
    """The customer form as the page fills it, with some fields changed."""
    fields = (
        "full_name",
        "phone",
        "email",
        "address",
        "postcode",
        "preferred_channel",
        "language",
        "vulnerability_notes",
        "access_notes",
    )
    data = {f"customer-{name}": getattr(customer, name) for name in fields}
    data.update({f"customer-{name}": value for name, value in changes.items()})
    return data


def specialist_select(response) -> str:
    found = re.search(r'<select name="specialist-user".*?</select>', html(response), re.S)
    assert found, "no colleague to choose from"
    return found.group(0)


def refused(client, case: Case, name: str, data: dict, *more: object):
    with nothing_written():
        response = client.post(case_url(case, name, *more), data)
    assert response.status_code == 400
    assert "Nothing was saved" in text(response)
    return response


# --- the edit forms -------------------------------------------------------------------------


def test_the_owner_sees_both_edit_forms_filled_with_what_is_recorded(owner_client, case: Case) -> None:
    assert 'id="edit"' in html(owner_client.get(case_url(case)))
    page = html(folded_form(owner_client, case, "edit")) + html(folded_form(owner_client, case, "customer"))
    assert f'action="{case_url(case, "staff:case_edit")}"' in page
    assert f'action="{case_url(case, "staff:customer_edit")}"' in page
    assert 'name="edit-subject" value="Fibre installation"' in page
    assert 'name="customer-full_name" value="Jeanne Martin"' in page
    assert "89 years old</textarea>" in page
    assert '<label for="id_customer-vulnerability_notes">Vulnerability notes</label>' in page


def test_a_read_only_colleague_gets_no_edit_form(cast: Cast) -> None:
    page = html(signed_in(cast.other_agent).get(case_url(cast.case)))
    assert 'id="edit"' not in page
    assert "staff:case_edit" not in page and 'name="edit-subject"' not in page


def test_editing_the_case_saves_it_and_shows_the_change_on_the_timeline(owner_client, case: Case) -> None:
    response = owner_client.post(
        case_url(case, "staff:case_edit"),
        {"edit-subject": "Fibre and heating leak", "edit-priority": "high", "edit-human_impact": "No heating"},
    )
    assert response.status_code == 302
    assert response.url == case_url(case) + "#edit"
    case.refresh_from_db()
    assert (case.subject, case.priority, case.human_impact) == ("Fibre and heating leak", "high", "No heating")
    page = text(owner_client.get(response.url))
    assert "Case details saved." in page
    assert "Subject: Fibre installation → Fibre and heating leak" in page
    assert "Priority: Normal → High" in page
    assert "Impact on the customer: No heating" in page


def test_a_refused_case_edit_keeps_what_was_typed_and_says_why(owner_client, case: Case) -> None:
    response = refused(
        owner_client,
        case,
        "staff:case_edit",
        {"edit-subject": "   ", "edit-priority": "normal", "edit-human_impact": "Cannot work from home"},
    )
    assert_field_error(response, "id_edit-subject", "Write a subject.")
    assert "Cannot work from home" in html(response)
    assert '<details id="case-edit-form" open>' in html(response)


def test_editing_the_customer_saves_it_and_keeps_the_version(owner_client, case: Case) -> None:
    customer = case.customer
    data = customer_form(customer, vulnerability_notes="89 years old, hard of hearing", phone="+33 4 78 00 11 22")
    response = owner_client.post(case_url(case, "staff:customer_edit"), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.vulnerability_notes == "89 years old, hard of hearing"
    assert customer.history.first().history_user.username == "owner"
    page = text(owner_client.get(response.url))
    assert "Customer details saved." in page
    assert "Vulnerability notes: 89 years old → 89 years old, hard of hearing" in page
    assert "Take care: 89 years old, hard of hearing" in page
    assert TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.DETAILS_CHANGED).count() == 2


def test_a_refused_customer_edit_lands_on_its_field(owner_client, case: Case) -> None:
    data = customer_form(case.customer, email="not-an-address", access_notes="Ring twice")
    response = refused(owner_client, case, "staff:customer_edit", data)
    assert_field_error(response, "id_customer-email", "Enter a valid e-mail address.")
    assert "Ring twice" in html(response)
    assert '<details id="customer-edit-form" open>' in html(response)


def test_unchanged_forms_write_nothing(owner_client, case: Case) -> None:
    with nothing_written():
        response = owner_client.post(case_url(case, "staff:customer_edit"), customer_form(case.customer))
    assert response.status_code == 302


def test_a_read_only_colleague_is_refused(cast: Cast) -> None:
    client = signed_in(cast.other_agent)
    with nothing_written():
        response = client.post(
            case_url(cast.case, "staff:case_edit"),
            {"edit-subject": "Mine", "edit-priority": "normal", "edit-human_impact": ""},
        )
    assert response.status_code == 403
    with nothing_written():
        response = client.post(case_url(cast.case, "staff:customer_edit"), customer_form(cast.case.customer))
    assert response.status_code == 403


# --- specialists ----------------------------------------------------------------------------


@pytest.fixture
def colleague(owner: User) -> User:
    return make_staff("claims", department=owner.staff_profile.department, first_name="Hélène", last_name="Claims")


def test_no_specialist_yet_is_said_and_the_owner_may_add_one(owner_client, case: Case, colleague: User) -> None:
    page = owner_client.get(case_url(case))
    assert "No colleague has been added to help on this case." in text(page)
    offered = specialist_select(folded_form(owner_client, case, "specialist"))
    assert f'<option value="{colleague.pk}">Hélène Claims — Customer relations, Agent</option>' in offered
    assert f'<option value="{case.owner_id}">' not in offered


def test_adding_a_specialist_lets_them_work_on_the_case(owner_client, case: Case, colleague: User) -> None:
    response = owner_client.post(case_url(case, "staff:specialist_add"), {"specialist-user": str(colleague.pk)})
    assert response.status_code == 302
    assert response.url == case_url(case) + "#specialists"
    page = owner_client.get(response.url)
    assert "Hélène Claims may now work on this case." in text(page)
    assert "Hélène Claims, Customer relations" in text(page)
    assert "Hélène Claims added as a specialist on the case." in text(page)
    assert f'action="{case_url(case, "staff:specialist_remove", colleague.pk)}"' in html(page)
    # Already helping: no longer offered.
    assert f'<option value="{colleague.pk}">' not in specialist_select(folded_form(owner_client, case, "specialist"))
    assert "Status and resolution" in text(signed_in(colleague).get(case_url(case)))


def test_adding_nobody_is_refused_on_the_field(owner_client, case: Case) -> None:
    response = refused(owner_client, case, "staff:specialist_add", {"specialist-user": ""})
    assert_field_error(response, "id_specialist-user", "This field is required.")


def test_removing_a_specialist(owner_client, owner: User, case: Case, colleague: User) -> None:
    specialist_add(actor=owner, case=case, user=colleague)
    response = owner_client.post(case_url(case, "staff:specialist_remove", colleague.pk))
    assert response.status_code == 302
    page = owner_client.get(response.url)
    assert "Hélène Claims no longer works on this case." in text(page)
    assert "Hélène Claims is no longer a specialist on the case." in text(page)
    assert "No colleague has been added to help on this case." in text(page)
    assert signed_in(colleague).post(case_url(case, "staff:case_edit"), {}).status_code == 403


def test_removing_someone_who_is_not_a_specialist_is_not_found(owner_client, case: Case, colleague: User) -> None:
    with nothing_written():
        response = owner_client.post(case_url(case, "staff:specialist_remove", colleague.pk))
    assert response.status_code == 404


def test_a_read_only_colleague_sees_the_specialists_but_may_not_change_them(cast: Cast, colleague: User) -> None:
    specialist_add(actor=cast.owner, case=cast.case, user=colleague)
    client = signed_in(cast.other_agent)
    page = client.get(case_url(cast.case))
    assert "Hélène Claims, Customer relations" in text(page)
    assert "staff:specialist" not in html(page) and 'name="specialist-user"' not in html(page)
    assert f'action="{case_url(cast.case, "staff:specialist_remove", colleague.pk)}"' not in html(page)
    with nothing_written():
        response = client.post(case_url(cast.case, "staff:specialist_remove", colleague.pk))
    assert response.status_code == 403
