"""My worklist: the cases I own, what needs me first at the top, filtered, paginated by keyset."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import selectors
from cases.models import Case
from cases.services import (
    case_handoff,
    case_set_status,
    claim_file,
    flag_escalate,
    flag_raise,
    message_receive,
    promise_make,
)
from cases.watchers import watch_attention_due
from tests.conftest import Cast
from tests.factories import CustomerFactory, make_case
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import html, text

WORKLIST = reverse("staff:worklist")


def references(response) -> list[str]:
    return re.findall(r'<a href="/staff/cases/([^/]+)/"><strong>', html(response))


@pytest.fixture
def six_cases(cast: Cast) -> dict[str, Case]:
    """Cases of the owner, one for each reason a case comes first, and two quiet ones."""
    owner, customer = cast.owner, cast.customer
    made = {
        name: make_case(customer=customer, owner=owner, subject=name)
        for name in ("escalated", "flagged", "overdue", "waiting", "quiet_old", "quiet_new")
    }
    Case.objects.filter(pk=cast.case.pk).update(
        status="closed", closed_at=timezone.now(), resolved_at=timezone.now(), close_reason="confirmed"
    )
    flag = flag_raise(
        kind="silent_case", subject_key="case:escalated", summary="No contact for 5 days", case=made["escalated"]
    )
    flag_escalate(flag=flag)
    flag_raise(kind="silent_case", subject_key="case:flagged", summary="No contact", case=made["flagged"])
    earlier = timezone.now() - timedelta(hours=3)
    promise_make(actor=owner, case=made["overdue"], text="Call back", due_at=earlier + timedelta(hours=1), now=earlier)
    message_receive(case=made["waiting"], body="Any news?")
    # The promise fell due as the clock passed it, with nobody touching the case: the attention
    # watcher (every minute) counts it.
    watch_attention_due()
    # Quiet cases: the one quiet the longest comes first.
    for days, name in (
        (1, "escalated"),
        (1, "flagged"),
        (1, "overdue"),
        (1, "waiting"),
        (9, "quiet_old"),
        (2, "quiet_new"),
    ):
        Case.objects.filter(pk=made[name].pk).update(last_activity_at=timezone.now() - timedelta(days=days))
    return made


def test_what_needs_me_first_comes_first(owner_client, six_cases: dict[str, Case]) -> None:
    response = owner_client.get(WORKLIST)
    order = [
        six_cases[name].reference for name in ("escalated", "flagged", "overdue", "waiting", "quiet_old", "quiet_new")
    ]
    assert references(response) == order
    page = text(response)
    assert "Flag level 2 No contact with the customer" in page
    assert "Promise overdue" in page and "Customer waiting" in page


def test_closed_cases_are_left_out_unless_asked_for(owner_client, cast: Cast, six_cases) -> None:
    assert cast.case.reference not in references(owner_client.get(WORKLIST))
    assert references(owner_client.get(WORKLIST + "?status=closed")) == [cast.case.reference]


def test_keyset_pages_cover_every_case_once(owner_client, six_cases, monkeypatch) -> None:
    monkeypatch.setattr(selectors, "WORKLIST_PAGE_SIZE", 4)
    first = owner_client.get(WORKLIST)
    assert len(references(first)) == 4
    following = re.search(r'<a href="([^"]+)" rel="next">Next cases</a>', html(first)).group(1).replace("&amp;", "&")
    assert "after=" in following
    second = owner_client.get(WORKLIST + following)
    assert len(references(second)) == 2
    assert 'rel="next"' not in html(second)
    assert "Back to the first page" in text(second)
    assert set(references(first)) | set(references(second)) == {c.reference for c in six_cases.values()}


def test_a_tampered_cursor_shows_the_first_page(owner_client, six_cases) -> None:
    assert references(owner_client.get(WORKLIST + "?after=bogus"))[0] == six_cases["escalated"].reference


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=waiting_customer", ["waiting"]),
        ("priority=urgent", ["overdue"]),
        ("department=insurance", ["quiet_new"]),
        ("flag_kind=silent_case", ["escalated", "flagged"]),
        ("q=quiet", ["quiet_old", "quiet_new"]),
    ],
)
def test_filters(owner_client, six_cases, owner, query: str, expected: list[str]) -> None:
    case_set_status(actor=owner, case=six_cases["waiting"], status="waiting_customer")
    Case.objects.filter(pk=six_cases["overdue"].pk).update(priority="urgent")
    claim_file(actor=owner, case=six_cases["quiet_new"], insurer="Axa", policy_holder="customer")
    Case.objects.filter(pk=six_cases["quiet_new"].pk).update(last_activity_at=timezone.now() - timedelta(days=2))
    assert references(owner_client.get(f"{WORKLIST}?{query}")) == [six_cases[name].reference for name in expected]


def test_search_by_customer_name_or_reference(owner_client, cast: Cast) -> None:
    other = make_case(customer=CustomerFactory(full_name="Louis Bernard"), owner=cast.owner, subject="Router")
    assert references(owner_client.get(WORKLIST + "?q=bernard")) == [other.reference]
    assert references(owner_client.get(WORKLIST + f"?q={cast.case.reference}")) == [cast.case.reference]


def test_a_bad_filter_value_is_shown_as_an_error(owner_client, six_cases) -> None:
    response = owner_client.get(WORKLIST + "?status=lost&q=quiet")
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert references(response) == [six_cases["quiet_old"].reference, six_cases["quiet_new"].reference]


def test_manager_opens_a_team_members_worklist(cast: Cast, six_cases) -> None:
    response = signed_in(cast.manager).get(f"{WORKLIST}?owner={cast.owner.pk}")
    assert "Cases owned by Olivia Owner" in text(response)
    assert len(references(response)) == 6


def test_handoffs_waiting_for_me_are_listed_first(cast: Cast) -> None:
    case_handoff(actor=cast.owner, case=cast.case, to_user=cast.other_agent, reason="Field visit", summary="Read me")
    page = text(signed_in(cast.other_agent).get(WORKLIST))
    assert "Handed to you: read the summary first" in page
    assert f"{cast.case.reference} — Fibre installation" in page


def test_empty_worklist_says_nothing_waits(cast: Cast) -> None:
    assert "No open cases. Nothing waits for you." in text(signed_in(cast.head).get(WORKLIST))


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_query_count_is_the_same_for_3_and_30_cases(owner_client, cast: Cast, django_assert_max_num_queries) -> None:
    def add(n: int) -> None:
        for i in range(n):
            case = make_case(customer=cast.customer, owner=cast.owner, subject=f"Case {i}")
            flag_raise(kind="silent_case", subject_key=f"case:{case.pk}", summary="Quiet", case=case)
            message_receive(case=case, body="Hello?")

    add(2)
    owner_client.get(WORKLIST)
    few = _count(owner_client, WORKLIST)
    add(27)
    with django_assert_max_num_queries(10):
        owner_client.get(WORKLIST)
    assert _count(owner_client, WORKLIST) == few


def test_a_call_back_request_has_its_own_flag_filter(owner_client, cast: Cast) -> None:
    from cases.services.selfservice import callback_request

    survey_like = make_case(customer=CustomerFactory(full_name="Louis Bernard"), owner=cast.owner, subject="Plans")
    flag_raise(kind="contact_request", subject_key="survey:1", summary="Wants to talk", case=survey_like)
    starts_at = timezone.now() + timedelta(hours=20)
    callback_request(
        actor=cast.customer.user,
        case=cast.case,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        phone="0478251407",
    )
    page = owner_client.get(WORKLIST)
    assert '<option value="callback_request">Customer asks to be called back</option>' in html(page)
    assert references(owner_client.get(f"{WORKLIST}?flag_kind=callback_request")) == [cast.case.reference]
    assert references(owner_client.get(f"{WORKLIST}?flag_kind=contact_request")) == [survey_like.reference]
