"""One sign-in page for every surface: e-mail or username, failed-login limiting, role landing."""

import re

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _fresh_axes(db):
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def _sign_in(client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.0.0.1")


def test_administrator_signs_in_with_username_and_lands_on_admin(client, administrator):
    response = _sign_in(client, "admin")
    assert response.status_code == 302
    assert client.get(response["Location"]).url == reverse("admin:index")


def test_sign_in_by_email_address_is_case_insensitive(client, administrator):
    response = _sign_in(client, "ADMIN@example.test")
    assert response.status_code == 302


def test_wrong_password_says_what_to_do_and_keeps_the_username(client, administrator):
    response = _sign_in(client, "admin", "wrong-password")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert 'value="admin"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_account_without_any_surface_is_refused_with_a_reason(client, db):
    UserFactory(username="nobody")
    response = _sign_in(client, "nobody")
    assert response.status_code == 200
    assert "no pages in Steward" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_even_with_the_right_password(client, administrator, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "admin", "wrong-password")
    response = _sign_in(client, "admin")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_anonymous_landing_goes_to_sign_in(client, db):
    assert client.get(reverse("landing")).url == reverse("login")


def test_sign_out_needs_post_and_ends_the_session(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


# --- the lockout: per account whatever the spelling or address, per address across accounts ---


def _spellings(count: int) -> list[str]:
    """`count` different ways of typing the administrator's sign-in that all reach the account."""
    bases = ["admin", "ADMIN", "Admin", "admin@example.test", "ADMIN@EXAMPLE.TEST", "Admin@Example.Test"]
    return [" " * (i // len(bases)) + bases[i % len(bases)] + " " * (i // len(bases)) for i in range(count)]


def test_sixty_differently_spelled_wrong_passwords_lock_the_account(client, administrator, settings):
    spellings = _spellings(60)
    assert len(set(spellings)) == 60
    answers = [
        client.post(reverse("login"), {"username": typed, "password": "wrong"}, REMOTE_ADDR="10.0.0.1").status_code
        for typed in spellings
    ]
    # The try that reaches the limit is answered with the lock, and so is every later one,
    # the right password included.
    assert answers.index(429) == settings.AXES_FAILURE_LIMIT - 1
    assert set(answers[settings.AXES_FAILURE_LIMIT - 1 :]) == {429}
    response = _sign_in(client, "admin")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_account_stays_locked_from_another_address(client, administrator, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "admin", "password": "wrong"}, REMOTE_ADDR=f"10.0.1.{i}")
    response = client.post(reverse("login"), {"username": "admin", "password": PASSWORD}, REMOTE_ADDR="10.0.2.1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_try_on_each_of_26_accounts_locks_the_address(client, db, settings):
    for i in range(26):
        UserFactory(username=f"person{i}", email=f"person{i}@example.test", is_staff=True, is_superuser=True)
    answers = [_sign_in(client, f"person{i}", "wrong").status_code for i in range(26)]
    assert settings.SIGN_IN_ADDRESS_FAILURE_LIMIT < 26
    assert answers.index(429) == settings.SIGN_IN_ADDRESS_FAILURE_LIMIT - 1
    # The right password of an account nobody tried yet is refused from that address ...
    UserFactory(username="untouched", is_staff=True, is_superuser=True)
    assert _sign_in(client, "untouched").status_code == 429
    # ... and accepted from another one.
    other = client.post(reverse("login"), {"username": "untouched", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 302


def test_signing_in_to_ones_own_account_does_not_clear_the_address_count(client, db, settings):
    UserFactory(username="sprayer", is_staff=True, is_superuser=True)
    for i in range(settings.SIGN_IN_ADDRESS_FAILURE_LIMIT - 1):
        _sign_in(client, f"victim{i}", "wrong")
    assert _sign_in(client, "sprayer").status_code == 302
    client.post(reverse("logout"))
    assert _sign_in(client, "victim-last", "wrong").status_code == 429


def test_an_unknown_account_is_locked_with_the_same_words_as_a_known_one(client, administrator, settings):
    def locked_page(typed: str) -> tuple[int, str]:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(reverse("login"), {"username": typed, "password": "wrong"}, REMOTE_ADDR="10.0.3.1")
        response = client.post(reverse("login"), {"username": typed, "password": "wrong"}, REMOTE_ADDR="10.0.3.1")
        # Everything but the CSRF tokens, which are new on every page.
        page = re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]*', "", response.content.decode())
        return response.status_code, page.replace(typed, "")

    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 100
    known = locked_page("admin@example.test")
    unknown = locked_page("nobody@example.test")
    assert known[0] == unknown[0] == 429
    assert known[1] == unknown[1]
    assert "Sign-in has been paused" in known[1]


def test_the_limits_keep_within_asvs_100_failures_an_hour(settings):
    from portal.lockout_limits import ASVS_MAX_FAILURES_PER_HOUR, check_lockout_limits, failures_per_hour_at_most

    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    per_hour = failures_per_hour_at_most(failure_limit=settings.AXES_FAILURE_LIMIT, cooloff_minutes=minutes)
    assert per_hour <= ASVS_MAX_FAILURES_PER_HOUR
    with pytest.raises(ValueError, match="ASVS"):
        check_lockout_limits(account_limit=30, address_limit=30, cooloff_minutes=15)
    with pytest.raises(ValueError):
        check_lockout_limits(account_limit=0, address_limit=30, cooloff_minutes=15)
