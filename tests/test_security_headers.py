"""Every surface sends the Content Security Policy (no inline script or style), a Permissions-Policy
refusing the camera, microphone and location, and a Referrer-Policy (issue 15) — error pages included."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.outages import database_down

pytestmark = pytest.mark.django_db


def assert_security_headers(response) -> None:
    policy = {
        name: values
        for name, *values in (part.split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    }
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    features = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
    assert features["camera"] == features["microphone"] == features["geolocation"] == "()"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "who, url, status",
    [
        ("owner", "/staff/", 200),
        ("customer", "/my/", 200),
        ("contractor_user", "/contractor/", 200),
        ("administrator", "/admin/", 200),
        ("administrator", "/admin/cases/case/", 200),
        ("owner", "/api/v1/cases/", 200),
        ("owner", "/api/v1/docs/", 200),
        ("owner", "/api/v1/docs/?script=", 200),
        (None, "/login/", 200),
        (None, "/my/password-reset/", 200),
        ("owner", "/staff/no-such-page/", 404),
        ("owner", "/api/v1/no-such-thing/", 404),
        (None, "/staff/", 302),
    ],
)
def test_every_surface_sends_the_three_headers(request, who, url, status):
    client = Client()
    if who:
        person = request.getfixturevalue(who)
        client.force_login(getattr(person, "user", person))

    response = client.get(url)

    assert response.status_code == status
    assert_security_headers(response)


def test_a_token_client_of_the_api_gets_them_too(owner):
    token = Token.objects.create(user=owner)

    response = Client().get(reverse("api:case-list"), headers={"authorization": f"Token {token.key}"})

    assert response.status_code == 200
    assert_security_headers(response)


def test_the_error_pages_send_them(owner):
    client = Client(raise_request_exception=False)
    client.force_login(owner)

    with database_down():
        page = client.get("/staff/")
        api = client.get(reverse("api:case-list"))

    assert (page.status_code, api.status_code) == (503, 503)
    assert_security_headers(page)
    assert_security_headers(api)


@pytest.mark.urls("tests.error_urls")
def test_the_crash_page_sends_them():
    response = Client(raise_request_exception=False).get("/boom/")

    assert response.status_code == 500
    assert_security_headers(response)
