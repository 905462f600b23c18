"""Notifications: a flag reaching the person at its level, in the app and by e-mail.

A notification row is written in the transaction that raises or escalates the flag, so it
can never be lost. E-mail goes out later as one digest per person: the sender claims the
unsent rows, groups them by recipient and sends one message each. Celery is only asked to
run the sender after the commit, and a broker that is down changes nothing but the delay:
the every-minute periodic run sends whatever is still waiting.

Calm escalation (issue 13). A row written outside the recipient's working time is held until
the start of the next working period of the flag's calendar (`held_until`; cases/deadlines.py,
so an urgent case or a vulnerable customer is told at once). The in-app list, the unread count
and the digest only see rows not held or whose time has come; the periodic digest run sends a
held row in the first minute after it. Rows are unique per (recipient, flag, level):
whoever writes second (another worker, a retried task, a stale copy) writes nothing.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases import deadlines
from cases.models import Case, Flag, Notification
from people.preferences import reader_settings
from portal import dispatch
from portal.cache_safety import CACHE_UNREACHABLE, log_cache_unreachable
from portal.errors import NotAllowed
from portal.time_limits import SoftTimeLimitExceeded

logger = logging.getLogger(__name__)

DIGEST_SCHEDULED_KEY = "steward:notification-digest-scheduled"
DIGEST_TASK = "cases.send_flag_notifications"  # cases/tasks.py


def case_url(case: Case, *, for_customer: bool = False) -> str:
    """The absolute link to a case for e-mails (which have no request to build it from):
    the staff page, or the customer's self-service page."""
    name = "my:case" if for_customer else "staff:case"
    return settings.SITE_URL + reverse(name, kwargs={"reference": case.reference})


# --- queueing (inside the flag's transaction) -----------------------------------------------


def notification_queue(*, flag: Flag, reason: str, now: datetime) -> Notification | None:
    """Tell the person now holding the flag, when their working time allows. Called inside the
    transaction that raised or escalated it.

    Escalations of one case are told once: a row joins (`grouped_into`) the unread escalation
    notification of the same person, case and level that reaches them at the same moment. The
    flags of a case escalated in one watcher pass share its `now`; those held over a weekend
    share the Monday opening they wait for. The first row of a group speaks for it: one entry
    with its flags in the in-app list, one item in the digest. Raised flags stay one row each:
    the owner works through them one by one. Two workers escalating two flags of one case at the
    very same moment may still make two groups; neither flag is told twice.

    Returns the row telling this flag, or None when nobody is at this level (the flag stays
    visible in the lists)."""
    if flag.assignee_id is None:
        return None
    once = Notification.objects.filter(recipient_id=flag.assignee_id, flag=flag, level=flag.level)
    if written := once.first():
        return written  # a retried task, or a second worker: nothing new to say
    due = deadlines.notification_due(flag.case, flag.assignee, now)
    held_until = due if due > now else None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient_id=flag.assignee_id,
                flag=flag,
                level=flag.level,
                reason=reason,
                summary=flag.summary,
                created_at=now,
                held_until=held_until,
                grouped_into=_group_to_join(flag, reason, now, held_until),
            )
    except IntegrityError:
        # Another worker wrote it between our look and our insert.
        if written := once.first():
            return written
        raise
    transaction.on_commit(schedule_digest, robust=True)
    return notification


def notifications_queue_many(*, flags: list[Flag], reason: str, now: datetime) -> list[Notification]:
    """notification_queue for many flags raised or escalated together (a watcher's batch), with
    the same holding and grouping rules, in a few statements: one look for rows already written
    and for groups to join, one insert for the rows that start a group, one for the others."""
    flags = [flag for flag in flags if flag.assignee_id is not None]
    if not flags:
        return []
    written = set(
        Notification.objects.filter(flag__in=flags).values_list("recipient_id", "flag_id", "level")
    )  # a retried batch: nothing new to say about these
    rows: list[Notification] = []
    for flag in flags:
        if (flag.assignee_id, flag.pk, flag.level) in written:
            continue
        due = deadlines.notification_due(flag.case, flag.assignee, now)
        rows.append(
            Notification(
                recipient_id=flag.assignee_id,
                flag=flag,
                level=flag.level,
                reason=reason,
                summary=flag.summary,
                created_at=now,
                held_until=due if due > now else None,
            )
        )
    try:
        with transaction.atomic():
            if reason == Notification.Reason.ESCALATED:
                _insert_grouped(rows, now)
            else:
                Notification.objects.bulk_create(rows)
    except IntegrityError:
        # Another worker wrote some of them between our look and our insert: one by one.
        return [n for flag in flags if (n := notification_queue(flag=flag, reason=reason, now=now)) is not None]
    transaction.on_commit(schedule_digest, robust=True)
    return rows


