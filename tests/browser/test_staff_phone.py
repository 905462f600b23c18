"""The staff pages on a 390 px phone: no page scrolls sideways, the case page and the flags
page pass axe, and the keyboard focus lands where the reader continues: on the error summary
after a refused form, on the next flag after acknowledging one (with and without JavaScript)."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.demo.cast import DEMO_PASSWORD
from cases.demo.stories import Stories, load_stories
from cases.models import Flag
from cases.services import flag_raise, flags_clear
from tests.browser.conftest import in_english
from tests.browser.test_selfservice_accessibility import assert_accessible

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LONG_EMAIL = "jean-baptiste.martin-delacroix-de-la-fontaine.family-account@very-long-provider-name.example"


@pytest.fixture
def stories(transactional_db) -> Stories:
    stories = in_english(load_stories())
    customer = stories.fibre.case.customer
    customer.email = LONG_EMAIL  # no space to break at: it must wrap, not push the page wider
    customer.save(update_fields=["email"])
    return stories


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address or username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/")


def assert_fits(page, path: str) -> None:
    page.goto(path)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width}px wide on a {PHONE['width']}px phone"


def only_these_flags(stories: Stories, *summaries: str) -> list[Flag]:
    """Claire's open flags are exactly these, on the fibre case, in this order."""
    case = stories.fibre.case
    Flag.objects.filter(assignee=case.owner, cleared_at__isnull=True).update(cleared_at=timezone.now())
    return [
        flag_raise(kind="silent_case", subject_key=f"phone-test:{n}", summary=summary, case=case)
        for n, summary in enumerate(summaries)
    ]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def test_every_staff_page_fits_a_phone(page, stories: Stories, artifacts: Path) -> None:
    case = stories.fibre.case
    only_these_flags(stories, "Mrs Martin's son has been waiting for an answer for a very long time now")
    page.set_viewport_size(PHONE)
    sign_in(page, "claire")
    for path in (
        "/staff/",
        "/staff/flags/",
        "/staff/flags/?mine=1",
        f"/staff/cases/{case.reference}/",
        f"/staff/cases/{case.reference}/handoff/",
        "/staff/alerts/",
        "/staff/search/?q=Martin",
        "/staff/notifications/",
        "/staff/intake/",
    ):
        assert_fits(page, path)
    page.goto(f"/staff/cases/{case.reference}/")
    page.screenshot(path=str(artifacts / "staff-case-phone.png"), full_page=True)
    # The long address wraps inside the customer card rather than running off it.
    address = page.locator(f'a[href="mailto:{LONG_EMAIL}"]')
    box = address.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")
    sign_in(page, "marc")
    assert_fits(page, "/staff/team/")
    page.screenshot(path=str(artifacts / "staff-team-phone.png"), full_page=True)


def test_case_page_and_flags_page_pass_axe_on_a_phone(page, stories: Stories, artifacts: Path) -> None:
    only_these_flags(stories, "Call Mrs Martin back", "Answer her son")
    page.set_viewport_size(PHONE)
    sign_in(page, "claire")
    page.goto(f"/staff/cases/{stories.fibre.case.reference}/")
    assert_accessible(page, "staff-case-phone", artifacts)
    page.goto("/staff/flags/")
    assert_accessible(page, "staff-flags-phone", artifacts)


def test_case_page_puts_the_conversation_before_the_records_and_the_timeline(page, stories: Stories) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, "claire")
    page.goto(f"/staff/cases/{stories.fibre.case.reference}/")
    tops = page.evaluate(
        "['write', 'manage', 'claims', 'timeline'].map(id => document.getElementById(id).getBoundingClientRect().top)"
    )
    assert tops == sorted(tops), tops


def test_a_refused_form_puts_the_focus_on_its_error_summary(page, stories: Stories) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, "claire")
    page.goto(f"/staff/cases/{stories.fibre.case.reference}/")
    page.get_by_text("Make a promise or a call-back").click()
    page.get_by_label("What you promise").fill("Technician returns Monday")
    page.get_by_label("Due by").fill("2020-01-06T09:00")
    page.get_by_role("button", name="Record the promise").click()
    page.wait_for_selector("#error-summary")
    assert focused_id(page) == "error-summary"


