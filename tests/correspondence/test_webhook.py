"""POST /api/v1/inbound/email/: a raw e-mail from a provider or a gateway, stored, then filed like the
mailbox's. 201 filed, 200 already received, 400 empty, 413 refused unread, 403 without the permission."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Message
from correspondence.models import InboundEmail
from tests.conftest import Cast
from tests.correspondence.mails import make_mail
from tests.factories import UserFactory

URL = reverse("api:inbound-email")


@pytest.fixture(autouse=True)
def _no_throttle(settings) -> None:
    settings.API_THROTTLE_RATES = {"user": "100000/minute", "anon": "100000/minute"}


@pytest.fixture
def client_for() -> Callable[[User | None], APIClient]:
    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def provider(db: None) -> User:
    user = UserFactory(username="mail-provider")
    user.user_permissions.add(Permission.objects.get(codename="deliver_inbound"))
    return User.objects.get(pk=user.pk)


def _post(client: APIClient, raw: bytes):
    return client.post(URL, data=raw, content_type="message/rfc822")


def test_a_raw_email_is_filed_and_answered_201_then_200_for_a_retry(
    cast: Cast, provider: User, client_for: Callable
) -> None:
    raw = make_mail(sender=cast.customer.email, subject=f"Re: {cast.case.reference}")
    first = _post(client_for(provider), raw)
    assert first.status_code == 201, first.content
    inbound = InboundEmail.objects.get()
    assert first.json() == {
        "id": inbound.pk,
        "case": cast.case.reference,
        "message": inbound.message_id,
        "outcome": "filed",
        "note": "",
        "duplicate": False,
    }
    assert inbound.door == "webhook"
    again = _post(client_for(provider), raw)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    assert Message.objects.filter(direction="inbound").count() == 1


def test_the_email_may_come_as_the_file_part_of_a_form(cast: Cast, provider: User, client_for: Callable) -> None:
    raw = make_mail(sender=cast.customer.email)
    upload = SimpleUploadedFile("message.eml", raw, content_type="message/rfc822")
    response = client_for(provider).post(URL, {"message": upload}, format="multipart")
    assert response.status_code == 201, response.content
    with InboundEmail.objects.get().raw.open("rb") as stored:
        assert stored.read() == raw


def test_an_empty_body_is_a_400(db: None, provider: User, client_for: Callable) -> None:
    response = _post(client_for(provider), b"")
    assert response.status_code == 400
    assert list(response.json()) == ["message"]
    assert not InboundEmail.objects.exists()


def test_a_message_over_the_reading_limit_is_still_stored_and_201(
    cast: Cast, provider: User, client_for: Callable, settings
) -> None:
    settings.INBOUND_MAIL_MAX_BYTES = 2048
    photo = ("leak.png", b"\x89PNG" + b"1" * 4000, "image/png")
    raw = make_mail(sender=cast.customer.email, subject="Photos", attachments=[photo])
    response = _post(client_for(provider), raw)
    assert response.status_code == 201
    assert response.json()["outcome"] == "triage"
    assert InboundEmail.objects.get().size == len(raw)


def test_a_body_far_over_the_limit_is_refused_unread_with_413(
    cast: Cast, provider: User, client_for: Callable, settings
) -> None:
    settings.INBOUND_MAIL_MAX_BYTES = 1024
    raw = make_mail(sender=cast.customer.email, body="x" * 10_000)
    response = _post(client_for(provider), raw)
    assert response.status_code == 413
    assert response.json()["code"] == "too_big"
    assert not InboundEmail.objects.exists()


def test_another_media_type_is_a_415(db: None, provider: User, client_for: Callable) -> None:
    response = client_for(provider).post(URL, {"message": "hello"}, format="json")
    assert response.status_code == 415


@pytest.mark.parametrize("who", [None, "owner", "customer"])
def test_only_an_account_allowed_to_deliver_may_deliver(cast: Cast, client_for: Callable, who: str | None) -> None:
    user = {None: None, "owner": cast.owner, "customer": cast.customer.user}[who]
    response = _post(client_for(user), make_mail(sender=cast.customer.email))
    assert response.status_code == 403
    assert not InboundEmail.objects.exists()
