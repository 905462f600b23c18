"""Password reset by e-mail, shared by every sign-in: the same answer whether or not the
address is known, a one-time link, and plain words on every step."""

import logging
import re

from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from tests.conftest import Cast
from tests.outages import REDIS_STOPPED
from tests.selfservice.pages import assert_field_error, text

RESET = "/my/password-reset/"


def _link(body: str) -> str:
    return "/" + re.search(r"https?://\S+", body).group(0).split("://", 1)[1].split("/", 1)[1]


def test_the_reset_page_asks_for_the_sign_in_address(db, client: Client) -> None:
    assert reverse("my:password_reset") == RESET
    page = text(client.get(RESET))
    assert "Forgotten your password?" in page
    assert "Your e-mail address" in page


def test_a_known_address_gets_a_one_time_link(cast: Cast, client: Client) -> None:
    response = client.post(RESET, {"email": "CUSTOMER@example.test"})
    assert response["Location"] == reverse("my:password_reset_done")
    (message,) = mail.outbox
    assert message.to == ["customer@example.test"]
    assert message.subject == "Choose a new password for Steward"
    form_page = client.get(_link(message.body), follow=True)
    assert "Choose your password" in text(form_page)
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Leak-repaired-2026", "new_password2": "Leak-repaired-2026"}
    )
    assert done["Location"] == reverse("my:password_reset_complete")
    cast.customer.user.refresh_from_db()
    assert cast.customer.user.check_password("Leak-repaired-2026")
    assert "This link no longer works" in text(Client().get(_link(message.body), follow=True))


def test_an_unknown_address_gets_the_same_answer_and_no_mail(db, client: Client) -> None:
    response = client.post(RESET, {"email": "nobody@example.test"})
    assert response["Location"] == reverse("my:password_reset_done")
    assert not mail.outbox


def test_a_bad_address_says_what_to_do(db, client: Client) -> None:
    response = client.post(RESET, {"email": "jeanne@"})
    assert_field_error(response, "id_email", "That is not a complete e-mail address.")


def test_passwords_that_differ_are_explained(cast: Cast, client: Client) -> None:
    client.post(RESET, {"email": "customer@example.test"})
    form_page = client.get(_link(mail.outbox[0].body), follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Leak-repaired-2026", "new_password2": "Leak-repaired-2025"}
    )
    assert response.status_code == 200
    assert "The two password fields didn’t match." in text(response)
    cast.customer.user.refresh_from_db()
    assert not cast.customer.user.check_password("Leak-repaired-2026")


def test_a_made_up_link_is_refused_with_what_to_do(cast: Cast, client: Client) -> None:
    page = text(client.get(reverse("my:password_reset_confirm", args=["MQ", "made-up-token"])))
    assert "This link no longer works" in page
    assert "Ask for a new link" in page


def test_reset_mails_to_one_account_are_limited_per_hour(cast: Cast, client: Client) -> None:
    from selfservice.forms import RESET_MAILS_PER_HOUR

    for _ in range(RESET_MAILS_PER_HOUR + 2):
        response = client.post(RESET, {"email": "customer@example.test"})
        assert response["Location"] == reverse("my:password_reset_done")
    assert len(mail.outbox) == RESET_MAILS_PER_HOUR


def test_the_link_is_built_from_site_url_not_the_host_the_request_named(cast: Cast, client: Client, settings) -> None:
    # A hostile Host header that ALLOWED_HOSTS lets through must not steer the link (and its token) elsewhere.
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "https://care.example.org"
    client.post(RESET, {"email": "customer@example.test"}, HTTP_HOST="attacker.example.net")
    (message,) = mail.outbox
    links = re.findall(r"https?://\S+", message.body)
    assert links and all(link.startswith("https://care.example.org/my/password-reset/") for link in links)
    assert "attacker.example.net" not in message.body


@override_settings(CACHES=REDIS_STOPPED)
def test_a_reset_mail_still_goes_when_redis_is_down(cast: Cast, client: Client, caplog) -> None:
    """The hourly count lives in the cache: without it the e-mail goes (fail open), and the log says so."""
    with caplog.at_level(logging.WARNING):
        response = client.post(RESET, {"email": "customer@example.test"})

    assert response["Location"] == reverse("my:password_reset_done")
    assert [m.to for m in mail.outbox] == [["customer@example.test"]]
    assert "password-reset e-mail count" in caplog.text
