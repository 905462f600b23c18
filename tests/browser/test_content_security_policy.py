"""The Content Security Policy in a real browser (issue 15): Chromium loads the main pages of every
surface — staff, customer, contractor, the admin site, the API docs, the sign-in and an error page —
under the policy Steward sends, and reports not one violation (an inline script, style element or
style attribute, htmx's injected indicator style, a resource from elsewhere)."""

import pytest
from django.urls import reverse

from cases.demo.stories import Stories, load_stories
from tests.browser.conftest import in_english
from tests.browser.test_contractor_story import sign_in

pytestmark = pytest.mark.browser

# Runs before any script of the page; Playwright injects it through the DevTools protocol, which
# the page's policy does not govern.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def stories(transactional_db: None) -> Stories:
    return in_english(load_stories())


@pytest.fixture
def watched(page):
    """The tab, with every CSP violation it reports (events and console messages) kept in a list."""
    page.context.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on(
        "console", lambda message: console.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.console_violations = console
    return page


def visit(page, url: str) -> list[str]:
    response = page.goto(url)  # returns once the page and its scripts and styles have loaded
    assert response is not None and "script-src 'self'" in (response.headers.get("content-security-policy") or "")
    return page.evaluate("window.__cspViolations") + page.console_violations


def assert_no_violations(page, urls: list[str]) -> None:
    found = {url: violations for url in urls if (violations := visit(page, url))}
    assert found == {}


def test_staff_pages_and_the_api_docs_load_without_a_violation(watched, stories: Stories) -> None:
    sign_in(watched, "claire", "/staff/")
    fibre = stories.fibre.case
    assert_no_violations(
        watched,
        [
            "/staff/",
            reverse("staff:case", args=[fibre.reference]),
            reverse("staff:flags"),
            reverse("staff:team"),
            reverse("staff:intake"),
            reverse("staff:alerts"),
            reverse("contractor:scorecard"),
            "/staff/no-such-page/",
            "/api/v1/docs/",
        ],
    )
    # Swagger UI really started (its start-up script came as a file, docs/?script).
    watched.locator(".swagger-ui .info").wait_for()
    assert watched.evaluate("window.__cspViolations") == []


def test_customer_and_contractor_pages_load_without_a_violation(watched, stories: Stories) -> None:
    assert_no_violations(watched, ["/login/", "/my/password-reset/"])
    sign_in(watched, "jeanne", "/my/")
    fibre = stories.fibre
    assert_no_violations(watched, ["/my/", reverse("my:case", args=[fibre.case.reference]), reverse("my:new_request")])

    watched.context.clear_cookies()
    sign_in(watched, "thierry", "/contractor/")
    assert_no_violations(watched, ["/contractor/", reverse("contractor:job", args=[fibre.job.pk])])


def test_the_admin_site_works_under_the_policy(watched, stories: Stories) -> None:
    sign_in(watched, "admin", "/admin/")
    fibre = stories.fibre.case
    assert_no_violations(
        watched,
        [
            "/admin/",
            "/admin/cases/case/",
            reverse("admin:cases_case_change", args=[fibre.pk]),
            "/admin/auth/user/add/",
            "/admin/auth/user/",
        ],
    )
    # The admin's own scripts run: the change list's "select all" box ticks every row.
    watched.goto("/admin/auth/user/")
    watched.locator("#action-toggle").check()
    assert watched.locator("input.action-select:checked").count() == watched.locator("input.action-select").count()
