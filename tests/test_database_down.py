"""Database down (issue 15): every surface answers 503 with a calm page (JSON on the API) that says
plainly that what was sent was not sent, shows back what the customer typed, and never needs the
database to render."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from cases.models import Message
from tests.outages import database_down

pytestmark = pytest.mark.django_db

TYPED = "The radiators are cold again,\nand my mother is 89."


def _client(user=None) -> Client:
    # Django's handlers answer the error as in production instead of re-raising it into the test.
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def test_a_customer_who_writes_while_the_database_is_down_is_told_and_keeps_their_text(customer, case):
    client = _client(customer.user)
    messages_before = Message.objects.count()

    with database_down():
        response = client.post(reverse("my:write", args=[case.reference]), {"body": TYPED})

    page = response.content.decode()
    assert response.status_code == 503 and response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "120"
    assert "What you just sent was not sent." in page
    # The text comes back in a read-only box they can copy (escaped, as every value on a page).
    assert 'readonly rows="8">The radiators are cold again,\nand my mother is 89.</textarea>' in page
    assert "csrfmiddlewaretoken" not in page
    assert Message.objects.count() == messages_before


def test_a_password_typed_into_a_form_is_never_shown_back(db):
    with database_down():
        response = _client().post(reverse("login"), {"username": "jeanne martin", "password": "my secret words"})

    assert response.status_code == 503
    assert "my secret words" not in response.content.decode()
    assert "jeanne martin" in response.content.decode()


@pytest.mark.parametrize(
    "who, url",
    [
        ("owner", "/staff/"),
        ("customer", "/my/"),
        ("contractor_user", "/contractor/"),
        ("administrator", "/admin/"),
        ("owner", "/staff/no-such-page/"),
    ],
)
def test_every_page_answers_a_calm_503_while_the_database_is_down(request, who, url):
    person = request.getfixturevalue(who) if who else None
    client = _client(getattr(person, "user", person))

    with database_down():
        response = client.get(url)

    page = response.content.decode()
    assert response.status_code == 503 and response["Content-Type"].startswith("text/html")
    assert "Steward cannot save anything right now" in page
    assert "not sent" not in page  # a page opened, nothing was being sent


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_api_answers_json_503_while_the_database_is_down(owner, case, method):
    token = Token.objects.create(user=owner)
    client = _client()
    url = reverse("api:case-messages", args=[case.reference])

    with database_down():
        response = getattr(client, method)(
            url, {"body": TYPED}, content_type="application/json", headers={"authorization": f"Token {token.key}"}
        )

    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "database_unavailable"
    assert "nothing was saved" in response.json()["detail"]


def test_the_api_with_a_session_answers_json_too(owner):
    client = _client(owner)

    with database_down():
        response = client.get(reverse("api:case-list"))

    assert response.status_code == 503 and response.json()["code"] == "database_unavailable"


def test_the_error_page_reads_no_database(customer, case, django_assert_num_queries):
    """Rendering the page itself: no context processor, session or user lookup may run."""
    from django.test import RequestFactory

    from portal import error_views

    request = RequestFactory().post("/my/", {"body": TYPED})
    with django_assert_num_queries(0):
        try:
            raise error_views.OperationalError("down")
        except error_views.OperationalError:
            response = error_views.server_error(request)

    assert response.status_code == 503