def _insert_grouped(rows: list[Notification], now: datetime) -> None:
    """Escalations: each row joins the group _group_to_join would find for it, the first row of
    a new group (in flag order) starting it."""

    def key(recipient_id: int, case_id: int, level: int, held_until: datetime | None, created_at: datetime) -> tuple:
        return (recipient_id, case_id, level, held_until if held_until is not None else ("at", created_at))

    groupable = [n for n in rows if n.flag.case_id is not None]
    heads: dict[tuple, int] = {}
    if groupable:
        held = {n.held_until for n in groupable if n.held_until is not None}
        same_moment = Q(held_until__in=held) | Q(held_until__isnull=True, created_at=now)
        for pk, recipient_id, case_id, level, held_until, created_at in (
            Notification.objects.filter(
                same_moment,
                recipient_id__in={n.recipient_id for n in groupable},
                flag__case_id__in={n.flag.case_id for n in groupable},
                level__in={n.level for n in groupable},
                reason=Notification.Reason.ESCALATED,
                grouped_into__isnull=True,
                read_at__isnull=True,
            )
            .order_by("-pk")  # the oldest wins, as _group_to_join's .first()
            .values_list("pk", "recipient_id", "flag__case_id", "level", "held_until", "created_at")
        ):
            heads[key(recipient_id, case_id, level, held_until, created_at)] = pk
    starting: list[Notification] = []
    joining: list[tuple[Notification, tuple]] = []
    started: set[tuple] = set()
    for n in rows:
        if n.flag.case_id is None:
            starting.append(n)
            continue
        k = key(n.recipient_id, n.flag.case_id, n.level, n.held_until, n.created_at)
        if k in heads:
            n.grouped_into_id = heads[k]
        elif k not in started:
            started.add(k)
            starting.append(n)
            continue
        joining.append((n, k))
    Notification.objects.bulk_create(starting)
    for n in starting:
        if n.flag.case_id is not None:
            heads.setdefault(key(n.recipient_id, n.flag.case_id, n.level, n.held_until, n.created_at), n.pk)
    for n, k in joining:
        n.grouped_into_id = heads[k]
    Notification.objects.bulk_create([n for n, _k in joining])


def _group_to_join(flag: Flag, reason: str, now: datetime, held_until: datetime | None) -> Notification | None:
    if reason != Notification.Reason.ESCALATED or flag.case_id is None:
        return None
    same_moment = Q(held_until=held_until) if held_until is not None else Q(held_until__isnull=True, created_at=now)
    return (
        Notification.objects.filter(
            same_moment,
            recipient_id=flag.assignee_id,
            flag__case_id=flag.case_id,
            level=flag.level,
            reason=reason,
            grouped_into__isnull=True,
            read_at__isnull=True,
        )
        .order_by("pk")
        .first()
    )


def _delivered(now: datetime) -> Q:
    """Rows that have reached their person: told at once, or held until a moment now past."""
    return Q(held_until__isnull=True) | Q(held_until__lte=now)


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
    try:
        if not cache.add(DIGEST_SCHEDULED_KEY, True, timeout=max(delay, 1)):
            return  # a digest is already scheduled for this burst
    except CACHE_UNREACHABLE:
        # Without the marker every flag of a burst would queue its own digest; the periodic run sends them.
        log_cache_unreachable(logger, "flag digest marker")
        return
    try:
        # By name: cases.tasks imports this module (tests/test_import_graph.py).
        dispatch.queue_now(DIGEST_TASK, countdown=delay)
    except Exception:
        _forget_digest_marker()
        logger.warning(
            "Could not reach the Celery broker to schedule the flag digest; the periodic run will send it.",
            exc_info=True,
        )


