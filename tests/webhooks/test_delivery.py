"""Deliveries reach a real HTTP server: signed, retried with backoff, sent once, given up on,
and a failing endpoint is turned off with the superusers told."""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from cases.services import message_receive
from webhooks import signing
from webhooks.models import Delivery, Endpoint, EventKind
from webhooks.services import delivery as sending_service
from webhooks.services.delivery import BACKOFF, LEASE, MAX_ATTEMPTS, deliveries_claim, deliveries_send_due
from webhooks.tasks import deliver_due

pytestmark = pytest.mark.django_db


def waiting(endpoint: Endpoint, count: int, **fields: object) -> list[Delivery]:
    return Delivery.objects.bulk_create(
        Delivery(
            endpoint=endpoint, kind="case.opened", body=json.dumps({"n": n}), next_attempt_at=timezone.now(), **fields
        )
        for n in range(count)
    )


def announce(cast) -> Delivery:
    message_receive(actor=cast.customer.user, case=cast.case, body="The line is dead again.")
    return Delivery.objects.get(kind=EventKind.MESSAGE_RECEIVED)


def test_the_receiver_verifies_the_signature_of_what_it_got(cast, endpoint, receiver):
    delivery = announce(cast)

    assert deliver_due() == {"delivered": 1, "retrying": 0, "failed": 0}

    [request] = receiver.requests
    assert request.path == "/hooks/steward?source=test"
    assert request.body == delivery.body
    assert request.headers["Steward-Event"] == "message.received"
    assert request.headers["Steward-Delivery"] == str(delivery.pk)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Host"] == receiver.url.split("/")[2]
    header = request.headers["Steward-Signature"]
    assert signing.verify(secret=endpoint.secret, header=header, body=request.body, now=int(time.time()))
    # Another secret, a changed body or an old replayed request fail the receiver's check.
    assert not signing.verify(secret="not-the-secret", header=header, body=request.body, now=int(time.time()))
    assert not signing.verify(secret=endpoint.secret, header=header, body=request.body + " ", now=int(time.time()))
    assert not signing.verify(secret=endpoint.secret, header=header, body=request.body, now=int(time.time()) + 301)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert (delivery.attempts, delivery.response_status, delivery.response_body) == (1, 200, "answered 200")


def test_a_server_error_is_retried_after_a_minute_and_delivered_once(cast, endpoint, receiver):
    receiver.statuses = [500, 200]
    delivery = announce(cast)
    now = timezone.now()

    assert deliveries_send_due(now=now).as_dict() == {"delivered": 0, "retrying": 1, "failed": 0}
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.next_attempt_at == now + timedelta(minutes=1)
    assert (delivery.response_status, delivery.response_body, delivery.error) == (500, "answered 500", "HTTP 500")
    assert deliveries_send_due(now=now + timedelta(seconds=59)).as_dict()["retrying"] == 0  # not due yet

    assert deliveries_send_due(now=now + timedelta(minutes=1)).as_dict()["delivered"] == 1
    assert deliveries_send_due(now=now + timedelta(days=1)).as_dict() == {"delivered": 0, "retrying": 0, "failed": 0}

    assert [r.headers["Steward-Delivery"] for r in receiver.requests] == [str(delivery.pk)] * 2
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert [entry["status"] for entry in delivery.attempt_log] == [500, 200]


