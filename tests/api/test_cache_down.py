"""Redis down (issue 15): the API's rate limiter and every other use of the cache let the request
through and log it; the inbound door files the customer's message once, even with the broker down too.

The cache here is Django's Redis backend pointed at a port nobody listens on: the same errors a
stopped Redis gives, raised by the real client."""

import logging
from unittest import mock

import pytest
from celery import Celery
from celery.app.task import Task
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse
from kombu.exceptions import OperationalError

from cases.models import InboundDelivery, Message
from cases.notifications import schedule_digest
from correspondence.models import InboundEmail
from tests.api.conftest import ApiAs
from tests.conftest import Cast
from tests.outages import REDIS_STOPPED

BROKER_REFUSED = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
INBOUND = reverse("api:inbound-messages")


@pytest.fixture
def redis_stopped():
    with override_settings(CACHES=REDIS_STOPPED):
        yield


@pytest.fixture
def broker_down(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # production: tasks go through the broker
    with (
        mock.patch.object(Task, "apply_async", side_effect=BROKER_REFUSED),
        mock.patch.object(Celery, "send_task", side_effect=BROKER_REFUSED) as send_task,
    ):
        yield send_task


def test_the_inbound_door_files_the_message_once_with_redis_and_the_broker_down(
    cast: Cast, gateway: User, api_as: ApiAs, redis_stopped, broker_down, django_capture_on_commit_callbacks, caplog
) -> None:
    payload = {
        "external_id": "<down-1@mail.example>",
        "channel": "email",
        "sender_name": "Jeanne Martin",
        "sender_email": cast.customer.email,
        "subject": "Still no heating",
        "body": "The radiators are cold again since this morning.",
    }
    client = api_as(gateway)

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        first = client.post(INBOUND, payload)
        retry = client.post(INBOUND, payload)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert first["Content-Type"] == "application/json"
    assert retry.json() == {**first.json(), "duplicate": True}
    stored = Message.objects.filter(direction="inbound", body__contains="radiators are cold")
    assert stored.count() == 1 and InboundDelivery.objects.count() == 1
    assert "The cache could not be reached (API throttle" in caplog.text
    # Filing needs no broker: nothing was queued, so nothing waited on it.
    assert not broker_down.called


def test_the_raw_e_mail_door_stores_the_e_mail_once_with_redis_and_the_broker_down(
    cast: Cast, gateway: User, api_as: ApiAs, redis_stopped, broker_down, django_capture_on_commit_callbacks
) -> None:
    raw = (
        f"From: Jeanne Martin <{cast.customer.email}>\r\nTo: support@steward.localhost\r\n"
        "Subject: Still no heating\r\nMessage-ID: <down-2@mail.example>\r\n\r\n"
        "The radiators are cold again since this morning.\r\n"
    ).encode()
    client = api_as(gateway)

    with django_capture_on_commit_callbacks(execute=True):
        first = client.generic("POST", reverse("api:inbound-email"), raw, content_type="message/rfc822")
        retry = client.generic("POST", reverse("api:inbound-email"), raw, content_type="message/rfc822")

    assert (first.status_code, retry.status_code) == (201, 200)
    assert InboundEmail.objects.count() == 1
    assert Message.objects.filter(direction="inbound", body__contains="radiators are cold").count() == 1


def test_throttled_endpoints_still_answer_with_redis_down(cast: Cast, api_as: ApiAs, settings, redis_stopped) -> None:
    settings.API_THROTTLE_RATES = {"user": "1/minute", "anon": "1/minute"}
    client = api_as(cast.owner)

    answers = [client.get(reverse("api:case-list")).status_code for _ in range(3)]
    anonymous = client.__class__().get(reverse("api:case-list"))

    # No history can be kept, so nobody is throttled (fail open) rather than everybody refused.
    assert answers == [200, 200, 200]
    assert anonymous.status_code == 403 and anonymous.json()["code"] == "not_authenticated"


def test_the_throttle_still_counts_when_redis_is_up(cast: Cast, api_as: ApiAs, settings) -> None:
    settings.API_THROTTLE_RATES = {"user": "2/minute", "anon": "2/minute"}
    client = api_as(cast.owner)

    answers = [client.get(reverse("api:case-list")).status_code for _ in range(3)]

    assert answers == [200, 200, 429]


def test_the_flag_digest_waits_for_its_periodic_run_when_redis_is_down(settings, redis_stopped, caplog) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch.object(Celery, "send_task") as send_task, caplog.at_level(logging.WARNING):
        schedule_digest()

    assert not send_task.called
    assert "flag digest marker" in caplog.text
