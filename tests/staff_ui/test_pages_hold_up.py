"""Pages that hold up (issue 11, item 10): the header's flag count, the flags page, the case
page's open flags and the notifications agree and link to each other; the focus lands where
the reader continues; the case page puts the conversation and the actions first."""

import re

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from cases import selectors
from cases.models import Flag
from cases.services import flag_acknowledge, flag_escalate, flag_raise, flags_clear, message_receive
from cases.watchers import watch_escalations
from tests.conftest import Cast
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import case_url, html, text

FLAGS = reverse("staff:flags")
MINE = FLAGS + "?mine=1"
NOTIFICATIONS = reverse("staff:notifications")


def raise_flag(cast: Cast, summary: str = "Call back is late", key: str = "promise:1") -> Flag:
    return flag_raise(kind="stale_promise", subject_key=key, summary=summary, case=cast.case)


def header_count(client: Client) -> int:
    """The number in the header's flag link, which must lead to my flags."""
    link = re.search(r'<a class="flag-count[^"]*" href="([^"]+)">\s*(\d+) flags? waiting', html(client.get(FLAGS)))
    assert link, "no flag count link in the header"
    assert link.group(1).replace("&amp;", "&") == MINE
    return int(link.group(2))


def rows_with_me(client: Client) -> list[str]:
    return re.findall(r'<tr id="flag-(\d+)"', html(client.get(MINE)))


def waiting_in_notifications(client: Client) -> int:
    found = re.search(r"(\d+) flags? (?:is|are) waiting for you now", text(client.get(NOTIFICATIONS)))
    assert found, "the notifications page does not say how many flags wait"
    return int(found.group(1))


def assert_all_agree(client: Client, user: User, expected: int) -> None:
    assert selectors.flags_waiting_for(user).count() == expected
    assert header_count(client) == expected
    assert len(rows_with_me(client)) == expected
    assert waiting_in_notifications(client) == expected


# --- (b) one count, everywhere, with links both ways -------------------------------------------


def test_header_flags_page_case_page_and_notifications_agree_through_a_flags_life(
    owner_client: Client, cast: Cast
) -> None:
    assert_all_agree(owner_client, cast.owner, 0)

    flag = raise_flag(cast)
    assert_all_agree(owner_client, cast.owner, 1)
    case_page = html(owner_client.get(case_url(cast.case)))
    assert f'id="case-flag-{flag.pk}"' in case_page
    assert f'href="{MINE}#flag-{flag.pk}"' in case_page
    notifications = html(owner_client.get(NOTIFICATIONS))
    assert f'href="{MINE}#flag-{flag.pk}">Waiting for you in your flags' in notifications
    assert f'href="{case_url(cast.case)}#case-flag-{flag.pk}"' in notifications

    flag_acknowledge(flag=flag, actor=cast.owner)
    assert_all_agree(owner_client, cast.owner, 1)  # seen, but still open until its cause is fixed
    assert "Acknowledged" in text(owner_client.get(NOTIFICATIONS))
    assert "Acknowledged" in text(owner_client.get(case_url(cast.case)))

    flags_clear(kind=flag.kind, subject_key=flag.subject_key, note="kept")
    assert_all_agree(owner_client, cast.owner, 0)
    assert f'id="case-flag-{flag.pk}"' not in html(owner_client.get(case_url(cast.case)))
    notifications = html(owner_client.get(NOTIFICATIONS))
    assert "Cleared" in notifications and f"#flag-{flag.pk}" not in notifications


def test_an_escalated_flag_counts_for_the_person_it_is_with_only(cast: Cast) -> None:
    flag = raise_flag(cast)
    flag_escalate(flag=flag)
    owner, manager = signed_in(cast.owner), signed_in(cast.manager)
    assert_all_agree(owner, cast.owner, 0)
    assert_all_agree(manager, cast.manager, 1)
    assert rows_with_me(manager) == [str(flag.pk)]
    # The owner still sees it on the case page, without a link to a flags list it is not in.
    page = html(owner.get(case_url(cast.case)))
    assert f'id="case-flag-{flag.pk}"' in page and f"#flag-{flag.pk}" not in page
    assert f"?mine=1#flag-{flag.pk}" in html(manager.get(case_url(cast.case)))


def test_escalations_of_one_case_count_as_flags_and_arrive_as_one_notification(cast: Cast, settings) -> None:
    settings.FLAG_ESCALATION_MINUTES = {1: 240, 2: 480}
    flags = [raise_flag(cast, f"Late {n}", key=f"promise:{n}") for n in range(3)]
    assert watch_escalations(now=max(f.escalate_at for f in flags)).acted == 3  # one watcher pass
    manager = signed_in(cast.manager)

    assert_all_agree(manager, cast.manager, 3)  # the header counts flags, grouped or not
    page = html(manager.get(NOTIFICATIONS))
    assert page.count('id="notification-') == 1
    assert f"3 flags of case {cast.case.reference}" in text(manager.get(NOTIFICATIONS))
    for flag in flags:
        assert f'href="{MINE}#flag-{flag.pk}">Waiting for you in your flags' in page
        assert f'href="{case_url(cast.case)}#case-flag-{flag.pk}"' in page
        assert html(manager.get(f"{NOTIFICATIONS}?flag={flag.pk}")).count('id="notification-') == 1


def test_each_flag_row_links_to_its_case_entry_and_its_notifications(owner_client: Client, cast: Cast) -> None:
    flag = raise_flag(cast)
    raise_flag(cast, "Another one", key="promise:2")
    row = re.search(rf'<tr id="flag-{flag.pk}".*?</tr>', html(owner_client.get(FLAGS)), re.S).group(0)
    assert f'href="{case_url(cast.case)}#case-flag-{flag.pk}"' in row
    assert f'href="{NOTIFICATIONS}?flag={flag.pk}"' in row
    about = text(owner_client.get(f"{NOTIFICATIONS}?flag={flag.pk}"))
    assert "Call back is late" in about and "Another one" not in about


