"""One sign-in page for every surface: e-mail or username, failed-login limiting, role landing."""

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
