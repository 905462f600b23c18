"""The customer pages in a real browser, on the demo's fibre-install story.

Mrs Martin signs in with her e-mail address, sees who owns her case and the promise that was
broken, writes with a photo of the leak, and answers "not fixed" when the case is resolved.
Her son, her delegate, sees the same case and nothing else. The same pages then work with
JavaScript switched off, and with the keyboard alone. Screenshots go to test-artifacts/.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from cases.demo.cast import DEMO_PASSWORD, FIBRE_CUSTOMER_EMAIL
from cases.demo.fibre import BACK_MONDAY
from cases.demo.stories import Stories, load_stories
from cases.models import Case, Flag, Message, Promise
from cases.services import case_resolve
from tests.browser.conftest import in_english
from tests.browser.test_selfservice_accessibility import assert_accessible

pytestmark = pytest.mark.browser

# The smallest file the upload checks accept as a PNG photo.
LEAK_PHOTO = {"name": "leak.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64}


@pytest.fixture
def stories(transactional_db) -> Stories:
    return in_english(load_stories())


def sign_in(page, login: str) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address or username").fill(login)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/my/")


def notice(page) -> str:
    return page.locator(".notices").inner_text()


def test_jeanne_sees_her_owner_and_the_broken_promise_writes_and_says_not_fixed(
    page, stories: Stories, artifacts: Path
) -> None:
    case = stories.fibre.case
    sign_in(page, FIBRE_CUSTOMER_EMAIL)  # customers know their e-mail address, not a username
    assert page.get_by_role("heading", level=1).inner_text() == "My cases"
    card = page.locator("article", has_text=case.subject)
    assert "Claire Fontaine" in card.inner_text()
    assert "Phone: +33 4 26 00" in card.inner_text()
    assert "Working hours: Mon–Fri 9:00–17:30" in card.inner_text()
    assert "A promise made to you was not kept on time." in card.inner_text()
    page.screenshot(path=str(artifacts / "my-journey-1-cases.png"), full_page=True)

    card.get_by_role("link", name=re.compile("Open this case")).click()
    assert page.get_by_role("heading", level=1).inner_text() == case.subject
    assert "Claire Fontaine" in page.locator("#owner").inner_text()
    broken = page.locator(".my-promise", has_text=BACK_MONDAY)
    assert "Late" in broken.inner_text()
    assert "has not been kept" in broken.inner_text()
    assert "Note" not in page.locator("#history").inner_text()  # internal notes never reach her

    page.get_by_label("Your message").fill("The wall is still wet. Here is a photo of the leak.")
    page.get_by_label("Photos or documents (optional)").set_input_files(files=[LEAK_PHOTO])
    page.get_by_role("button", name="Send my message").click()
    assert "Your message is sent. Claire Fontaine will read it" in notice(page)
    newest = page.locator("#history li").first
    assert "Message from Jeanne Martin" in newest.inner_text()
    assert "leak.png" in newest.inner_text()
    # The photo comes back through the policy-checked view, with the page's own session.
    photo = page.request.get(newest.get_by_role("link", name="leak.png").get_attribute("href"))
    assert photo.status == 200 and photo.headers["content-type"] == "image/png"
    page.screenshot(path=str(artifacts / "my-journey-2-message-sent.png"), full_page=True)

    case_resolve(
        actor=case.owner,
        case=Case.objects.get(pk=case.pk),
        summary="The pipe is repaired.",
        override_reason="Her message is answered by phone; the claims follow their course.",
    )
    page.reload()
    question = page.locator("#resolution")
    assert "Is it fixed?" in question.inner_text()
    assert "The pipe is repaired." in question.inner_text()
    page.screenshot(path=str(artifacts / "my-journey-3-is-it-fixed.png"), full_page=True)
    page.get_by_label("What is still wrong?").fill("The radiator in the living room is still cold.")
    page.get_by_role("button", name="No, it is not fixed").click()
    assert "Your case is open again" in notice(page)
    assert page.locator("#resolution").count() == 0
    assert_accessible(page, "journey-not-fixed", artifacts)

    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS
    assert Flag.objects.filter(case=case, kind=Flag.Kind.REJECTED_RESOLUTION, assignee=case.owner).exists()
    message = Message.objects.get(case=case, body__startswith="The wall is still wet")
    assert message.attachments.get().content_type == "image/png"


def test_paul_as_delegate_sees_the_same_case_and_nothing_else(page, stories: Stories, artifacts: Path) -> None:
    case = stories.fibre.case
    sign_in(page, "paul")
    cards = page.locator("article.my-case-card")
    assert cards.count() == Case.objects.filter(customer=case.customer).exclude(status="closed").count()
    assert case.subject in cards.first.inner_text()
    assert "You help Jeanne Martin." in page.locator("main").inner_text()
    assert page.get_by_role("link", name="My helpers").count() == 0
    page.screenshot(path=str(artifacts / "my-journey-4-delegate-cases.png"), full_page=True)

    page.get_by_role("link", name=re.compile("Open this case")).first.click()
    assert "You are helping Jeanne Martin." in page.locator("main").inner_text()
    assert BACK_MONDAY in page.locator("#promises").inner_text()
    page.get_by_label("Your message").fill("I am with my mother this afternoon.")
    page.get_by_role("button", name="Send my message").click()
    newest = page.locator("#history li").first
    assert "Message from Paul Martin, on behalf of Jeanne Martin" in newest.inner_text()

    for other in Case.objects.exclude(customer=case.customer)[:3]:
        response = page.goto(reverse("my:case", args=[other.reference]))
        assert response.status == 404
    assert page.goto(reverse("my:helpers")).status == 404
    assert page.goto(reverse("staff:worklist")).status == 404


@pytest.fixture
def no_js_page(browser, live_server, transactional_db) -> Iterator[object]:
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        viewport={"width": 1024, "height": 900},
        locale="en-GB",
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_every_action_works_without_javascript(no_js_page, stories: Stories, artifacts: Path) -> None:
    page = no_js_page
    case = stories.fibre.case
    sign_in(page, "jeanne")
    page.goto(reverse("my:case", args=[case.reference]))

    page.get_by_label("Which day?").select_option(index=2)
    page.get_by_label("In the afternoon, 14:00 to 17:00").check()
    page.get_by_role("button", name="Ask for a call back").click()
    assert "Thank you. Claire Fontaine will call you back on" in notice(page)
    assert Promise.objects.filter(case=case, kind="callback", made_by=case.owner, status="open").count() == 1

    page.get_by_label("Your message").fill("Thank you for calling me.")
    page.get_by_label("Photos or documents (optional)").set_input_files(
        files=[{"name": "notes.exe", "mimeType": "image/png", "buffer": b"MZ\x90\x00" + b"\x00" * 64}]
    )
    page.get_by_role("button", name="Send my message").click()
    assert "“notes.exe” is not a file type we accept" in page.locator("#error-summary").inner_text()
    assert page.get_by_label("Your message").input_value() == "Thank you for calling me."
    page.get_by_role("button", name="Send my message").click()
    assert "Your message is sent." in notice(page)

    page.get_by_role("link", name="Ask for something new").click()
    page.get_by_label("In a few words, what is it about?").fill("My TV has no picture")
    page.get_by_label("Tell us more").fill("Since yesterday evening.")
    page.get_by_role("button", name="Send my request").click()
    assert "Your request is open as case" in notice(page)
    page.screenshot(path=str(artifacts / "my-journey-5-no-javascript.png"), full_page=True)


def test_keyboard_alone_reaches_and_sends_a_message(page, stories: Stories) -> None:
    case = stories.fibre.case
    sign_in(page, "jeanne")
    page.goto(reverse("my:case", args=[case.reference]))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the main content"
    page.keyboard.press("Enter")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_write-body":
            break
    else:
        pytest.fail("The message box cannot be reached with the Tab key")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused field shows no focus ring"
    page.keyboard.type("Typed with the keyboard only.")
    page.keyboard.press("Tab")  # the file chooser
    page.keyboard.press("Tab")  # the send button
    assert page.evaluate("document.activeElement.textContent.trim()") == "Send my message"
    page.keyboard.press("Enter")
    page.wait_for_selector(".notices")
    assert Message.objects.filter(case=case, body="Typed with the keyboard only.").exists()
