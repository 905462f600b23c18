"""Notifications: a flag reaching the person at its level, in the app and by e-mail.

A notification row is written in the transaction that raises or escalates the flag, so it
can never be lost. E-mail goes out later as one digest per person: the sender claims the
unsent rows, groups them by recipient and sends one message each. Celery is only asked to
run the sender after the commit, and a broker that is down changes nothing but the delay:
the every-minute periodic run sends whatever is still waiting.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import Case, Flag, Notification
from people.preferences import reader_settings
from portal.errors import NotAllowed

logger = logging.getLogger(__name__)

DIGEST_SCHEDULED_KEY = "steward:notification-digest-scheduled"


def case_url(case: Case, *, for_customer: bool = False) -> str:
    """The absolute link to a case for e-mails (which have no request to build it from):
    the staff page, or the customer's self-service page."""
    name = "my:case" if for_customer else "staff:case"
    return settings.SITE_URL + reverse(name, kwargs={"reference": case.reference})


# --- queueing (inside the flag's transaction) -----------------------------------------------


def notification_queue(*, flag: Flag, reason: str, now: datetime) -> Notification | None:
    """Tell the person now holding the flag. Called inside the transaction that raised or
    escalated it; raising and escalating happen once per level, and so does this row."""
    if flag.assignee_id is None:
        return None  # nobody at this level (no manager or head on record): the flag stays visible in lists
    notification = Notification.objects.create(
        recipient_id=flag.assignee_id,
        flag=flag,
        level=flag.level,
        reason=reason,
        summary=flag.summary,
        created_at=now,
    )
    transaction.on_commit(schedule_digest, robust=True)
    return notification


def schedule_digest() -> None:
    """Ask a worker to send the digest shortly, once per burst. Never raises: if the broker is
    down the rows wait and the periodic run sends them."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Tasks run in-process (tests, set-ups without a broker): send now, as Celery would.
        try:
            notifications_send_digests()
        except Exception:
            logger.exception("Could not send the flag digest; the periodic run will retry it.")
        return
    delay = settings.NOTIFICATION_DIGEST_DELAY_SECONDS
    if not cache.add(DIGEST_SCHEDULED_KEY, True, timeout=max(delay, 1)):
        return  # a digest is already scheduled for this burst
    try:
        from cases.tasks import send_flag_notifications

        send_flag_notifications.apply_async(countdown=delay, retry=False)
    except Exception:
        cache.delete(DIGEST_SCHEDULED_KEY)
        logger.warning(
            "Could not reach the Celery broker to schedule the flag digest; the periodic run will send it.",
            exc_info=True,
        )


# --- the e-mail digest ------------------------------------------------------------------------


def _lockable(queryset: QuerySet) -> QuerySet:
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def _claim_unsent(now: datetime, batch_size: int) -> list[Notification]:
    """Take a batch of unsent notifications so no other sender mails them at the same time."""
    retake_before = now - timedelta(minutes=settings.NOTIFICATION_EMAIL_RETRY_MINUTES)
    sendable = Q(emailed_at__isnull=True) & (Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=retake_before))
    if not Notification.objects.filter(sendable).order_by("created_at").values_list("pk", flat=True)[:1]:
        return []  # nothing waiting (probed in index order, see watchers.base.has_rows): no write transaction
    with transaction.atomic():
        ids = list(
            _lockable(Notification.objects.filter(sendable).order_by("created_at", "id")).values_list("pk", flat=True)[
                :batch_size
            ]
        )
        if not ids:
            return []
        Notification.objects.filter(sendable, pk__in=ids).update(email_claimed_at=now)
    return list(
        Notification.objects.filter(pk__in=ids, email_claimed_at=now, emailed_at__isnull=True)
        .select_related("recipient__preference", "flag__case")
        .order_by("created_at", "id")
    )


def _digest_email(recipient: User, notifications: list[Notification]) -> EmailMultiAlternatives:
    """One recipient's digest, written in their language and time zone."""
    language, zone = reader_settings(recipient)
    with translation.override(language), timezone.override(zone):
        return _digest_message(recipient, notifications)


def _digest_message(recipient: User, notifications: list[Notification]) -> EmailMultiAlternatives:
    flags_url = settings.SITE_URL + reverse("staff:flags")
    items = [
        {
            "summary": n.flag.text,
            "level": n.level,
            "escalated": n.reason == Notification.Reason.ESCALATED,
            "kind": n.flag.get_kind_display(),
            "reference": n.flag.case.reference if n.flag.case else "",
            "url": case_url(n.flag.case) if n.flag.case else flags_url,
        }
        for n in notifications
    ]
    context = {"recipient": recipient, "items": items, "count": len(items), "flags_url": flags_url}
    subject = " ".join(render_to_string("email/flag_digest_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("email/flag_digest.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(render_to_string("email/flag_digest.html", context), "text/html")
    return message


def notifications_send_digests(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """E-mail every recipient their waiting notifications as one digest; returns e-mails sent.

    A digest that fails to send is released for the next run; one that was claimed by a
    worker killed before it finished is retaken after NOTIFICATION_EMAIL_RETRY_MINUTES.
    """
    now = now or timezone.now()
    claimed = _claim_unsent(now, batch_size or settings.WATCHER_BATCH_SIZE)
    by_recipient: dict[int, list[Notification]] = defaultdict(list)
    for notification in claimed:
        by_recipient[notification.recipient_id].append(notification)
    sent = 0
    mail = get_connection()
    for rows in by_recipient.values():
        recipient = rows[0].recipient
        ids = [n.pk for n in rows]
        if not recipient.is_active or not recipient.email:
            # Nothing to send to; the in-app list still shows them.
            Notification.objects.filter(pk__in=ids).update(emailed_at=now)
            continue
        try:
            mail.send_messages([_digest_email(recipient, rows)])
        except Exception:
            Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(email_claimed_at=None)
            logger.warning("Could not send the flag digest to %s; it will be retried.", recipient.email, exc_info=True)
            continue
        Notification.objects.filter(pk__in=ids).update(emailed_at=now)
        sent += 1
    return sent


# --- the in-app list ----------------------------------------------------------------------------


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first, with what the list shows."""
    return Notification.objects.filter(recipient=user).select_related("flag__case")


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise NotAllowed(_("This notification is not yours."))
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
