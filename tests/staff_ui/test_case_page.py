"""The one-page case view: everything about a case on one page, in a fixed number of queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import selectors
from cases.models import TimelineEvent
from cases.services import specialist_add
from tests.conftest import Cast
from tests.factories import make_case, make_staff
from tests.staff_ui.bulk import add_events, add_records
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import case_url, html, text
from tests.staff_ui.story import FibreStory

# A fixed cost, whatever the number of events. Since issues 10 and 11 it includes: how each reply left (outbox
# rows), the canned replies, the specialists, the staff list for a sale's advisor and the damage reports'
# repair plans; since issue 13, for a manager, the watchers' heartbeats behind the "watchers have stopped"
# banner; since issue 17, the service alerts under way for the staff pages' banner. Since issue 14 the folded
# forms (colleagues to add, contractor companies, what "resolve" would leave open) are read only when opened:
# 26 at most, down from 29.
MAX_CASE_PAGE_QUERIES = 26


def test_header_shows_who_owns_the_case_and_who_the_customer_is(owner_client, fibre: FibreStory) -> None:
    page = text(owner_client.get(case_url(fibre.case)))
    assert f"Case {fibre.case.reference}" in page
    assert "Fibre installation" in page
    assert "New" in page and "Priority: High" in page
    assert "Impact on the customer: Heating pipe drilled through: water leak, no heating" in page
    assert "Owner: Olivia Owner , Customer relations" in page
    assert "Customer: Jeanne Martin" in page
    assert "Prefers: E-mail" in page
    assert "Take care: 89 years old" in page


def test_active_alert_for_the_customers_service_and_area_is_shown(owner_client, fibre: FibreStory) -> None:
    assert "Known outage: Fibre outage in Lyon 3" in text(owner_client.get(case_url(fibre.case)))


def test_alert_for_another_area_is_not_shown_in_the_header(owner_client, fibre: FibreStory) -> None:
    fibre.alert.area = "75001"
    fibre.alert.save()
    response = owner_client.get(case_url(fibre.case))
    # The case's own alerts card; the staff banner above every page lists every alert under way.
    card = re.search(r'<section class="card" id="alerts".*?</section>', html(response), re.S).group(0)
    assert "Known outage: Fibre outage in Lyon 3" not in card
    assert "No current alert for this customer" in card


def test_panels_show_sale_jobs_with_prerequisites_and_damage_claims_promises_and_flags(
    owner_client,
    fibre: FibreStory,
) -> None:
    page = text(owner_client.get(case_url(fibre.case)))
    assert "Fibre 1 Gb/s, Home fibre" in page
    assert f"{fibre.job.reference}: Install fibre socket" in page
    assert "Cancelled 2 times" in page
    assert "Open Operator connection at the street cabinet (Network operator)" in page
    assert "Damage reported" in page and "Drilled into a heating pipe behind the socket" in page
    assert "Affects: water heating" in page
    # Both insurance claims side by side, each with its next action and date.
    assert re.search(r"Whose policy Our policy The customer's own policy", page)
    assert re.search(r"Claim number AR-2026-0042 MH-77812", page)
    assert "Adjuster visit" in page and "Send the plumber's quote" in page
    assert "Back Monday with more workers to repair the pipe" in page
    assert "Job cancelled again" in page and "Damage reported on site" in page


def test_timeline_marks_internal_and_customer_visible_events(owner_client, fibre: FibreStory) -> None:
    page = html(owner_client.get(case_url(fibre.case)))
    note = re.search(r'<li class="event event--internal"[^>]*>.*?</li>', page, re.S).group(0)
    assert "Internal" in note
    reply_like = re.search(r'<li class="event event--customer"[^>]*>.*?</li>', page, re.S).group(0)
    assert "Customer sees this" in reply_like


def test_timeline_shows_the_full_text_of_messages(owner_client, fibre: FibreStory) -> None:
    assert "My son says the street box is not connected." in text(owner_client.get(case_url(fibre.case)))


def test_timeline_filters_by_department(owner_client, fibre: FibreStory) -> None:
    response = owner_client.get(case_url(fibre.case) + "?department=insurance")
    events = re.findall(r'<li class="event [^"]*"', html(response))
    assert len(events) == TimelineEvent.objects.filter(case=fibre.case, department="insurance").count() == 2
    assert "Claim filed" in text(response)
    assert "Visit cancelled" not in text(response)


def test_unknown_department_shows_everything(owner_client, fibre: FibreStory) -> None:
    response = owner_client.get(case_url(fibre.case) + "?department=nonsense")
    assert (
        len(re.findall(r'<li class="event ', html(response))) == TimelineEvent.objects.filter(case=fibre.case).count()
    )


# --- more than a hundred events ---------------------------------------------------------


@pytest.fixture
def long_case(cast: Cast):
    add_events(cast.case, cast.owner, 250)
    return cast.case


def test_timeline_shows_the_latest_hundred_with_a_link_to_older_ones(owner_client, long_case) -> None:
    response = owner_client.get(case_url(long_case))
    page = html(response)
    assert len(re.findall(r'<li class="event ', page)) == 100
    assert "Event number 249" in page and "Event number 149" not in page
    more = re.search(r'<a href="([^"]+)" hx-get="([^"]+)"[^>]*>Show older events</a>', page)
    assert more, "no load-more link"
    plain_link, fragment = (m.replace("&amp;", "&") for m in more.groups())

    # Without JavaScript the link opens the page at the next hundred.
    older = html(owner_client.get(plain_link))
    assert "Showing older events" in older
    assert len(re.findall(r'<li class="event ', older)) == 100
    assert "Event number 149" in older and "Event number 150" not in older

    # With htmx only the next events come back, ready to replace the link.
    piece = owner_client.get(fragment, headers={"HX-Request": "true"})
    assert "<html" not in html(piece)
    assert len(re.findall(r'<li class="event ', html(piece))) == 100
    assert "Event number 149" in html(piece)


def test_the_last_older_page_has_no_more_link(owner_client, long_case) -> None:
    url = case_url(long_case)
    seen = 0
    for _ in range(5):
        page = html(owner_client.get(url))
        seen += len(re.findall(r'<li class="event ', page))
        more = re.search(r'<a href="([^"]+)" hx-get=', page)
        if not more:
            break
        url = more.group(1).replace("&amp;", "&")
    assert seen == TimelineEvent.objects.filter(case=long_case).count()


def test_a_tampered_cursor_starts_from_the_latest(owner_client, long_case) -> None:
    response = owner_client.get(case_url(long_case) + "?before=not-a-cursor")
    assert response.status_code == 200
    assert "Event number 249" in html(response)


# --- query counts ---------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("viewer", ["owner", "manager", "specialist", "other_agent"])
def test_case_page_query_count_does_not_grow_from_5_to_500_events(
    cast: Cast,
    company,
    other_customer,
    viewer: str,
    django_assert_max_num_queries,
) -> None:
    """The owner, their manager, a specialist on both cases and a read-only colleague."""
    small = make_case(customer=other_customer, owner=cast.owner, subject="Small case")
    specialist = make_staff("specialist", department=cast.owner.staff_profile.department)
    for case in (small, cast.case):
        specialist_add(actor=cast.owner, case=case, user=specialist)
    add_events(small, cast.owner, 3)  # with "case opened" and "specialist added": five
    add_records(small, cast.owner, company, 1)
    large = cast.case
    add_events(large, cast.owner, 500)
    add_records(large, cast.owner, company, 25)
    assert TimelineEvent.objects.filter(case=small).count() == 5
    assert TimelineEvent.objects.filter(case=large).count() > 500
    client = signed_in(specialist if viewer == "specialist" else getattr(cast, viewer))
    client.get(case_url(small))  # warm the session and content types

    with django_assert_max_num_queries(MAX_CASE_PAGE_QUERIES):
        client.get(case_url(small))
    with django_assert_max_num_queries(MAX_CASE_PAGE_QUERIES):
        client.get(case_url(large))
    assert _queries(client, case_url(small)) == _queries(client, case_url(large))


def test_older_events_fragment_runs_few_queries(owner_client, long_case, django_assert_max_num_queries) -> None:
    cursor = selectors.timeline_page(long_case.owner, long_case).next_cursor
    with django_assert_max_num_queries(9):  # 8, and the outbox rows of the replies among them
        owner_client.get(
            case_url(long_case, "staff:case_timeline") + f"?before={cursor}", headers={"HX-Request": "true"}
        )
