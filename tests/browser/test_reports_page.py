"""The reports page in Chromium (issue 17): a manager's month of figures, under the Content Security
Policy without one violation, and no serious or critical axe-core finding on the charts and tables."""

from io import StringIO

import pytest
from django.core.management import call_command

from cases.demo.stories import Stories, load_stories
from tests.browser.conftest import in_english
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS
from tests.browser.test_contractor_story import sign_in
from tests.browser.test_selfservice_accessibility import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def stories(transactional_db: None, settings) -> Stories:
    stories = in_english(load_stories())
    settings.DEBUG = True
    call_command("load_demo", volume=80, seed=9, stdout=StringIO())
    return stories


def test_the_reports_page_draws_its_charts_accessibly(page, stories: Stories, artifacts) -> None:
    page.context.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, "marc", "/staff/")
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url("**/staff/reports/")
    chart = page.get_by_role("img", name="Promise kept rate")
    assert chart.count() == 1
    assert page.locator("#table-promises tbody tr").count() >= 1
    assert page.evaluate("window.__cspViolations") == []
    assert_accessible(page, "staff-reports", artifacts)
    page.locator("#table-promises tbody tr a").first.click()
    page.wait_for_url("**/staff/reports/cases/**")
    assert page.get_by_role("heading", name="Cases behind a figure").count() == 1
