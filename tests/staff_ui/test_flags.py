"""The flags queue: my flags; for managers, their team's escalated ones; acknowledge."""

import re

import pytest
from django.urls import reverse

from cases import selectors
from cases.models import Flag
from cases.services import flag_escalate, flag_raise
from tests.conftest import Cast
from tests.factories import make_case
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import html, text

FLAGS = reverse("staff:flags")


@pytest.fixture
def flag(cast: Cast) -> Flag:
    return flag_raise(kind="stale_promise", subject_key="promise:1", summary="Call back is late", case=cast.case)


def test_owner_sees_their_flag(owner_client, flag: Flag) -> None:
    page = text(owner_client.get(FLAGS))
    assert "Promise past due Call back is late" in page
    assert "Level 1" in page


def test_colleague_does_not_see_someone_elses_flags(cast: Cast, flag: Flag) -> None:
    assert "Call back is late" not in text(signed_in(cast.other_agent).get(FLAGS))


def test_manager_sees_flags_escalated_from_their_team_even_past_them(cast: Cast, flag: Flag) -> None:
    assert "Call back is late" not in text(signed_in(cast.manager).get(FLAGS))  # level 1: the owner's alone
    flag_escalate(flag=flag)
    flag_escalate(flag=Flag.objects.get(pk=flag.pk))
    assert Flag.objects.get(pk=flag.pk).assignee == cast.head
    page = text(signed_in(cast.manager).get(FLAGS))
    assert "Call back is late" in page and "Level 3" in page


def test_acknowledge_without_javascript_returns_to_the_queue(owner_client, cast: Cast, flag: Flag) -> None:
    response = owner_client.post(reverse("staff:flag_acknowledge", args=[flag.pk]), {"next": FLAGS})
    assert response.status_code == 302 and response.url == f"{FLAGS}?acknowledged={flag.pk}"
    flag.refresh_from_db()
    assert flag.acknowledged_by == cast.owner
    assert "Flag acknowledged: Call back is late" in text(owner_client.get(FLAGS))


def test_acknowledge_with_htmx_returns_only_the_row(owner_client, flag: Flag) -> None:
    response = owner_client.post(reverse("staff:flag_acknowledge", args=[flag.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert html(response).lstrip().startswith(f'<tr id="flag-{flag.pk}"')
    assert "Acknowledged" in text(response)


def test_a_row_answered_to_htmx_sends_its_forms_back_to_the_queue_it_stands_on(owner_client, cast: Cast) -> None:
    """The dismiss form of a row swapped in by htmx must come back to the queue, not to the
    acknowledge address it was answered from (a GET there is refused)."""
    incident = flag_raise(
        kind="emerging_incident", subject_key="incident:1", summary="Outage?", case=None, assignee=cast.owner
    )
    queue = f"{FLAGS}?mine=1"
    response = owner_client.post(
        reverse("staff:flag_acknowledge", args=[incident.pk]), {"next": queue}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert re.findall(r'name="next" value="([^"]*)"', html(response)) == [queue.replace("&", "&amp;")]
    dismissed = owner_client.post(
        reverse("staff:flag_dismiss", args=[incident.pk]), {"next": queue, "note": "Nothing is down"}
    )
    assert dismissed.status_code == 302 and owner_client.get(dismissed.url).status_code == 200


def test_acknowledge_never_redirects_away_from_the_site(owner_client, flag: Flag) -> None:
    response = owner_client.post(reverse("staff:flag_acknowledge", args=[flag.pk]), {"next": "https://evil.example/"})
    assert response.url == f"{FLAGS}?acknowledged={flag.pk}"


def test_colleague_who_may_not_work_on_the_case_cannot_acknowledge(cast: Cast, flag: Flag) -> None:
    response = signed_in(cast.other_agent).post(reverse("staff:flag_acknowledge", args=[flag.pk]))
    assert response.status_code == 403
    assert Flag.objects.get(pk=flag.pk).acknowledged_at is None


def test_cleared_flag_cannot_be_acknowledged(owner_client, flag: Flag) -> None:
    from cases.services import flags_clear

    flags_clear(kind=flag.kind, subject_key=flag.subject_key, note="kept")
    response = owner_client.post(reverse("staff:flag_acknowledge", args=[flag.pk]), {"next": FLAGS}, follow=True)
    assert "This flag has already been cleared." in text(response)
    assert Flag.objects.get(pk=flag.pk).acknowledged_at is None


def test_flags_queue_pages_by_keyset(owner_client, cast: Cast, monkeypatch) -> None:
    monkeypatch.setattr(selectors, "FLAGS_PAGE_SIZE", 2)
    for n in range(3):
        flag_raise(kind="silent_case", subject_key=f"case:x{n}", summary=f"Quiet case {n}", case=cast.case)
    first = owner_client.get(FLAGS)
    assert html(first).count('<tr id="flag-') == 2
    following = re.search(r'<a href="([^"]+)" rel="next">', html(first)).group(1).replace("&amp;", "&")
    second = owner_client.get(FLAGS + following)
    assert html(second).count('<tr id="flag-') == 1


def test_queue_query_count_does_not_grow(owner_client, cast: Cast, django_assert_max_num_queries) -> None:
    for n in range(25):
        case = make_case(customer=cast.customer, owner=cast.owner, subject=f"Case {n}")
        flag_raise(kind="silent_case", subject_key=f"case:{case.pk}", summary="Quiet", case=case)
    with django_assert_max_num_queries(7):
        owner_client.get(FLAGS)


def test_escalated_flags_of_one_case_are_one_row_group_on_the_manager_and_head_lists(cast: Cast) -> None:
    flags = [
        flag_raise(kind="stale_promise", subject_key=f"promise:{n}", summary=f"Late {n}", case=cast.case)
        for n in range(3)
    ]
    other = make_case(customer=cast.customer, owner=cast.owner, subject="Another case")
    lone = flag_raise(kind="silent_case", subject_key=f"case:{other.pk}", summary="Quiet", case=other)
    for flag in [*flags, lone]:
        flag_escalate(flag=flag)

    def groups(user) -> list[str]:
        page = html(signed_in(user).get(FLAGS))
        return re.findall(r'<tbody class="flag-group"[^>]*>(.*?)</tbody>', page, re.S)

    by_case = {
        re.search(r"<th scope=\"rowgroup\"[^>]*>.*?>([^<]+)</a>", g, re.S).group(1): g for g in groups(cast.manager)
    }
    assert sorted(by_case) == sorted([cast.case.reference, other.reference])
    assert by_case[cast.case.reference].count('<tr id="flag-') == 3 and "3 flags" in by_case[cast.case.reference]
    assert by_case[other.reference].count('<tr id="flag-') == 1

    for flag in flags:
        flag_escalate(flag=Flag.objects.get(pk=flag.pk))
    assert [g.count('<tr id="flag-') for g in groups(cast.head)] == [3]  # level 3: the head's list

    # "With me" stays one row per flag, as the header counts them.
    assert html(signed_in(cast.head).get(FLAGS + "?mine=1")).count('<tr id="flag-') == 3
    assert 'class="flag-group"' not in html(signed_in(cast.owner).get(FLAGS))
