"""Each person's language and time zone: the service, the middleware for every role and the API,
the language switch, the "Language and time zone" page, and the filters that show times with
their zone and amounts the local way."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import polib
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.services import promise_make
from contractors.services import job_schedule
from people.models import Customer, Preference
from people.preferences import preference_for, preference_set, preference_start
from portal.catalogues import compile_catalogues
from portal.errors import RuleViolation
from portal.middleware import SESSION_KEY
from portal.templatetags.steward_time import money, with_zone
from tests.conftest import Cast
from tests.factories import PASSWORD, make_staff

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"


@pytest.fixture(autouse=True)
def _thread_back_to_defaults() -> Iterator[None]:
    """LocaleMiddleware leaves the browser's language active in the thread after a request: put the
    defaults back, so the next test starts in English and the site's zone."""
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


@pytest.fixture
def french(tmp_path: Path, settings) -> Path:
    """A small French catalogue, compiled by compile_catalogues and used instead of the project's
    (which the lead engineer merges from each team's part)."""
    locale = tmp_path / "locale"
    folder = locale / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "fr",
        "Plural-Forms": "nplurals=2; plural=(n > 1);",
    }
    for msgid, msgstr in {
        "€%(amount)s": "%(amount)s €",
        "Language and time zone": "Langue et fuseau horaire",
        "Your language and time zone are saved.": "Votre langue et votre fuseau horaire sont enregistrés.",
    }.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    po.save(str(folder / "django.po"))
    assert compile_catalogues([locale]) == [folder / "django.mo"]
    settings.LOCALE_PATHS = [locale]
    return locale


def signed_in(user: User, **headers: str) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


def html_lang(response) -> str:
    content = response.content.decode()
    start = content.index("<html lang=") + len('<html lang="')
    return content[start : content.index('"', start)]


# --- the service --------------------------------------------------------------------------------