def test_a_flag_that_never_reached_me_as_a_notification_has_no_notifications_link(
    owner_client: Client, cast: Cast
) -> None:
    notified = raise_flag(cast)
    silent = Flag.objects.create(
        kind="silent_case",
        subject_key="case:x",
        summary="Quiet",
        case=cast.case,
        assignee=cast.owner,
        raised_at=notified.raised_at,
    )
    page = html(owner_client.get(FLAGS))
    assert f'href="{NOTIFICATIONS}?flag={notified.pk}"' in page
    assert f'<tr id="flag-{silent.pk}"' in page and f'href="{NOTIFICATIONS}?flag={silent.pk}"' not in page


def test_notifications_filtered_to_an_unknown_flag_show_nothing_and_offer_all(owner_client: Client, cast: Cast) -> None:
    raise_flag(cast)
    page = text(owner_client.get(f"{NOTIFICATIONS}?flag=999999"))
    assert "No notifications yet." in page and "Every notification" in page


def test_the_flags_count_costs_no_more_queries(owner_client: Client, cast: Cast, django_assert_max_num_queries) -> None:
    for n in range(5):
        raise_flag(cast, f"Late {n}", key=f"promise:{n}")
    with django_assert_max_num_queries(7):
        owner_client.get(MINE)


# --- (c) where the focus goes ------------------------------------------------------------------


def autofocused(page: str) -> list[str]:
    return re.findall(r'<[^>]*\bid="([^"]+)"[^>]*\bautofocus\b[^>]*>', page)


def test_a_refused_form_puts_the_focus_on_its_error_summary(owner_client: Client, cast: Cast) -> None:
    response = owner_client.post(
        case_url(cast.case, "staff:promise_make"),
        {"promise-kind": "general", "promise-text": "Soon", "promise-due_at": ""},
    )
    assert response.status_code == 400
    page = html(response)
    assert autofocused(page) == ["error-summary"]
    assert re.search(r'id="error-summary"[^>]*tabindex="-1"|tabindex="-1"[^>]*id="error-summary"', page)
    assert "/static/js/steward.js" in page  # the same focus after an htmx swap


def test_a_page_without_errors_takes_no_focus(owner_client: Client, cast: Cast) -> None:
    assert autofocused(html(owner_client.get(case_url(cast.case)))) == []
    assert autofocused(html(owner_client.get(FLAGS))) == []


def test_acknowledging_without_javascript_focuses_the_next_waiting_flag_then_the_heading(
    owner_client: Client, cast: Cast
) -> None:
    first, second = raise_flag(cast, "First"), raise_flag(cast, "Second", key="promise:2")
    acknowledge = reverse("staff:flag_acknowledge", args=[first.pk])
    response = owner_client.post(acknowledge, {"next": MINE})
    assert response.url == f"{MINE}&acknowledged={first.pk}"
    assert autofocused(html(owner_client.get(response.url))) == [f"flag-{second.pk}"]

    response = owner_client.post(reverse("staff:flag_acknowledge", args=[second.pk]), {"next": response.url})
    assert response.url == f"{MINE}&acknowledged={second.pk}"  # the previous one is replaced, not repeated
    assert autofocused(html(owner_client.get(response.url))) == ["flags-heading"]


def test_acknowledging_from_the_case_page_goes_back_to_the_case(owner_client: Client, cast: Cast) -> None:
    flag = raise_flag(cast)
    back = case_url(cast.case) + "#flags"
    response = owner_client.post(reverse("staff:flag_acknowledge", args=[flag.pk]), {"next": back})
    assert response.url == back


def test_acknowledging_in_place_marks_the_row_for_the_focus_to_move_on(owner_client: Client, cast: Cast) -> None:
    flag = raise_flag(cast)
    response = owner_client.post(reverse("staff:flag_acknowledge", args=[flag.pk]), headers={"HX-Request": "true"})
    row = html(response).lstrip()
    assert response.status_code == 200
    assert re.match(rf'<tr id="flag-{flag.pk}" tabindex="-1" data-just-acknowledged>', row)
    assert f'href="{NOTIFICATIONS}?flag={flag.pk}"' in row  # the row keeps its links


def test_a_refused_acknowledgement_in_place_focuses_its_row(owner_client: Client, cast: Cast) -> None:
    flag = raise_flag(cast)
    flags_clear(kind=flag.kind, subject_key=flag.subject_key, note="kept")
    response = owner_client.post(reverse("staff:flag_acknowledge", args=[flag.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert autofocused(html(response)) == [f"flag-{flag.pk}"]
    assert "This flag has already been cleared." in text(response)


# --- (d) the case page's order ----------------------------------------------------------------


def test_case_page_puts_conversation_and_actions_before_records_and_timeline(owner_client: Client, cast: Cast) -> None:
    page = html(owner_client.get(case_url(cast.case)))
    order = [page.index(f'id="{anchor}"') for anchor in ("write", "flags", "promises", "manage", "jobs", "timeline")]
    assert order == sorted(order)


def test_the_conversation_shows_the_latest_messages_above_the_reply_box(owner_client: Client, cast: Cast) -> None:
    for n in range(5):
        message_receive(case=cast.case, body=f"Message number {n}", sender_label="Jeanne Martin")
    page = html(owner_client.get(case_url(cast.case)))
    conversation = page[page.index('id="write"') : page.index('id="reply-form"')]
    assert "Message number 4" in conversation and "Message number 2" in conversation
    assert "Message number 1" not in conversation  # the three latest; the rest on the timeline
    assert 'href="#timeline"' in conversation