def test_acknowledging_in_place_moves_the_focus_to_the_next_flag_then_the_heading(page, stories: Stories) -> None:
    first, second = only_these_flags(stories, "Call Mrs Martin back", "Answer her son")
    page.set_viewport_size(PHONE)
    sign_in(page, "claire")
    page.goto("/staff/flags/?mine=1")
    url = page.url

    page.locator(f"#flag-{first.pk}").get_by_role("button", name="Acknowledge").click()
    page.wait_for_selector(f"#flag-{first.pk} .badge--ok")
    expect(page.locator(f"#flag-{second.pk}")).to_be_focused()
    assert page.url == url  # htmx swapped the row; no navigation

    page.locator(f"#flag-{second.pk}").get_by_role("button", name="Acknowledge").click()
    page.wait_for_selector(f"#flag-{second.pk} .badge--ok")
    expect(page.locator("#flags-heading")).to_be_focused()
    assert Flag.objects.filter(pk__in=[first.pk, second.pk], acknowledged_at__isnull=False).count() == 2


def test_a_refused_acknowledgement_in_place_shows_and_focuses_its_row(page, stories: Stories) -> None:
    (flag,) = only_these_flags(stories, "Call Mrs Martin back")
    page.set_viewport_size(PHONE)
    sign_in(page, "claire")
    page.goto("/staff/flags/")
    flags_clear(kind=flag.kind, subject_key=flag.subject_key, note="fixed meanwhile")
    page.locator(f"#flag-{flag.pk}").get_by_role("button", name="Acknowledge").click()
    page.wait_for_selector(f"#flag-{flag.pk} .form-error")
    assert "This flag has already been cleared." in page.locator(f"#flag-{flag.pk}").inner_text()
    expect(page.locator(f"#flag-{flag.pk}")).to_be_focused()


def test_acknowledging_without_javascript_moves_the_focus_to_the_next_flag(browser, live_server, stories) -> None:
    first, second = only_these_flags(stories, "Call Mrs Martin back", "Answer her son")
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB", java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in(page, "claire")
        page.goto("/staff/flags/?mine=1")
        page.locator(f"#flag-{first.pk}").get_by_role("button", name="Acknowledge").click()
        page.wait_for_url(f"**/staff/flags/?mine=1&acknowledged={first.pk}")
        assert "Flag acknowledged: Call Mrs Martin back" in page.locator(".notices").inner_text()
        assert focused_id(page) == f"flag-{second.pk}"

        page.locator(f"#flag-{second.pk}").get_by_role("button", name="Acknowledge").click()
        page.wait_for_url(f"**/staff/flags/?mine=1&acknowledged={second.pk}")
        assert focused_id(page) == "flags-heading"
    finally:
        context.close()


def test_a_folded_form_opened_from_the_keyboard_takes_the_focus_to_its_first_field(page, stories: Stories) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, "claire")
    page.goto(f"/staff/cases/{stories.fibre.case.reference}/")
    assert page.locator("#id_promise-kind").count() == 0  # not rendered until asked for
    page.locator("#promise-form > summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_promise-kind")).to_be_focused()


def test_without_javascript_a_folded_form_opens_on_a_page_of_its_own(browser, live_server, stories) -> None:
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-GB", java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in(page, "claire")
        page.goto(f"/staff/cases/{stories.fibre.case.reference}/")
        page.get_by_text("Make a promise or a call-back").click()
        page.locator("#promise-form").get_by_role("link", name="Open the form").click()
        page.wait_for_url(f"**/staff/cases/{stories.fibre.case.reference}/forms/promise/")
        expect(page.get_by_role("heading", name="Make a promise or a call-back")).to_be_visible()
        page.get_by_label("What you promise").fill("Technician returns Monday")
        page.get_by_label("Due by").fill("2020-01-06T09:00")
        page.get_by_role("button", name="Record the promise").click()
        assert "A promise must be due in the future." in page.locator("#error-summary").inner_text()
        assert page.locator("#promise-form[open] #id_promise-text").input_value() == "Technician returns Monday"
    finally:
        context.close()
