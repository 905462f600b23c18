"""The outbox: e-mails written with the record they tell about, sent after the commit, once.

- `email_enqueue` is called inside the transaction of the change (a reply, a handoff…): the row and
  the record commit together or not at all, so nothing is sent for a change that rolled back and
  nothing is forgotten for one that committed.
- After the commit, a Celery task sends the row; if the broker is down the row simply waits, and
  the every-minute sweep sends it (a broker outage only delays mail).
- Sending first claims the row with a conditional UPDATE (queued → sending); only the worker whose
  UPDATE changed the row sends it, so two workers never send one e-mail twice.
- A worker killed between the claim and the send leaves the row "sending": the sweep takes it back
  after OUTBOX_RECLAIM_MINUTES (longer than any SMTP timeout), so it is delayed, never lost.
- A temporary failure is retried with exponential backoff; a permanent one (the server refuses the
  address) or the last attempt marks the e-mail failed and raises a flag to the case owner.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases.models import Case, Flag, Message, TimelineDepartment, TimelineEvent
from cases.services.flags import flag_raise, flags_clear
from cases.services.timeline import Sentence, record_event
from correspondence import addresses
from correspondence.models import CustomerNotice, InboundEmail, OutboundEmail
from portal.dispatch import queue_after_commit
from portal.time_limits import SoftTimeLimitExceeded

logger = logging.getLogger(__name__)

Status = OutboundEmail.Status
SEND_TASK = "correspondence.send_email"  # correspondence/tasks.py
# How many earlier Message-IDs a References header lists (RFC 5322 allows trimming the middle).
REFERENCES_KEPT = 10
MAX_RETRY_DELAY = timedelta(hours=6)


def _one_line(text: str, limit: int) -> str:
    """Header values are one line: newlines in a subject would be a header injection."""
    return " ".join((text or "").split())[:limit]


def thread_headers(case: Case) -> tuple[str, str]:
    """In-Reply-To and References for the next e-mail of the case: the thread root first, then the
    latest messages either way, so every mail program files it in the case's one thread."""
    ours = list(
        OutboundEmail.objects.filter(case=case)
        .order_by("-created_at", "-pk")
        .values_list("header_message_id", "created_at")[:REFERENCES_KEPT]
    )
    theirs = list(
        InboundEmail.objects.filter(case=case, key__startswith="<")
        .order_by("-received_at", "-pk")
        .values_list("key", "received_at")[:REFERENCES_KEPT]
    )
    return _headers_from(case.reference, ours, theirs)


def _headers_from(
    reference: str, ours: list[tuple[str, datetime]], theirs: list[tuple[str, datetime]]
) -> tuple[str, str]:
    """`ours` and `theirs`: (Message-ID, when), newest first, at most REFERENCES_KEPT each."""
    latest = sorted(ours + theirs, key=lambda pair: pair[1])[-REFERENCES_KEPT:]
    root = addresses.thread_root_id(reference)
    chain = [root] + [message_id for message_id, _at in latest if message_id != root]
    # Answer the customer's own latest e-mail when there is one; otherwise the last one we sent.
    in_reply_to = theirs[0][0] if theirs else chain[-1]
    return in_reply_to, " ".join(chain)


def email_subject(case: Case, subject: str) -> str:
    """The case reference in the subject, where a reply keeps it and the inbound parser finds it."""
    subject = _one_line(subject, 250)
    tag = f"[{case.reference}]"
    return subject if tag in subject else f"{subject} {tag}"


def email_enqueue(
    *,
    case: Case,
    to_address: str,
    to_name: str,
    language: str,
    subject: str,
    body_text: str,
    body_html: str,
    message: Message | None = None,
    notice: CustomerNotice | None = None,
    now: datetime | None = None,
) -> OutboundEmail:
    """Write one e-mail to the outbox, inside the caller's transaction; it is sent after the commit."""
    now = now or timezone.now()
    email = _outbound_email(
        EmailToQueue(case, to_address, to_name, language, subject, body_text, body_html, message, notice),
        thread_headers(case),
        now,
    )
    email.save(force_insert=True)
    # By name: the task module imports this one (tests/test_import_graph.py). A broker that is down
    # is logged and changes nothing but the delay: the row waits for the every-minute sweep.
    queue_after_commit(SEND_TASK, args=[email.pk])
    return email


@dataclass(frozen=True)
class EmailToQueue:
    """One e-mail as email_enqueue takes it, for emails_enqueue_many."""

    case: Case
    to_address: str
    to_name: str
    language: str
    subject: str
    body_text: str
    body_html: str
    message: Message | None = None
    notice: CustomerNotice | None = None


