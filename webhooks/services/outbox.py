"""Writing deliveries in the transaction of the change they report.

cases.services.timeline calls deliveries_write for every event it writes. Most installations
have no endpoint, and most events interest none: the kinds any active endpoint wants are kept in
the cache, so an event nobody wants costs no query. When one is wanted, one query reads the
active endpoints (never the cached ids: an endpoint deleted meanwhile must not be written to) and
one insert writes a delivery per endpoint and event.
"""

import logging
import uuid
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from cases.models import TimelineEvent
from portal.cache_safety import CACHE_UNREACHABLE, log_cache_unreachable
from portal.dispatch import queue_or_log
from webhooks import events
from webhooks.models import Delivery, Endpoint

logger = logging.getLogger(__name__)

WANTED_KINDS_KEY = "webhooks:wanted-kinds:v1"
# Bounds how long another process (with its own memory cache, when there is no Redis) may miss
# a new endpoint; writes to an endpoint also forget the cached value at once.
WANTED_KINDS_SECONDS = 60
DELIVER_TASK = "webhooks.deliver_due"


def _read_wanted_kinds() -> frozenset[str]:
    kinds: set[str] = set()
    for wanted in Endpoint.objects.filter(active=True).values_list("event_kinds", flat=True):
        kinds.update(wanted or ())
    return frozenset(kinds)


def wanted_kinds() -> frozenset[str]:
    """The event kinds at least one active endpoint wants (from the cache when it holds them)."""
    try:
        cached = cache.get(WANTED_KINDS_KEY)
    except CACHE_UNREACHABLE:
        log_cache_unreachable(logger, "webhook event kinds")
        return _read_wanted_kinds()
    if cached is not None:
        return frozenset(cached)
    kinds = _read_wanted_kinds()
    try:
        cache.set(WANTED_KINDS_KEY, sorted(kinds), WANTED_KINDS_SECONDS)
    except CACHE_UNREACHABLE:
        log_cache_unreachable(logger, "webhook event kinds")
    return kinds


def _forget() -> None:
    try:
        cache.delete(WANTED_KINDS_KEY)
    except CACHE_UNREACHABLE:
        log_cache_unreachable(logger, "webhook event kinds")


def forget_wanted_kinds(**kwargs: Any) -> None:
    """After any write to an endpoint: now, and again after the commit, so that no other process
    caches what it read before the write was committed."""
    _forget()
    transaction.on_commit(_forget, robust=True)


def deliveries_write(*, timeline_events: list[TimelineEvent]) -> list[Delivery]:
    """A delivery for each event and each active endpoint that wants its kind. Call it inside the
    transaction that wrote the events (cases.services.timeline does)."""
    announced = [(kind, event) for event in timeline_events if (kind := events.webhook_kind(event)) is not None]
    if not announced:
        return []
    wanted = wanted_kinds()
    announced = [(kind, event) for kind, event in announced if kind in wanted]
    if not announced:
        return []
    endpoints = list(Endpoint.objects.filter(active=True).values_list("pk", "event_kinds"))
    now = timezone.now()
    deliveries = []
    for kind, event in announced:
        for endpoint_id, endpoint_kinds in endpoints:
            if kind in (endpoint_kinds or ()):
                delivery_id = uuid.uuid4()
                document = events.payload(delivery_id=str(delivery_id), kind=kind, event=event)
                deliveries.append(
                    Delivery(
                        id=delivery_id,
                        endpoint_id=endpoint_id,
                        kind=kind,
                        body=events.body(document),
                        next_attempt_at=now,
                    )
                )
    if not deliveries:
        return []
    Delivery.objects.bulk_create(deliveries)
    _send_after_commit()
    return deliveries


def _kick() -> None:
    queue_or_log(DELIVER_TASK)


def _send_after_commit() -> None:
    """One task per transaction, however many events it wrote; the periodic run catches up on
    whatever a lost message leaves waiting."""
    # Entries are (savepoint ids, callback, robust); the callback is the second whatever the version.
    if any(entry[1] is _kick for entry in connection.run_on_commit):
        return
    transaction.on_commit(_kick, robust=True)
