"""Tokens for integrations, the session with CSRF for the browser, per-user throttling."""

from django.conf import settings as project_settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.middleware.csrf import _get_new_csrf_string
from django.urls import reverse
from pytest_django.fixtures import Settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Case
from tests.api.conftest import ApiAs
from tests.conftest import Cast


def test_a_request_without_credentials_is_refused(cast: Cast, anonymous: APIClient) -> None:
    response = anonymous.get(reverse("api:case-list"))
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"


def test_an_unknown_token_is_refused(cast: Cast) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get(reverse("api:case-list"))
    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"


def test_a_deactivated_account_s_token_stops_working(cast: Cast, api_as: ApiAs) -> None:
    client = api_as(cast.customer.user)
    assert client.get(reverse("api:case-list")).status_code == 200
    User.objects.filter(pk=cast.customer.user_id).update(is_active=False)
    assert client.get(reverse("api:case-list")).status_code == 403


def test_the_browser_session_reads_and_needs_the_csrf_token_to_write(cast: Cast) -> None:
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(cast.owner)
    url = reverse("api:case-status", args=[cast.case.reference])
    assert browser.get(reverse("api:case-detail", args=[cast.case.reference])).status_code == 200
    refused = browser.post(url, {"status": "waiting_customer"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert Case.objects.get(pk=cast.case.pk).status == cast.case.status
    # The cookie the portal's pages set, echoed in the header as the browser's script does.
    token = _get_new_csrf_string()
    browser.cookies[project_settings.CSRF_COOKIE_NAME] = token
    accepted = browser.post(url, {"status": "waiting_customer"}, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200


def test_a_token_needs_no_csrf_token(cast: Cast) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=cast.owner).key}")
    response = client.post(reverse("api:case-status", args=[cast.case.reference]), {"status": "waiting_customer"})
    assert response.status_code == 200


def test_each_user_has_their_own_budget(cast: Cast, api_as: ApiAs, settings: Settings) -> None:
    settings.API_THROTTLE_RATES = {"user": "3/minute", "anon": "2/minute"}
    url = reverse("api:case-list")
    owner = api_as(cast.owner)
    assert [owner.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = owner.get(url)
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert api_as(cast.customer.user).get(url).status_code == 200
    anonymous = APIClient()
    assert [anonymous.get(reverse("api:schema")).status_code for _ in range(3)] == [200, 200, 429]


def test_the_integration_command_makes_a_token_account_with_the_inbound_permission(db: None, capsys) -> None:
    call_command("api_integration", "mail-gateway", "--inbound")
    key = capsys.readouterr().out.strip()
    gateway = User.objects.get(username="mail-gateway")
    assert Token.objects.get(user=gateway).key == key
    assert not gateway.has_usable_password()
    assert gateway.has_perm("cases.deliver_inbound")
    call_command("api_integration", "mail-gateway")
    assert capsys.readouterr().out.strip() == key
    call_command("api_integration", "mail-gateway", "--rotate")
    rotated = capsys.readouterr().out.strip()
    assert rotated != key
    assert Token.objects.filter(user=gateway).get().key == rotated


def test_the_token_admin_page_is_not_offered(cast: Cast) -> None:
    from django.contrib import admin
    from rest_framework.authtoken.models import TokenProxy

    assert not admin.site.is_registered(TokenProxy)


def test_addresses_the_api_does_not_have_answer_in_json(cast: Cast, api_as: ApiAs) -> None:
    client = api_as(cast.owner)
    for url in ("/api/v1/jobs/not-a-number/", "/api/v1/nothing-here/", "/api/v1/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert client.post("/api/v1/jobs/abc/cancel/", {"reason": "other"}).status_code == 404


def test_an_options_request_is_refused_cleanly(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).options(reverse("api:inbound-messages"))
    assert response.status_code == 403  # the owner may not deliver inbound messages
    response = api_as(cast.owner).options(reverse("api:case-list"))
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_a_body_that_does_not_parse_gets_the_field_level_shape(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).post(
        reverse("api:case-resolve", args=[cast.case.reference]), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
