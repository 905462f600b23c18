"""Marc, a team manager, merges a duplicate customer record and a duplicate case through the staff
pages; the preview page passes axe, and its desktop and phone screenshots go to docs/screenshots/."""

from pathlib import Path

import pytest
from django.urls import reverse

from cases.demo.stories import Stories, load_stories
from cases.models import Case
from people.models import Customer
from tests.browser.conftest import in_english
from tests.browser.test_selfservice_accessibility import assert_accessible
from tests.browser.test_staff_journey import sign_in
from tests.factories import CustomerFactory, make_case

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def stories(transactional_db) -> Stories:
    return in_english(load_stories())


def test_marc_merges_a_duplicate_customer_then_a_duplicate_case(page, stories: Stories, artifacts: Path) -> None:
    fibre = stories.fibre.case
    jeanne = fibre.customer
    duplicate = CustomerFactory(full_name=jeanne.full_name, email="jeanne.work@example.test", phone="", language="en")
    triage = make_case(customer=duplicate, owner=fibre.owner, subject="Triage: box blinking red")

    sign_in(page, "marc")
    page.goto(reverse("staff:case", args=[fibre.reference]))
    page.get_by_role("link", name="Merge a duplicate customer record into this one").click()
    page.get_by_label("Find the other record (name, e-mail, phone or address)").fill("jeanne.work@example.test")
    page.get_by_role("button", name="Find records").click()
    page.get_by_role("link", name=f"Merge “{duplicate.full_name}” into this record").click()

    page.get_by_role("heading", name="What moves").wait_for()
    assert_accessible(page, "merge-customer-preview", artifacts)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / "merge-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / "merge-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_label("Why are these the same?").fill("Same person, wrote from her work address")
    page.get_by_role("button", name="Merge the records").click()
    page.wait_for_url("**/staff/search/**")
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id == jeanne.pk
    assert Case.objects.get(pk=triage.pk).customer_id == jeanne.pk

    page.goto(reverse("staff:case", args=[fibre.reference]))
    page.get_by_role("link", name="Merge another case of this customer into this case").click()
    page.get_by_role("link", name=f"Merge {triage.reference} — {triage.subject} into this case").click()
    page.get_by_role("heading", name="What moves").wait_for()
    assert_accessible(page, "merge-case-preview", artifacts)
    page.get_by_label("Why are these the same?").fill("Same fibre box")
    page.get_by_role("button", name="Merge the cases").click()
    page.wait_for_url(f"**{reverse('staff:case', args=[fibre.reference])}")
    assert page.get_by_text(f"On merged case {triage.reference}").first.is_visible()

    page.goto(reverse("staff:case", args=[triage.reference]))
    assert page.url.endswith(reverse("staff:case", args=[fibre.reference]))
