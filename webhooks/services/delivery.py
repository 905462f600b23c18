"""Sending the deliveries that are due: claim, post, record the answer, retry or give up.

Two workers never send one delivery at once: a worker claims rows by stamping them with its
token and a lease (`claimed_until`) in a short transaction, taking only rows nobody holds. On
PostgreSQL the rows are read with SELECT … FOR UPDATE SKIP LOCKED, so two workers pick different
rows without waiting; elsewhere (SQLite) the conditional update alone decides, the database
running one writer at a time. Sending happens after that commit, outside any transaction. A
worker killed mid-batch leaves its rows to be taken again once the lease runs out: a receiver may
then see a delivery twice, and drops it by its Steward-Delivery id (delivery is at least once).
"""

import http.client
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.time_limits import SoftTimeLimitExceeded
from webhooks import addresses, sending, signing
from webhooks.models import Delivery, Endpoint
from webhooks.services.outbox import forget_wanted_kinds

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# The wait after the 1st, 2nd… failed attempt.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=24),
)
BATCH_SIZE = 20
# Long enough for a whole batch to time out one by one, so no row is retaken while still being sent.
LEASE = timedelta(seconds=BATCH_SIZE * (sending.TIMEOUT_SECONDS + 5))


@dataclass
class RunResult:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "retrying": self.retrying, "failed": self.failed}


def _due(now: datetime) -> Q:
    return Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now, endpoint__active=True) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def deliveries_claim(*, now: datetime, batch_size: int = BATCH_SIZE) -> list[Delivery]:
    """Take up to batch_size due deliveries for this worker; nobody else takes them before the lease ends."""
    token = uuid.uuid4()
    with transaction.atomic():
        due = Delivery.objects.filter(_due(now)).order_by("next_attempt_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return []
        Delivery.objects.filter(_due(now), pk__in=ids).update(claimed_until=now + LEASE, claim_token=token)
    return list(Delivery.objects.filter(claim_token=token).select_related("endpoint").order_by("next_attempt_at"))


def deliveries_send_due(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> RunResult:
    """What the task runs: batches until nothing is due."""
    result = RunResult()
    try:
        while True:
            claimed = deliveries_claim(now=now or timezone.now(), batch_size=batch_size)
            for delivery in claimed:
                outcome = delivery_attempt(delivery=delivery, now=now)
                setattr(result, outcome, getattr(result, outcome) + 1)
            if len(claimed) < batch_size:
                return result
    except SoftTimeLimitExceeded:
        # Out of time: what this run claimed but did not post is taken again when its lease ends.
        return result


def _headers(delivery: Delivery, timestamp: int) -> dict[str, str]:
    return {
        "Steward-Signature": signing.signature(
            secret=delivery.endpoint.secret, timestamp=timestamp, body=delivery.body
        ),
        "Steward-Event": delivery.kind,
        "Steward-Delivery": str(delivery.pk),
        "User-Agent": "Steward-Webhooks/1",
    }


def delivery_attempt(*, delivery: Delivery, now: datetime | None = None) -> str:
    """Post one claimed delivery and record what happened: "delivered", "retrying" or "failed"."""
    answer: sending.Answer | None = None
    error = ""
    try:
        target = addresses.check_url(delivery.endpoint.url)
        answer = sending.post(target, body=delivery.body.encode(), headers=_headers(delivery, int(time.time())))
    except addresses.RefusedAddress as refused:
        error = str(refused)
    except (OSError, http.client.HTTPException) as broken:
        error = f"{type(broken).__name__}: {broken}" if str(broken) else type(broken).__name__
    if answer is not None and not 200 <= answer.status < 300:
        error = f"HTTP {answer.status}" + (" (redirects are not followed)" if 300 <= answer.status < 400 else "")
    return _record(delivery, answer, error[:300], now or timezone.now())


def _record(delivery: Delivery, answer: sending.Answer | None, error: str, now: datetime) -> str:
    attempts = delivery.attempts + 1
    entry = {"at": now.isoformat(), "status": answer.status if answer else None, "error": error}
    fields = {
        "attempts": attempts,
        "last_attempt_at": now,
        "response_status": answer.status if answer else None,
        "response_body": answer.body if answer else "",
        "error": error,
        "attempt_log": [*delivery.attempt_log, entry],
        "claimed_until": None,
        "claim_token": None,
    }
    if not error:
        outcome, fields = "delivered", {**fields, "status": Delivery.Status.DELIVERED, "delivered_at": now}
    elif attempts >= MAX_ATTEMPTS:
        outcome, fields = "failed", {**fields, "status": Delivery.Status.FAILED}
    else:
        outcome, fields = "retrying", {**fields, "next_attempt_at": now + BACKOFF[attempts - 1]}
    with transaction.atomic():
        mine = Delivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token).update(**fields)
        if not mine:  # the lease ran out and another worker took it: its record stands
            return outcome
        endpoint = Endpoint.objects.filter(pk=delivery.endpoint_id)
        if outcome == "delivered":
            endpoint.exclude(consecutive_failures=0).update(consecutive_failures=0)
        elif outcome == "failed":
            endpoint.update(consecutive_failures=F("consecutive_failures") + 1)
            turned_off = endpoint.filter(
                active=True, consecutive_failures__gte=settings.WEBHOOK_DISABLE_AFTER_FAILURES
            ).update(active=False, disabled_at=now)
            if turned_off:
                forget_wanted_kinds()
                transaction.on_commit(lambda: _tell_superusers(delivery.endpoint_id), robust=True)
    return outcome


def _tell_superusers(endpoint_id: int) -> None:
    endpoint = Endpoint.objects.get(pk=endpoint_id)
    recipients = list(
        User.objects.filter(is_superuser=True, is_active=True).exclude(email="").values_list("email", flat=True)
    )
    if not recipients:
        logger.warning("Webhook endpoint %s was turned off and no superuser has an e-mail address.", endpoint_id)
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Webhook endpoint turned off: %(endpoint)s") % {"endpoint": endpoint}
        text = _(
            "Steward turned off the webhook endpoint %(url)s after %(count)s deliveries in a row failed.\n\n"
            "Check the receiving system, then tick “active” again on the endpoint's page in the admin "
            "site; deliveries still waiting are sent once it is active."
        ) % {"url": endpoint.url, "count": endpoint.consecutive_failures}
    send_mail(subject, text, None, recipients)
