"""French and English in a real browser: Mrs Martin reads her case in French (her language in the
demo), switches to English and back; Claire, French by default, switches to English. The page's
`lang` follows, and axe-core finds nothing serious in either language. Screenshots of the customer
case page in both languages go to test-artifacts/ (my-case-fr.png, my-case-en.png)."""

from pathlib import Path

import pytest
from django.urls import reverse

from cases.demo.cast import DEMO_PASSWORD
from cases.demo.stories import Stories, load_stories
from people.models import Preference
from tests.browser.test_selfservice_accessibility import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def stories(transactional_db) -> Stories:
    return load_stories()


def sign_in_fr(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change language").click()
    page.get_by_label("Adresse e-mail ou identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_jeanne_reads_her_case_in_french_and_can_switch_to_english(page, stories: Stories, artifacts: Path) -> None:
    fibre = stories.fibre.case
    sign_in_fr(page, "jeanne")
    page.goto(reverse("my:case", args=[fibre.reference]))

    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Écrire à" in page.content() and "Write to" not in page.content()
    assert_accessible(page, "case-fr", artifacts)
    page.screenshot(path=str(artifacts / "my-case-fr-top.png"))  # the first screen, for the docs

    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer de langue").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page, "case-en", artifacts)
    page.screenshot(path=str(artifacts / "my-case-en-top.png"))
    assert Preference.objects.get(user=fibre.customer.user).language == "en"


def test_claire_works_in_french_and_switches_to_english(page, stories: Stories) -> None:
    sign_in_fr(page, "claire")
    page.wait_for_url("**/staff/")
    assert page.locator("html").get_attribute("lang") == "fr"

    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer de langue").click()
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "en"
    assert Preference.objects.get(user__username="claire").language == "en"
