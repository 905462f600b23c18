"""Who reaches the staff pages: staff only. Anonymous visitors sign in first; customers,
delegates, contractor users and administrators without a staff profile get a 404."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from cases.models import Message, TimelineEvent
from cases.services import specialist_add
from tests.conftest import Cast
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import case_url, html, text

PAGES = ["staff:worklist", "staff:flags", "staff:search", "staff:alerts"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitor_is_sent_to_sign_in_and_comes_back(client, name: str, db) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse(name)}"


@pytest.mark.parametrize("who", ["customer", "delegate", "contractor_user", "administrator"])
def test_people_outside_staff_get_not_found_on_every_staff_page(cast: Cast, who: str) -> None:
    user = cast.customer.user if who == "customer" else getattr(cast, who)
    client = signed_in(user)
    for url in [reverse(name) for name in PAGES] + [case_url(cast.case), reverse("staff:team")]:
        assert client.get(url).status_code == 404, url
    assert client.post(case_url(cast.case, "staff:case_note"), {"note-body": "hello"}).status_code == 404
    assert not Message.objects.filter(body="hello").exists()


def test_a_case_that_does_not_exist_looks_like_one_that_is_hidden(owner_client, db) -> None:
    assert owner_client.get(reverse("staff:case", args=["CS-1999-000001"])).status_code == 404


def test_colleague_who_may_not_change_the_case_reads_it_without_change_forms(cast: Cast) -> None:
    response = signed_in(cast.other_agent).get(case_url(cast.case))
    page = html(response)
    assert response.status_code == 200
    assert "Only its owner, their manager" in text(response)
    assert case_url(cast.case, "staff:case_reply") not in page
    assert case_url(cast.case, "staff:promise_make") not in page
    assert case_url(cast.case, "staff:case_handoff") not in page
    # Whoever picks up the phone can still record it.
    assert case_url(cast.case, "staff:case_form", "note") in page
    assert case_url(cast.case, "staff:case_form", "call") in page
    assert case_url(cast.case, "staff:case_form", "promise") not in page


CHANGES = [
    ("staff:case_reply", {"reply-body": "Hello", "reply-channel": "email"}),
    ("staff:promise_make", {"promise-kind": "general", "promise-text": "x", "promise-due_at": "2099-01-01T10:00"}),
    ("staff:case_resolve", {"resolve-summary": "Done"}),
    ("staff:case_status", {"status-status": "waiting_customer"}),
    ("staff:claim_file", {"claim-insurer": "Axa", "claim-policy_holder": "customer"}),
    ("staff:case_handoff", {"handoff-reason": "x", "handoff-summary": "y"}),
]


@pytest.mark.parametrize(("name", "data"), CHANGES)
def test_colleague_who_may_not_change_the_case_is_refused_and_nothing_is_written(
    cast: Cast, name: str, data: dict[str, str]
) -> None:
    before = TimelineEvent.objects.count()
    response = signed_in(cast.other_agent).post(case_url(cast.case, name), data)
    assert response.status_code == 403
    assert "Nothing was changed" in text(response)
    assert TimelineEvent.objects.count() == before


def test_colleague_may_log_a_call_and_add_a_note_on_any_case(cast: Cast) -> None:
    client = signed_in(cast.other_agent)
    assert client.post(case_url(cast.case, "staff:case_note"), {"note-body": "Took her call"}).status_code == 302
    response = client.post(
        case_url(cast.case, "staff:case_call"), {"call-inbound": "true", "call-summary": "She asked about Monday"}
    )
    assert response.status_code == 302
    assert set(Message.objects.filter(case=cast.case).values_list("channel", flat=True)) == {"note", "phone"}


def test_specialist_added_to_the_case_may_change_it_but_not_hand_it_off(cast: Cast) -> None:
    specialist_add(actor=cast.owner, case=cast.case, user=cast.other_agent)
    client = signed_in(User.objects.get(pk=cast.other_agent.pk))
    page = html(client.get(case_url(cast.case)))
    assert case_url(cast.case, "staff:case_reply") in page
    assert case_url(cast.case, "staff:case_handoff") not in page
    assert client.get(case_url(cast.case, "staff:case_handoff")).status_code == 403


def test_manager_of_the_owner_may_change_the_case(cast: Cast) -> None:
    response = signed_in(cast.manager).post(
        case_url(cast.case, "staff:case_reply"), {"reply-body": "Your manager here.", "reply-channel": "email"}
    )
    assert response.status_code == 302
    assert Message.objects.filter(case=cast.case, author=cast.manager).exists()


def test_change_urls_refuse_get(owner_client, case) -> None:
    assert owner_client.get(case_url(case, "staff:case_reply")).status_code == 405
