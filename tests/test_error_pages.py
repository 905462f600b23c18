"""Friendly 403, 404, 405 and 500 pages on the browser surfaces; JSON on the API."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from portal import error_views


def test_an_unknown_page_is_friendly_and_an_unknown_api_address_answers_json(client, owner):
    client.force_login(owner)

    page = client.get("/staff/no-such-page/")
    api = client.get("/api/v1/no-such-thing/")

    assert page.status_code == 404 and "We cannot find this page" in page.content.decode()
    assert api.status_code == 404 and api.json()["detail"] == "Not found."


def test_opening_a_form_address_as_a_link_explains_what_to_do(client, owner, case):
    client.force_login(owner)

    response = client.get(reverse("staff:case_reply", args=[case.reference]))

    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "This is done with a button on the page" in response.content.decode()


def test_a_forbidden_page_says_why(rf, owner):
    request = rf.get("/staff/")
    request.user = owner

    response = error_views.permission_denied(request, PermissionDenied("Only the owner can do this."))

    assert response.status_code == 403 and "Only the owner can do this." in response.content.decode()


@pytest.mark.urls("tests.error_urls")
def test_a_crash_shows_a_calm_page_and_the_api_json(db):
    client = Client(raise_request_exception=False)

    page = client.get("/boom/")
    api = client.get("/api/boom/")

    assert page.status_code == 500 and "Something went wrong on our side" in page.content.decode()
    assert api.status_code == 500 and "Something went wrong" in api.json()["detail"]


def test_the_error_pages_speak_french(client, owner):
    client.cookies["django_language"] = "fr"

    page = client.get("/staff/no-such-page/", headers={"accept-language": "fr"})

    assert page.status_code == 404 and 'lang="fr"' in page.content.decode()
