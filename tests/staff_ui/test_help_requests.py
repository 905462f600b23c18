"""Asking a colleague for help from the case page, and finding what colleagues ask of you on
the worklist until you answer."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from cases.models import Case, Flag, Message
from cases.services import note_add
from tests.cases.dbstate import nothing_written
from tests.factories import make_case, make_staff
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import assert_field_error, case_url, folded_form, html, text

WORKLIST = reverse("staff:worklist")


@pytest.fixture
def helper(department) -> User:
    return make_staff("samir", department=department, first_name="Samir", last_name="Helper")


def _help_flags(case: Case) -> list[Flag]:
    return list(Flag.objects.filter(case=case, kind=Flag.Kind.HELP_REQUESTED, cleared_at__isnull=True))


def _section(response, heading_id: str) -> str:
    found = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html(response), re.S)
    return found.group(0) if found else ""


def test_a_mention_in_the_note_asks_the_colleague(owner_client, case: Case, helper: User) -> None:
    response = owner_client.post(case_url(case, "staff:case_note"), {"note-body": "@samir is the street box booked?"})
    assert response.status_code == 302
    [flag] = _help_flags(case)
    assert flag.assignee == helper
    followed = owner_client.get(response.url)
    assert "Internal note added. Asked for help: Samir Helper. They have been told." in text(followed)


def test_a_colleague_chosen_in_the_list_is_asked_without_typing_a_name(
    owner_client, case: Case, helper: User, other_agent: User
) -> None:
    response = owner_client.post(
        case_url(case, "staff:case_note"),
        {"note-body": "Could one of you check the cable photos?", "note-ask_help": [helper.pk, other_agent.pk]},
    )
    assert response.status_code == 302
    assert sorted(f.assignee.username for f in _help_flags(case)) == ["agent2", "samir"]


def test_the_note_form_offers_colleagues_but_not_the_writer(owner_client, case: Case, helper: User) -> None:
    page = html(folded_form(owner_client, case, "note"))
    select = re.search(r'<select[^>]*name="note-ask_help".*?</select>', page, re.S).group(0)
    assert 'id="id_note-ask_help"' in select and "multiple" in select
    assert '<label for="id_note-ask_help">Ask for help from (optional)</label>' in page
    assert "Samir Helper" in select
    assert "Olivia Owner" not in select


def test_an_unknown_name_is_refused_on_the_field_with_the_note_kept(owner_client, case: Case, helper: User) -> None:
    body = "@samir and @nobdy: is the street box booked?"
    with nothing_written():
        response = owner_client.post(case_url(case, "staff:case_note"), {"note-body": body})
    assert response.status_code == 400
    assert "Nothing was saved" in text(response)
    assert_field_error(response, "id_note-body", "Nobody among the active staff is called @nobdy.")
    assert body in text(response)


def test_a_chosen_colleague_who_left_meanwhile_is_refused(owner_client, case: Case, helper: User) -> None:
    helper.is_active = False
    helper.save()
    with nothing_written():
        response = owner_client.post(
            case_url(case, "staff:case_note"), {"note-body": "Please look", "note-ask_help": [helper.pk]}
        )
    assert response.status_code == 400
    assert 'id="id_note-ask_help_error"' in html(response)


def test_the_case_page_shows_who_was_asked_and_when(
    owner_client, case: Case, owner: User, helper: User, other_agent: User
) -> None:
    note_add(actor=owner, case=case, body="@samir is the street box booked?")
    page = owner_client.get(case_url(case))
    section = _section(page, "help-heading")
    assert "Help asked of colleagues" in section
    assert f"Olivia Owner asks Samir Helper for help on {case.reference}" in section
    assert "waiting for an answer on the case" in section
    assert "Answer with a note" not in section  # the owner is not the one asked
    assert "1 colleague asked for help" in text(page)
    # Not among the owner's own flags.
    assert "asks Samir Helper" not in _section(page, "flags-heading")

    as_helper = signed_in(helper).get(case_url(case))
    assert "Answer with a note, a logged call or a reply to the customer" in _section(as_helper, "help-heading")


def test_the_worklist_lists_the_cases_colleagues_ask_help_on_until_answered(
    case: Case, owner: User, helper: User
) -> None:
    note_add(actor=owner, case=case, body="@samir is the street box booked?")
    client = signed_in(helper)
    section = _section(client.get(WORKLIST), "help-requests-heading")
    assert "Colleagues asking for your help" in section
    assert f"/staff/cases/{case.reference}/#help" in section
    assert case.subject in section and "owner Olivia Owner" in section
    assert "You own no open case." in text(client.get(WORKLIST))

    response = client.post(case_url(case, "staff:case_note"), {"note-body": "Booked for Tuesday."})
    assert response.status_code == 302
    assert _help_flags(case) == []
    assert "Colleagues asking for your help" not in text(client.get(WORKLIST))


def test_the_request_is_not_the_owners_need_and_shows_on_nobody_elses_worklist(
    owner_client, case: Case, owner: User, helper: User, manager: User
) -> None:
    note_add(actor=owner, case=case, body="@samir is the street box booked?")
    mine = owner_client.get(WORKLIST)
    assert "Colleagues asking for your help" not in text(mine)
    assert "A colleague asks for your help" not in text(mine)
    # The manager looking at the helper's cases sees the helper's owned cases, not their requests.
    theirs = signed_in(manager).get(WORKLIST + f"?owner={helper.pk}")
    assert "Colleagues asking for your help" not in text(theirs)


def test_the_worklist_shows_requests_in_few_queries(
    case: Case, owner: User, helper: User, customer, django_assert_max_num_queries
) -> None:
    for n in range(5):
        other = make_case(customer=customer, owner=owner, subject=f"Case {n}")
        note_add(actor=owner, case=other, body="@samir again?")
    client = signed_in(helper)
    client.get(WORKLIST)
    with django_assert_max_num_queries(11):
        response = client.get(WORKLIST)
    assert len(re.findall(r"#help\"", _section(response, "help-requests-heading"))) == 5


def test_the_note_is_shown_escaped(owner_client, case: Case, owner: User, helper: User) -> None:
    note_add(actor=owner, case=case, body="@samir <script>alert(1)</script> please")
    page = html(owner_client.get(case_url(case)))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert Message.objects.filter(case=case, is_internal=True).count() == 1