def _outbound_email(item: EmailToQueue, headers: tuple[str, str], now: datetime) -> OutboundEmail:
    in_reply_to, references = headers
    return OutboundEmail(
        case=item.case,
        message=item.message,
        notice=item.notice,
        to_address=_one_line(item.to_address, 254),
        to_name=_one_line(item.to_name, 200),
        language=item.language,
        subject=email_subject(item.case, item.subject),
        body_text=item.body_text,
        body_html=item.body_html,
        header_message_id=addresses.new_message_id(item.case.reference),
        in_reply_to=in_reply_to,
        references=references,
        reply_to=addresses.reply_address(item.case.reference),
        # Due at once on the real clock, even when the caller acts "as of" another moment (a watcher's now).
        next_attempt_at=min(now, timezone.now()),
    )


def _newest_first(rows: list[tuple[int, str, datetime]]) -> dict[int, list[tuple[str, datetime]]]:
    """(case id, Message-ID, when) ordered by case then newest first, as REFERENCES_KEPT per case."""
    by_case: dict[int, list[tuple[str, datetime]]] = {}
    for case_id, message_id, at in rows:
        kept = by_case.setdefault(case_id, [])
        if len(kept) < REFERENCES_KEPT:
            kept.append((message_id, at))
    return by_case


def emails_enqueue_many(*, items: list[EmailToQueue], now: datetime) -> list[OutboundEmail]:
    """email_enqueue for many e-mails at once (a watcher's batch): the thread headers of all their
    cases in two queries, one insert, each sent after the commit. The same rows as email_enqueue
    one after the other, a later e-mail of a case in the thread of the earlier ones."""
    if not items:
        return []
    case_ids = {item.case.pk for item in items}
    ours = _newest_first(
        list(
            OutboundEmail.objects.filter(case_id__in=case_ids)
            .order_by("case_id", "-created_at", "-pk")
            .values_list("case_id", "header_message_id", "created_at")
        )
    )
    theirs = _newest_first(
        list(
            InboundEmail.objects.filter(case_id__in=case_ids, key__startswith="<")
            .order_by("case_id", "-received_at", "-pk")
            .values_list("case_id", "key", "received_at")
        )
    )
    emails = []
    for item in items:
        case_ours = ours.setdefault(item.case.pk, [])
        email = _outbound_email(item, _headers_from(item.case.reference, case_ours, theirs.get(item.case.pk, [])), now)
        case_ours.insert(0, (email.header_message_id, timezone.now()))  # the next one of this case answers it
        del case_ours[REFERENCES_KEPT:]
        emails.append(email)
    OutboundEmail.objects.bulk_create(emails)
    for email in emails:
        queue_after_commit(SEND_TASK, args=[email.pk])
    return emails


def build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    headers = {
        "Message-ID": email.header_message_id,
        "In-Reply-To": email.in_reply_to,
        "References": email.references,
        "X-Steward-Case": email.case.reference,
    }
    if email.message_id is None:
        # Notices are written by Steward, not a person: RFC 3834 asks autoresponders not to answer them.
        headers["Auto-Submitted"] = "auto-generated"
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((email.to_name, email.to_address)) if email.to_name else email.to_address],
        reply_to=[email.reply_to],
        headers=headers,
    )
    message.attach_alternative(email.body_html, "text/html")
    return message


@dataclass(frozen=True)
class SendResult:
    outcome: str  # "sent", "retry", "failed" or "skipped" (someone else has it, or it is not due)
    retry_at: datetime | None = None


