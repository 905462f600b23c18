"""Retention periods (settings RETENTION_*): personal data Steward no longer needs is dropped in
batches by an hourly beat task (cases.tasks.apply_retention). Each step acts only on rows older
than its period, and only once, so runs may overlap or repeat. docs/privacy.md explains them.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.models import Attachment, Case
from cases.services.privacy import ERASED, ERASED_AFTER_RETENTION, erase_personal_data
from cases.services.timeline import Sentence
from people.models import Customer
from portal.time_limits import SoftTimeLimitExceeded

logger = logging.getLogger(__name__)


def _in_batches(due: Callable[[], QuerySet[Any]], handle: Callable[[list[int]], None]) -> int:
    """Handle the ids `due()` lists, a batch per transaction, up to the run's bound."""
    handled = 0
    for _batch in range(settings.RETENTION_MAX_BATCHES_PER_RUN):
        ids = list(due().values_list("pk", flat=True)[: settings.RETENTION_BATCH_SIZE])
        if not ids:
            break
        try:
            with transaction.atomic():
                handle(ids)
        except SoftTimeLimitExceeded:
            # The task's soft time limit: this batch rolled back, the next hourly run takes it.
            logger.warning("Retention: time limit reached after %s rows; the next run goes on.", handled)
            raise
        handled += len(ids)
        if len(ids) < settings.RETENTION_BATCH_SIZE:
            break
    return handled


def drop_raw_inbound_emails(*, now: datetime) -> int:
    """The original file of e-mails received more than RETENTION_INBOUND_RAW_DAYS ago, once filed:
    the text on the case stays, the "original-message.eml" download goes with the file."""
    from correspondence.models import InboundEmail

    days = settings.RETENTION_INBOUND_RAW_DAYS
    if days <= 0:
        return 0
    cutoff = now - timedelta(days=days)

    def due() -> QuerySet[Any]:
        return (
            InboundEmail.objects.filter(received_at__lt=cutoff, processed_at__isnull=False)
            .exclude(raw="")
            .order_by("pk")
        )

    def handle(ids: list[int]) -> None:
        for email in InboundEmail.objects.select_for_update().filter(pk__in=ids).exclude(raw=""):
            name = email.raw.name
            assert name, "the query excludes e-mails without a raw file"
            email.raw.storage.delete(name)
            Attachment.objects.filter(file=name).delete()
            InboundEmail.objects.filter(pk=email.pk).update(raw="")

    return _in_batches(due, handle)


def drop_outbox_bodies(*, now: datetime) -> int:
    """The text of e-mails sent (or given up on) more than RETENTION_OUTBOX_BODY_DAYS ago; the
    row (who, when, subject, status) stays for the case's history."""
    from correspondence.models import OutboundEmail

    days = settings.RETENTION_OUTBOX_BODY_DAYS
    if days <= 0:
        return 0
    cutoff = now - timedelta(days=days)

    def due() -> QuerySet[Any]:
        finished = Q(status="sent", sent_at__lt=cutoff) | Q(status="failed", failed_at__lt=cutoff)
        return OutboundEmail.objects.filter(finished).exclude(body_text=ERASED).order_by("pk")

    def handle(ids: list[int]) -> None:
        OutboundEmail.objects.filter(pk__in=ids).update(body_text=ERASED, body_html=ERASED)

    return _in_batches(due, handle)


def erase_customers_of_closed_cases(*, now: datetime) -> int:
    """Customers whose every case closed more than RETENTION_CLOSED_CASE_DAYS ago are anonymised
    as by an erasure on request (cases.services.privacy), with Steward as the actor."""
    days = settings.RETENTION_CLOSED_CASE_DAYS
    if days <= 0:
        return 0
    cutoff = now - timedelta(days=days)

    def due() -> QuerySet[Any]:
        return (
            Customer.objects.filter(erased_at__isnull=True, merged_into__isnull=True, cases__isnull=False)
            .exclude(cases__status__in=Case.OPEN_STATUSES)
            .exclude(cases__closed_at__gte=cutoff)
            .distinct()
            .order_by("pk")
        )

    summary = Sentence(ERASED_AFTER_RETENTION, {"days": days})

    def handle(ids: list[int]) -> None:
        # Re-read under the lock: a customer who wrote again since the batch was listed is kept.
        for customer in Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            if due().filter(pk=customer.pk).exists():
                erase_personal_data(customer=customer, actor=None, summary=summary)

    return _in_batches(due, handle)


def retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    steps = {
        "raw_emails": drop_raw_inbound_emails,
        "outbox_bodies": drop_outbox_bodies,
        "customers_erased": erase_customers_of_closed_cases,
    }
    outcome = dict.fromkeys(steps, 0)
    for key, step in steps.items():
        try:
            outcome[key] = step(now=now)
        except SoftTimeLimitExceeded:
            break  # logged by _in_batches; the committed batches stay done
    return outcome