def test_the_backoff_grows_and_the_delivery_fails_after_the_last_attempt(cast, endpoint, receiver):
    receiver.statuses = [503]
    delivery = announce(cast)
    now = timezone.now()
    waits = []

    for _attempt in range(MAX_ATTEMPTS):
        deliveries_send_due(now=now)
        delivery.refresh_from_db()
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at

    assert waits[: len(BACKOFF)] == list(BACKOFF)
    assert waits[1:4] == [timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == MAX_ATTEMPTS == len(receiver.requests)
    assert deliveries_send_due(now=now + timedelta(days=30)).as_dict()["retrying"] == 0
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1


def test_a_redirect_is_not_followed(cast, endpoint, receiver):
    receiver.statuses = [302]
    delivery = announce(cast)

    deliver_due()

    assert [r.path for r in receiver.requests] == ["/hooks/steward?source=test"]  # never /elsewhere
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert "redirects are not followed" in delivery.error


def test_a_server_that_does_not_answer_is_a_failed_attempt(cast, endpoint, receiver):
    endpoint.url = "http://127.0.0.1:9/nobody-listens"  # the discard port: connection refused
    endpoint.save()
    delivery = announce(cast)

    assert deliver_due()["retrying"] == 1

    delivery.refresh_from_db()
    assert delivery.response_status is None
    assert "ConnectionRefusedError" in delivery.error


def test_an_endpoint_failing_again_and_again_is_turned_off_and_the_superusers_told(
    cast, endpoint, receiver, settings, administrator, client, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    receiver.statuses = [500]
    waiting(endpoint, 2, attempts=MAX_ATTEMPTS - 1)

    with django_capture_on_commit_callbacks(execute=True):
        deliveries_send_due()  # the last attempt of each

    endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoint.disabled_at is not None
    assert endpoint.consecutive_failures == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.FAILED}
    [told] = mail.outbox
    assert told.to == [administrator.email]
    assert endpoint.url in told.body
    # Nothing more is written for it.
    message_receive(actor=cast.customer.user, case=cast.case, body="Anyone?")
    assert Delivery.objects.count() == 2
    # Its page in the admin site says so.
    client.force_login(administrator)
    page = client.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/")
    assert "turned this endpoint off" in page.content.decode()


def test_deliveries_of_a_turned_off_endpoint_wait_until_it_is_active_again(cast, endpoint, receiver):
    waiting(endpoint, 1)
    Endpoint.objects.filter(pk=endpoint.pk).update(active=False)

    assert deliver_due()["delivered"] == 0
    Endpoint.objects.filter(pk=endpoint.pk).update(active=True)
    assert deliver_due()["delivered"] == 1


def test_a_success_resets_the_count_of_failures(cast, endpoint, receiver):
    Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=4)
    announce(cast)

    deliver_due()

    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_two_workers_do_not_take_the_same_deliveries(cast, endpoint, receiver):
    """The lease, on any database: what one worker claimed, another does not take before it ends."""
    announce(cast)
    now = timezone.now()

    mine = deliveries_claim(now=now)
    theirs = deliveries_claim(now=now)

    assert len(mine) == 1
    assert theirs == []
    # A worker killed mid-send: once the lease is over, another takes the row again.
    assert [d.pk for d in deliveries_claim(now=now + LEASE + timedelta(seconds=1))] == [mine[0].pk]


def test_a_late_worker_does_not_overwrite_the_record_of_the_one_that_took_over(cast, endpoint, receiver):
    announce(cast)
    now = timezone.now()
    [stale] = deliveries_claim(now=now)
    [fresh] = deliveries_claim(now=now + LEASE + timedelta(seconds=1))

    sending_service.delivery_attempt(delivery=fresh, now=now + LEASE + timedelta(seconds=2))
    receiver.statuses = [500]
    sending_service.delivery_attempt(delivery=stale, now=now + LEASE + timedelta(seconds=3))

    fresh.refresh_from_db()
    assert fresh.status == Delivery.Status.DELIVERED
    assert fresh.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_delivery_once_on_postgresql(cast, endpoint, receiver):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL; the lease test above covers SQLite")
    waiting(endpoint, 30)
    start = threading.Barrier(2)
    errors = []

    def worker() -> None:
        try:
            start.wait()
            deliveries_send_due(batch_size=3)
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    sent = [r.headers["Steward-Delivery"] for r in receiver.requests]
    assert sorted(sent) == sorted(str(pk) for pk in Delivery.objects.values_list("pk", flat=True))
    assert len(sent) == len(set(sent)) == 30


def test_the_task_runs_every_minute_from_beats_schedule(beat_schedule):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="webhooks.deliver_due")
    assert (task.interval.every, task.interval.period) == (1, "minutes")
    assert json.loads(task.args) == []


def test_at_the_soft_time_limit_the_run_stops_and_leaves_the_rest_for_after_the_lease(endpoint, monkeypatch):
    from portal.time_limits import SoftTimeLimitExceeded

    rows = waiting(endpoint, 3)
    posted: list[int] = []

    def attempt(*, delivery, now=None):
        if posted:
            raise SoftTimeLimitExceeded()
        posted.append(delivery.pk)
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.DELIVERED, claimed_until=None)
        return "delivered"

    monkeypatch.setattr(sending_service, "delivery_attempt", attempt)
    assert deliveries_send_due().as_dict() == {"delivered": 1, "retrying": 0, "failed": 0}
    # The two not posted stay claimed until the lease ends, then another run takes them.
    later = timezone.now() + LEASE + timedelta(seconds=1)
    assert sorted(d.pk for d in deliveries_claim(now=later)) == sorted(r.pk for r in rows if r.pk not in posted)
