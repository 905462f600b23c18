"""axe-core (axe-playwright-python's bundled copy of the npm package) inside Debian's Chromium
on every customer page, in every state a customer meets: no serious or critical violation.

Each page's full result (every impact) is written to test-artifacts/axe-selfservice.json, and a
screenshot of it next to it, so moderate findings stay visible too.
"""

import json
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cases.demo.cast import DEMO_PASSWORD
from cases.demo.stories import Stories, load_stories
from cases.models import Case
from cases.services import case_confirm, case_resolve, message_receive
from people.models import Delegate
from tests.browser.conftest import in_english

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
REPORT: dict[str, list[dict[str, object]]] = {}


def assert_accessible(page, name: str, artifacts: Path) -> None:
    """Run axe on the page as it stands; fail on any serious or critical violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    REPORT[name] = [
        {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"]), "help": v["help"]} for v in violations
    ]
    (artifacts / "axe-selfservice.json").write_text(json.dumps(REPORT, indent=2, ensure_ascii=False))
    page.screenshot(path=str(artifacts / f"my-{name}.png"), full_page=True)
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"{name}: " + "; ".join(blocking)


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address or username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/my/")


@pytest.fixture
def stories(transactional_db) -> Stories:
    return in_english(load_stories())


def test_every_customer_page_has_no_serious_or_critical_violation(page, stories: Stories, artifacts: Path) -> None:
    fibre: Case = stories.fibre.case
    claim = stories.fibre.claims[0]
    jeanne = fibre.customer.user
    message_receive(
        actor=jeanne, case=fibre, body="Here is a photo of the wall.", attachments=[SimpleUploadedFile("wall.png", PNG)]
    )

    sign_in(page, "jeanne")
    assert_accessible(page, "cases", artifacts)
    page.goto(reverse("my:case", args=[fibre.reference]))
    assert_accessible(page, "case", artifacts)
    page.goto(reverse("my:claim", args=[fibre.reference, claim.pk]))
    assert_accessible(page, "claim", artifacts)

    # A refused upload: the error summary and the field marked invalid.
    page.goto(reverse("my:case", args=[fibre.reference]))
    page.get_by_label("Your message").fill("Still leaking.")
    page.get_by_label("Photos or documents (optional)").set_input_files(
        files=[{"name": "virus.jpg", "mimeType": "image/jpeg", "buffer": b"MZ\x90\x00" + b"\x00" * 64}]
    )
    page.get_by_role("button", name="Send my message").click()
    assert page.locator("#error-summary").is_visible()
    assert_accessible(page, "case-with-errors", artifacts)

    page.goto(reverse("my:new_request"))
    assert_accessible(page, "new-request", artifacts)
    page.get_by_role("button", name="Send my request").click()
    assert_accessible(page, "new-request-with-errors", artifacts)

    page.goto(reverse("my:helpers"))
    assert_accessible(page, "helpers", artifacts)
    page.get_by_role("button", name="Add this helper").click()
    assert_accessible(page, "helpers-with-errors", artifacts)
    grant = Delegate.objects.get(customer=fibre.customer, revoked_at__isnull=True)
    page.goto(reverse("my:helper_remove", args=[grant.pk]))
    assert_accessible(page, "helper-remove", artifacts)

    # The resolution question, then the rating, then the thanks with who will call.
    case_resolve(
        actor=fibre.owner,
        case=fibre,
        summary="The pipe is repaired and the fibre works.",
        override_reason="The claims follow their course; the customer has fibre and heating.",
    )
    page.goto(reverse("my:case", args=[fibre.reference]))
    assert_accessible(page, "case-resolved", artifacts)
    page.get_by_role("button", name="No, it is not fixed").click()
    assert_accessible(page, "case-not-fixed-without-reason", artifacts)
    case_confirm(actor=jeanne, case=fibre)
    page.goto(reverse("my:case", args=[fibre.reference]))
    assert_accessible(page, "case-closed-rating", artifacts)
    page.get_by_label("5 – Very good").check()
    page.get_by_label("I'd like to talk to someone about my services or contract").check()
    page.get_by_role("button", name="Send my answer").click()
    assert "will contact you about your services or contract" in page.locator("#rating").inner_text()
    assert_accessible(page, "case-closed-rated", artifacts)


def test_password_pages_have_no_serious_or_critical_violation(page, stories: Stories, artifacts: Path) -> None:
    page.goto(reverse("login"))
    page.goto(reverse("my:password_reset"))
    assert_accessible(page, "password-reset", artifacts)
    page.get_by_role("button", name="Send me the link").click()
    assert_accessible(page, "password-reset-with-errors", artifacts)
    page.get_by_label("Your e-mail address").fill("jeanne@steward-demo.test")
    page.get_by_role("button", name="Send me the link").click()
    page.wait_for_url("**/password-reset/sent/")
    assert_accessible(page, "password-reset-sent", artifacts)

    jeanne = stories.fibre.case.customer.user
    uid = urlsafe_base64_encode(force_bytes(jeanne.pk))
    page.goto(reverse("my:password_reset_confirm", args=[uid, default_token_generator.make_token(jeanne)]))
    assert_accessible(page, "password-choose", artifacts)
    page.get_by_label("Choose a password", exact=True).fill("short")
    page.get_by_label("Type the same password again").fill("different")
    page.get_by_role("button", name="Save my password").click()
    assert_accessible(page, "password-choose-with-errors", artifacts)
    page.get_by_label("Choose a password", exact=True).fill("Leak-repaired-" + str(date.today().year))
    page.get_by_label("Type the same password again").fill("Leak-repaired-" + str(date.today().year))
    page.get_by_role("button", name="Save my password").click()
    page.wait_for_url("**/password-reset/done/")
    assert_accessible(page, "password-saved", artifacts)
    page.goto(reverse("my:password_reset_confirm", args=[uid, "cz3kq1-0123456789abcdef0123456789abcdef"]))
    assert_accessible(page, "password-link-expired", artifacts)


def test_a_delegate_s_pages_have_no_serious_or_critical_violation(page, stories: Stories, artifacts: Path) -> None:
    fibre = stories.fibre.case
    sign_in(page, "paul")
    assert_accessible(page, "delegate-cases", artifacts)
    page.goto(reverse("my:case", args=[fibre.reference]))
    assert_accessible(page, "delegate-case", artifacts)
    assert page.get_by_text("You are helping Jeanne Martin.").is_visible()
    # Omar's portal and his mail alert, for the alert boxes.
    page.context.clear_cookies()
    sign_in(page, "omar")
    assert page.get_by_role("heading", name="Mail server migration in Lyon 3e").is_visible()
    assert_accessible(page, "other-customer-cases-with-alert", artifacts)