def _permanent(error: Exception) -> bool:
    """A refusal the server will repeat (5xx for the recipient): retrying only delays the owner's flag."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPSenderRefused)
    return isinstance(error, ValueError)


def _retry_delay(attempts: int) -> timedelta:
    delay = timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS * (4 ** max(attempts - 1, 0)))
    return min(delay, MAX_RETRY_DELAY)


def outbox_send(
    email_id: int, *, now: datetime | None = None, connection: BaseEmailBackend | None = None
) -> SendResult:
    """Claim and send one e-mail. Safe to call from any number of workers at once."""
    now = now or timezone.now()
    claimed = OutboundEmail.objects.filter(pk=email_id, status=Status.QUEUED, next_attempt_at__lte=now).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return SendResult("skipped")
    email = OutboundEmail.objects.select_related("case__customer", "case__owner").get(pk=email_id)
    mine = OutboundEmail.objects.filter(pk=email_id, status=Status.SENDING, claimed_at=now)
    try:
        sent = (connection or get_connection()).send_messages([build_message(email)])
        if not sent:
            raise smtplib.SMTPException("the mail backend accepted nothing")
    except SoftTimeLimitExceeded:
        # The task's time is up, not the server's fault: the e-mail may have gone, so it stays
        # claimed and the sweep retakes it after OUTBOX_RECLAIM_MINUTES, as after a killed worker.
        raise
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:2000]
        if _permanent(error) or email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            logger.warning("E-mail %s to %s failed for good: %s", email_id, email.to_address, reason)
            delivery_failed(email=email, reason=reason, now=now)
            return SendResult("failed")
        retry_at = now + _retry_delay(email.attempts)
        mine.update(status=Status.QUEUED, claimed_at=None, next_attempt_at=retry_at, failure_reason=reason)
        logger.info("E-mail %s to %s will be retried at %s: %s", email_id, email.to_address, retry_at, reason)
        return SendResult("retry", retry_at)
    mine.update(status=Status.SENT, sent_at=now, failure_reason="")
    # A later e-mail that reached the customer settles an earlier "did not get your e-mail".
    flags_clear(kind=Flag.Kind.UNDELIVERED_EMAIL, subject_key=f"case:{email.case_id}", note="a later e-mail was sent")
    return SendResult("sent")


@dataclass(frozen=True)
class SweepResult:
    reclaimed: int
    sent: int
    retried: int
    failed: int


def outbox_sweep(*, now: datetime | None = None, batch_size: int | None = None) -> SweepResult:
    """Take back claims of killed workers, then send what is due. Run every minute by beat."""
    now = now or timezone.now()
    stale = now - timedelta(minutes=settings.OUTBOX_RECLAIM_MINUTES)
    reclaimed = OutboundEmail.objects.filter(status=Status.SENDING, claimed_at__lt=stale).update(
        status=Status.QUEUED, claimed_at=None, next_attempt_at=now
    )
    due = list(
        OutboundEmail.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[: batch_size or settings.WATCHER_BATCH_SIZE]
    )
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    if due:
        # One SMTP session for the whole batch: opening one per e-mail costs more than the e-mail.
        connection = get_connection()
        try:
            connection.open()
        except Exception:
            logger.warning("Could not open the mail connection; each e-mail will try on its own.", exc_info=True)
        try:
            for email_id in due:
                counts[outbox_send(email_id, now=now, connection=connection).outcome] += 1
        except SoftTimeLimitExceeded:
            logger.warning("Outbox sweep: time limit reached; the next sweep sends the rest.")
        finally:
            try:
                connection.close()
            except Exception:
                logger.debug("Closing the mail connection failed", exc_info=True)
    return SweepResult(reclaimed=reclaimed, sent=counts["sent"], retried=counts["retry"], failed=counts["failed"])


@transaction.atomic
def delivery_failed(*, email: OutboundEmail, reason: str, now: datetime | None = None) -> bool:
    """The e-mail did not reach its recipient (refused, retries exhausted, or bounced later): mark it
    and tell the owner, once. Returns False when it was already marked failed."""
    now = now or timezone.now()
    reason = (reason or "").strip()[:2000] or "unknown reason"
    marked = (
        OutboundEmail.objects.filter(pk=email.pk)
        .exclude(status=Status.FAILED)
        .update(status=Status.FAILED, failed_at=now, failure_reason=reason, claimed_at=None)
    )
    if not marked:
        return False
    email.refresh_from_db()
    case = email.case
    name = email.to_name or email.to_address
    record_event(
        case=case,
        kind=TimelineEvent.Kind.EMAIL_UNDELIVERED,
        department=TimelineDepartment.SUPPORT,
        actor=None,
        summary=Sentence(
            gettext_noop("The e-mail “%(subject)s” did not reach %(name)s <%(address)s>: %(reason)s"),
            {"subject": email.subject, "name": name, "address": email.to_address, "reason": reason},
        ),
        subject_key=f"email:{email.pk}",
        data={"email_id": email.pk},
    )
    flag_raise(
        kind=Flag.Kind.UNDELIVERED_EMAIL,
        subject_key=f"case:{case.pk}",
        summary=Sentence(
            gettext_noop("%(name)s did not get your e-mail “%(subject)s”: reach them another way."),
            {"name": name, "subject": email.subject},
        ),
        case=case,
        now=now,
    )
    return True