def test_a_language_the_site_does_not_offer_is_refused_on_its_field(owner: User) -> None:
    with pytest.raises(RuleViolation) as refused:
        preference_set(user=owner, language="de")
    assert refused.value.field == "language"
    assert not Preference.objects.filter(user=owner).exists()


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "localtime", "../../etc/passwd"])
def test_an_unknown_time_zone_is_refused_on_its_field(owner: User, zone: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        preference_set(user=owner, time_zone=zone)
    assert refused.value.field == "time_zone"


def test_setting_a_preference_saves_it_and_changes_only_what_was_given(owner: User) -> None:
    preference_set(user=owner, language="fr")
    assert (preference_for(owner).language, preference_for(owner).time_zone) == ("fr", settings.TIME_ZONE)
    preference_set(user=owner, time_zone=NEW_YORK)
    saved = Preference.objects.get(user=owner)
    assert (saved.language, saved.time_zone) == ("fr", NEW_YORK)


def test_a_customer_keeps_their_record_in_step_with_their_preference(customer: Customer) -> None:
    preference_set(user=customer.user, language="fr", time_zone=NEW_YORK)
    customer.refresh_from_db()
    assert (customer.language, customer.time_zone) == ("fr", NEW_YORK)


def test_a_delegate_changing_their_language_leaves_the_customer_they_help_alone(
    customer: Customer, delegate: User
) -> None:
    preference_set(user=delegate, language="fr", time_zone=NEW_YORK)
    customer.refresh_from_db()
    assert (customer.language, customer.time_zone) == (settings.LANGUAGE_CODE, settings.TIME_ZONE)


def test_the_first_preference_starts_from_the_browser_then_the_customer_record(customer: Customer, owner: User) -> None:
    Customer.objects.filter(pk=customer.pk).update(language="fr", time_zone=NEW_YORK)
    started = preference_start(customer.user, browser_language=None)
    assert (started.language, started.time_zone) == ("fr", NEW_YORK)
    assert preference_start(owner, browser_language="fr").language == "fr"
    # Once saved, the browser no longer decides.
    assert preference_start(owner, browser_language="en").language == "fr"


def test_a_customer_whose_browser_asks_for_a_language_gets_it_on_their_record_too(customer: Customer) -> None:
    preference_start(customer.user, browser_language="fr")
    customer.refresh_from_db()
    assert customer.language == "fr"


# --- signing in and the middleware, per role -----------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_axes(db: None) -> None:
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def test_signing_in_saves_the_language_the_browser_asked_for(client: Client, owner: User) -> None:
    response = client.post(
        reverse("login"),
        {"username": owner.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.7",
        HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5",
    )
    assert response.status_code == 302
    assert Preference.objects.get(user=owner).language == "fr"
    assert client.session[SESSION_KEY] == {"language": "fr", "time_zone": settings.TIME_ZONE}
    # From now on the preference wins over what the browser asks for.
    page = client.get(reverse("staff:worklist"), HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(page) == "fr"
    assert page["Content-Language"] == "fr"


def test_a_browser_asking_for_a_language_the_site_lacks_gets_the_default(client: Client, owner: User) -> None:
    client.post(
        reverse("login"),
        {"username": owner.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.8",
        HTTP_ACCEPT_LANGUAGE="de-DE",
    )
    assert Preference.objects.get(user=owner).language == settings.LANGUAGE_CODE


ROLES = ["owner", "manager", "customer", "delegate", "contractor_user", "administrator"]
LANDING = {
    "owner": "staff:worklist",
    "manager": "staff:worklist",
    "customer": "my:cases",
    "delegate": "my:cases",
    "contractor_user": "contractor:jobs",
    "administrator": "preferences",
}


def _user_of(cast: Cast, role: str) -> User:
    return cast.customer.user if role == "customer" else getattr(cast, role)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_its_pages_in_its_own_language(cast: Cast, role: str) -> None:
    user = _user_of(cast, role)
    preference_set(user=user, language="fr", time_zone=NEW_YORK)
    response = signed_in(user, HTTP_ACCEPT_LANGUAGE="en").get(reverse(LANDING[role]))
    assert response.status_code == 200
    assert html_lang(response) == "fr"
    assert response["Content-Language"] == "fr"


def test_anonymous_visitors_get_the_language_of_their_browser_or_cookie(client: Client, db: None) -> None:
    assert html_lang(client.get(reverse("login"))) == "en"
    assert html_lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.8")) == "fr"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(response) == "fr"
    assert response["Content-Language"] == "fr"


def test_a_session_from_before_languages_gets_its_preference_at_the_next_page(cast: Cast) -> None:
    client = signed_in(cast.owner)
    session = client.session
    del session[SESSION_KEY]
    session.save()
    Preference.objects.filter(user=cast.owner).delete()
    response = client.get(reverse("staff:worklist"), HTTP_ACCEPT_LANGUAGE="fr")
    assert html_lang(response) == "fr"
    assert Preference.objects.get(user=cast.owner).language == "fr"


def test_the_request_leaves_the_thread_as_it_found_it(cast: Cast) -> None:
    preference_set(user=cast.owner, language="fr", time_zone=NEW_YORK)
    signed_in(cast.owner).get(reverse("staff:worklist"))
    assert translation.get_language() == settings.LANGUAGE_CODE
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_a_page_is_translated_once_the_catalogue_has_the_words(cast: Cast, french: Path) -> None:
    preference_set(user=cast.owner, language="fr")
    page = signed_in(cast.owner).get(reverse("preferences")).content.decode()
    assert "<h1>Langue et fuseau horaire</h1>" in page


# --- times in the person's zone -----------------------------------------------------------------


def test_promises_show_their_due_time_in_the_customers_zone(cast: Cast) -> None:
    due = datetime(2030, 1, 14, 15, 0, tzinfo=ZoneInfo(PARIS))
    promise_make(actor=cast.owner, case=cast.case, text="Plumber on Monday", due_at=due)
    preference_set(user=cast.customer.user, time_zone=NEW_YORK)
    page = signed_in(cast.customer.user).get(reverse("my:case", args=[cast.case.reference])).content.decode()
    assert "Monday 14 January, 9:00 EST" in page


def test_visit_windows_name_the_zone_for_the_customer_and_the_contractor(cast: Cast) -> None:
    start = datetime(2030, 7, 2, 8, 0, tzinfo=ZoneInfo(PARIS))
    job_schedule(actor=cast.owner, job=cast.job, window_start=start, window_end=start + timedelta(hours=4))
    preference_set(user=cast.customer.user, time_zone=PARIS)
    customer_page = signed_in(cast.customer.user).get(reverse("my:case", args=[cast.case.reference]))
    assert "between 8:00 and 12:00 CEST" in customer_page.content.decode()
    preference_set(user=cast.contractor_user, time_zone="Europe/London")
    job_page = signed_in(cast.contractor_user).get(reverse("contractor:job", args=[cast.job.pk]))
    assert "07:00</time> – 11:00 BST" in job_page.content.decode()


def test_forms_read_times_in_the_persons_zone(cast: Cast) -> None:
    """A datetime typed by someone in New York is stored as that moment, not as Paris time."""
    preference_set(user=cast.owner, time_zone=NEW_YORK)
    with timezone.override(ZoneInfo(NEW_YORK)):
        from django import forms

        class DueForm(forms.Form):
            due_at = forms.DateTimeField()

        form = DueForm({"due_at": "2030-01-14 09:00"})
        assert form.is_valid()
    assert form.cleaned_data["due_at"] == datetime(2030, 1, 14, 14, 0, tzinfo=UTC)


def test_with_zone_names_the_zone_or_its_offset() -> None:
    moment = datetime(2030, 1, 14, 14, 0, tzinfo=UTC)
    with timezone.override(ZoneInfo(PARIS)):
        assert with_zone(moment) == "15:00 CET"
        assert with_zone(moment, "l j F, G:i") == "Monday 14 January, 15:00 CET"
        assert with_zone(moment.replace(month=7)) == "16:00 CEST"
    with timezone.override(ZoneInfo("Asia/Dubai")):
        assert with_zone(moment) == "18:00 UTC+04"
    with timezone.override(ZoneInfo("Asia/Kathmandu")):
        assert with_zone(moment) == "19:45 UTC+05:45"
    assert with_zone(None) == ""


def test_with_zone_speaks_the_active_language() -> None:
    moment = datetime(2030, 1, 14, 14, 0, tzinfo=UTC)
    with translation.override("fr"), timezone.override(ZoneInfo(PARIS)):
        rendered = Template('{% load steward_time %}{{ moment|with_zone:"l j F, G:i" }}').render(
            Context({"moment": moment})
        )
    assert rendered == "lundi 14 janvier, 15:00 CET"


# --- money --------------------------------------------------------------------------------------


def test_money_in_english() -> None:
    assert money(Decimal("49.9")) == "€49.90"
    assert money(Decimal("1049.90")) == "€1,049.90"
    assert money(Decimal("-5")) == "-€5.00"
    assert money(None) == ""


def test_money_in_french(french: Path) -> None:
    with translation.override("fr"):
        assert money(Decimal("49.90")) == "49,90 €"
        assert money(Decimal("1049.90")) == "1\xa0049,90 €"


# --- the language switch ------------------------------------------------------------------------


def test_a_visitor_switches_the_language_with_a_cookie_and_comes_back(client: Client, db: None) -> None:
    response = client.post(reverse("language_switch"), {"language": "fr", "next": reverse("login")})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert html_lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")) == "fr"


@pytest.mark.parametrize("unsafe", ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)"])
def test_the_switch_never_sends_anyone_to_another_site(client: Client, db: None, unsafe: str) -> None:
    response = client.post(reverse("language_switch"), {"language": "fr", "next": unsafe})
    assert response["Location"] == reverse("landing")
    response = client.post(reverse("language_switch"), {"language": "fr"}, HTTP_REFERER="/login/?next=/my/")
    assert response["Location"] == "/login/?next=/my/"


def test_a_signed_in_customer_switching_saves_it_everywhere(cast: Cast) -> None:
    client = signed_in(cast.customer.user)
    page = reverse("my:case", args=[cast.case.reference])
    response = client.post(reverse("language_switch"), {"language": "fr", "next": page})
    assert response["Location"] == page
    assert Preference.objects.get(user=cast.customer.user).language == "fr"
    assert Customer.objects.get(pk=cast.customer.pk).language == "fr"
    assert html_lang(client.get(page)) == "fr"


def test_the_switch_refuses_a_language_it_does_not_offer_and_a_get(cast: Cast) -> None:
    client = signed_in(cast.owner)
    assert client.post(reverse("language_switch"), {"language": "xx"}).status_code == 400
    assert Preference.objects.get(user=cast.owner).language == settings.LANGUAGE_CODE
    assert client.get(reverse("language_switch")).status_code == 405


def test_the_switch_is_an_accessible_form_in_every_header(cast: Cast, client: Client) -> None:
    pages = [
        (client, reverse("login")),
        (signed_in(cast.owner), reverse("staff:worklist")),
        (signed_in(cast.customer.user), reverse("my:cases")),
        (signed_in(cast.contractor_user), reverse("contractor:jobs")),
    ]
    for reader, url in pages:
        page = reader.get(url).content.decode()
        assert f'<form method="post" action="{reverse("language_switch")}"' in page, url
        assert '<label for="language-switch-select">Language</label>' in page, url
        assert '<option value="fr" lang="fr">Français</option>' in page, url
        assert "csrfmiddlewaretoken" in page, url
        assert f'<input type="hidden" name="next" value="{url}">' in page, url
        signed = reader is not client
        assert (f'href="{reverse("preferences")}"' in page) is signed, url


# --- the "Language and time zone" page ----------------------------------------------------------


def test_the_preferences_page_asks_visitors_to_sign_in(client: Client, db: None) -> None:
    response = client.get(reverse("preferences"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('preferences')}"


@pytest.mark.parametrize(
    ("role", "navigation"),
    [
        ("owner", 'aria-label="Staff pages"'),
        ("customer", 'aria-label="Your pages"'),
        ("delegate", 'aria-label="Your pages"'),
        ("contractor_user", 'aria-label="Contractor pages"'),
        ("administrator", None),
    ],
)
def test_the_preferences_page_sits_in_each_surface(cast: Cast, role: str, navigation: str | None) -> None:
    page = signed_in(_user_of(cast, role)).get(reverse("preferences"))
    assert page.status_code == 200
    content = page.content.decode()
    assert "<h1>Language and time zone</h1>" in content
    assert '<optgroup label="Europe">' in content
    assert f'<option value="{settings.TIME_ZONE}" selected>Paris</option>' in content
    if navigation:
        assert navigation in content


def test_saving_the_preferences_page(cast: Cast, french: Path) -> None:
    client = signed_in(cast.customer.user)
    response = client.post(reverse("preferences"), {"language": "fr", "time_zone": NEW_YORK})
    assert response.status_code == 302
    assert response["Location"] == reverse("preferences")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    customer = Customer.objects.get(pk=cast.customer.pk)
    assert (customer.language, customer.time_zone) == ("fr", NEW_YORK)
    page = client.get(reverse("preferences")).content.decode()
    assert "Votre langue et votre fuseau horaire sont enregistrés." in page
    assert f'<option value="{NEW_YORK}" selected>New York</option>' in page
    assert " EST." in page or " EDT." in page  # "it is now …" in New York


def test_a_bad_choice_on_the_preferences_page_saves_nothing(cast: Cast) -> None:
    client = signed_in(cast.owner)
    response = client.post(reverse("preferences"), {"language": "fr", "time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert Preference.objects.get(user=cast.owner).language == settings.LANGUAGE_CODE


def test_a_person_with_an_old_zone_alias_still_sees_it_chosen(cast: Cast) -> None:
    preference_set(user=cast.owner, time_zone="US/Eastern")
    page = signed_in(cast.owner).get(reverse("preferences")).content.decode()
    assert '<option value="US/Eastern" selected>US/Eastern</option>' in page


# --- the API --------------------------------------------------------------------------------------


def _token_client(user: User, **headers: str) -> APIClient:
    client = APIClient(**headers)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_the_api_answers_a_token_user_in_their_language(cast: Cast) -> None:
    preference_set(user=cast.owner, language="fr")
    response = _token_client(cast.owner).get(reverse("api:case-list"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"


def test_the_api_follows_accept_language_for_a_token_user_without_a_preference(db: None) -> None:
    integration = make_staff("mail_gateway")
    assert preference_for(integration) is None
    response = _token_client(integration).get(reverse("api:case-list"), HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Content-Language"] == "fr"
    assert preference_for(integration) is None


def test_the_api_answers_a_session_user_in_their_language(cast: Cast) -> None:
    preference_set(user=cast.owner, language="fr")
    response = signed_in(cast.owner).get(reverse("api:case-list"), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "fr"


def test_a_bad_token_is_still_refused(db: None) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get(reverse("api:case-list"))
    assert response.status_code in (401, 403)


# --- the demo cast ------------------------------------------------------------------------------


def test_the_demo_speaks_french_with_one_english_speaking_agent_and_customer(db: None) -> None:
    from cases.demo.cast import build_cast

    demo = build_cast(since=timezone.now() - timedelta(days=30))
    languages = {user.username: user.preference.language for user in User.objects.filter(preference__isnull=False)}
    assert {name: languages[name] for name in ("claire", "marc", "helene", "jeanne", "paul", "sophie", "omar")} == {
        "claire": "fr",
        "marc": "fr",
        "helene": "fr",
        "jeanne": "fr",
        "paul": "fr",
        "sophie": "en",
        "omar": "en",
    }
    assert all(languages[name] == "fr" for name in demo.staff if name != "sophie")
    assert (demo.customers["jeanne"].language, demo.customers["omar"].language) == ("fr", "en")
    assert {customer.time_zone for customer in demo.customers.values()} == {PARIS}
    assert set(Preference.objects.values_list("time_zone", flat=True)) == {PARIS}
