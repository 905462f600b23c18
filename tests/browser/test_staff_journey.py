"""The staff UI in a real browser, on the demo's fibre-install story: the owner replies,
makes a promise and hands the case off; the next owner signs in, reads the summary first
and acknowledges it. Screenshots of the case page go to test-artifacts/."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from cases.demo.cast import DEMO_PASSWORD
from cases.demo.stories import Stories, load_stories
from cases.models import Case, Handoff, Message, Promise
from tests.browser.conftest import in_english

pytestmark = pytest.mark.browser

SUMMARY = "Mrs Martin is 89 and prefers the phone. I promised a call back tomorrow at 15:00: please make it."


@pytest.fixture
def stories(transactional_db) -> Stories:
    return in_english(load_stories())


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address or username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")


def tomorrow_at(hhmm: str) -> str:
    day = timezone.localtime(timezone.now() + timedelta(days=1)).date()
    return f"{day.isoformat()}T{hhmm}"


def test_owner_replies_promises_and_hands_off_and_the_next_owner_acknowledges(
    page,
    stories: Stories,
    artifacts: Path,
) -> None:
    case = stories.fibre.case
    assert case.owner.username == "claire"

    sign_in(page, "claire")
    assert page.get_by_role("heading", level=1).inner_text() == "My worklist"
    page.screenshot(path=str(artifacts / "staff-worklist.png"), full_page=True)

    # Any case in two clicks: search from the header, then the case.
    page.get_by_label("Search customers, cases, claims and jobs").fill("Martin")
    page.get_by_role("button", name="Search", exact=True).click()
    page.screenshot(path=str(artifacts / "staff-search.png"), full_page=True)
    page.get_by_role("link", name=re.compile(case.reference)).first.click()
    assert page.get_by_role("heading", level=1).inner_text() == case.subject
    assert "Take care" in page.locator(".vulnerable").inner_text()

    # Reply: the form is open by default on the owner's case.
    page.get_by_label("Your reply to the customer").fill("Dear Mrs Martin, the plumber comes tomorrow morning.")
    page.get_by_role("button", name="Send the reply").click()
    assert "Your reply is on its way to" in page.locator(".notices").inner_text()

    # A call-back promise.
    page.get_by_text("Make a promise or a call-back").click()
    page.get_by_label("Kind of promise").select_option("callback")
    page.get_by_label("What you promise").fill("Call you back tomorrow at 15:00")
    page.get_by_label("Due by").fill(tomorrow_at("15:00"))
    page.get_by_role("button", name="Record the promise").click()
    assert "Promise recorded" in page.locator(".notices").inner_text()
    assert "Call you back tomorrow at 15:00" in page.locator("#promises").inner_text()

    page.screenshot(path=str(artifacts / "staff-case-page.png"), full_page=True)
    page.set_viewport_size({"width": 820, "height": 1180})
    page.screenshot(path=str(artifacts / "staff-case-page-tablet.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})

    # Warm handoff to another customer-relations agent.
    page.get_by_role("link", name="Hand off").click()
    page.get_by_label("Hand the case to").select_option(
        label="Nora Vidal — Customer relations, Customer relations agent"
    )
    page.get_by_label("Why you are handing it off").fill("I am away from tomorrow")
    page.get_by_label("Summary for the next owner").fill(SUMMARY)
    page.get_by_role("button", name="Hand off the case").click()
    assert "is now with Nora Vidal" in page.locator(".notices").inner_text()
    sign_out(page)

    sign_in(page, "nora")
    waiting = page.locator("section", has_text="Handed to you")
    waiting.get_by_role("link", name=re.compile(case.reference)).click()
    banner = page.locator("#handoff")
    assert "Claire Fontaine handed this case to you" in banner.inner_text()
    assert SUMMARY in banner.inner_text()
    page.get_by_role("button", name="I have read the summary and take the case").click()
    assert "You have taken" in page.locator(".notices").inner_text()
    assert page.locator("#handoff").count() == 0
    page.screenshot(path=str(artifacts / "staff-case-page-after-handoff.png"), full_page=True)

    case.refresh_from_db()
    assert case.owner.username == "nora"
    assert Handoff.objects.get(case=case, to_user=case.owner).acknowledged_at is not None
    assert Message.objects.filter(case=case, body__startswith="Dear Mrs Martin, the plumber").exists()
    assert Promise.objects.get(case=case, text="Call you back tomorrow at 15:00").kind == "callback"


def test_bad_input_keeps_what_was_typed_and_points_at_the_field(page, stories: Stories) -> None:
    case = stories.fibre.case
    sign_in(page, "claire")
    page.goto(f"/staff/cases/{case.reference}/")
    page.get_by_text("Make a promise or a call-back").click()
    page.get_by_label("What you promise").fill("Technician returns Monday")
    page.get_by_label("Due by").fill("2020-01-06T09:00")
    page.get_by_role("button", name="Record the promise").click()
    summary = page.locator("#error-summary")
    assert "A promise must be due in the future." in summary.inner_text()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "id_promise-due_at"
    assert page.get_by_label("What you promise").input_value() == "Technician returns Monday"
    assert page.get_by_label("Due by").get_attribute("aria-invalid") == "true"


def test_older_timeline_events_load_in_place(page, stories: Stories) -> None:
    from tests.staff_ui.bulk import add_events

    case: Case = stories.fibre.case
    add_events(case, case.owner, 150)
    sign_in(page, "claire")
    page.goto(f"/staff/cases/{case.reference}/")
    events = page.locator("#timeline li.event")
    assert events.count() == 100
    url = page.url
    page.get_by_role("link", name="Show older events").click()
    # A locator rather than wait_for_function, whose string predicate the page's CSP refuses to eval.
    events.nth(100).wait_for()
    assert page.url == url  # htmx added them to the page; no navigation
    assert events.count() > 150