def _forget_digest_marker() -> None:
    try:
        cache.delete(DIGEST_SCHEDULED_KEY)
    except CACHE_UNREACHABLE:
        log_cache_unreachable(logger, "flag digest marker")


# --- the e-mail digest ------------------------------------------------------------------------


def _lockable(queryset: QuerySet) -> QuerySet:
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def _claim_unsent(now: datetime, batch_size: int) -> list[Notification]:
    """Take a batch of unsent notifications so no other sender mails them at the same time."""
    retake_before = now - timedelta(minutes=settings.NOTIFICATION_EMAIL_RETRY_MINUTES)
    sendable = (
        Q(emailed_at__isnull=True)
        & _delivered(now)
        & (Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=retake_before))
    )
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
    # One item per notification group: the flags of one case escalated together come as one.
    groups: dict[int, list[Notification]] = {}
    for n in notifications:
        groups.setdefault(n.grouped_into_id or n.pk, []).append(n)
    items = [
        {
            "flags": [{"kind": n.flag.get_kind_display(), "summary": n.flag.text} for n in rows],
            "level": rows[0].level,
            "escalated": rows[0].reason == Notification.Reason.ESCALATED,
            "reference": rows[0].flag.case.reference if rows[0].flag.case else "",
            "url": case_url(rows[0].flag.case) if rows[0].flag.case else flags_url,
        }
        for rows in groups.values()
    ]
    context = {"recipient": recipient, "items": items, "count": len(notifications), "flags_url": flags_url}
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
    waiting = list(by_recipient.values())
    for position, rows in enumerate(waiting):
        recipient = rows[0].recipient
        ids = [n.pk for n in rows]
        if not recipient.is_active or not recipient.email:
            # Nothing to send to; the in-app list still shows them.
            Notification.objects.filter(pk__in=ids).update(emailed_at=now)
            continue
        try:
            mail.send_messages([_digest_email(recipient, rows)])
        except SoftTimeLimitExceeded:
            # The task's time is up: this digest may have gone, so its rows stay claimed (retaken
            # after NOTIFICATION_EMAIL_RETRY_MINUTES); the digests not yet tried go back now.
            untried = [n.pk for later in waiting[position + 1 :] for n in later]
            Notification.objects.filter(pk__in=untried, emailed_at__isnull=True).update(email_claimed_at=None)
            logger.warning("Flag digests: time limit reached after %s e-mails; the next run sends the rest.", sent)
            break
        except Exception:
            Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(email_claimed_at=None)
            logger.warning("Could not send the flag digest to %s; it will be retried.", recipient.email, exc_info=True)
            continue
        Notification.objects.filter(pk__in=ids).update(emailed_at=now)
        sent += 1
    return sent


# --- the in-app list ----------------------------------------------------------------------------


def notifications_for(user: User, *, flag_id: int | None = None, now: datetime | None = None) -> QuerySet[Notification]:
    """What has reached the user: one entry per notification group (its other flags in
    `grouped`), optionally only the entries telling one flag."""
    items = Notification.objects.filter(_delivered(now or timezone.now()), recipient=user, grouped_into__isnull=True)
    if flag_id is not None:
        telling = Notification.objects.filter(recipient=user, flag_id=flag_id, grouped_into__isnull=False)
        items = items.filter(Q(flag_id=flag_id) | Q(pk__in=telling.values("grouped_into_id")))
    return items.select_related("flag__case").prefetch_related(
        Prefetch("grouped", queryset=Notification.objects.select_related("flag__case").order_by("pk"))
    )


def unread_count(user: User) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise NotAllowed(_("This notification is not yours."))
    Notification.objects.filter(Q(pk=notification.pk) | Q(grouped_into=notification.pk), read_at__isnull=True).update(
        read_at=timezone.now()
    )
    notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor: User) -> int:
    """Mark what has reached the actor as read (not what is held for later); returns entries marked."""
    now = timezone.now()
    unread = Notification.objects.filter(_delivered(now), recipient=actor, read_at__isnull=True)
    with transaction.atomic():
        unread.filter(grouped_into__isnull=False).update(read_at=now)
        return unread.filter(grouped_into__isnull=True).update(read_at=now)
