"""Playwright for Python driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download is never used: the tests launch /usr/bin/chromium. They
skip only when that browser is missing on a developer's machine; in CI (CI set) they run
and fail loudly instead.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("STEWARD_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium); CI runs these tests")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, and Django refuses
    # ORM calls under a running loop. The tests' ORM calls between browser steps are plain
    # synchronous ones, so the guard is lifted while the browser is open, and only then.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server, transactional_db) -> Iterator[object]:
    """A fresh browser tab on the live server; the database is committed so the server's
    thread sees what the test wrote."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale="en-GB", timezone_id="Europe/Paris"
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def in_english(stories):
    """The demo speaks French to most of its cast; these journeys assert the English pages, so
    everyone reads English here (tests/browser/test_languages.py covers the French)."""
    from people.models import Customer, Preference

    Preference.objects.update(language="en")
    Customer.objects.update(language="en")
    return stories
