"""Incoming e-mail: every raw message stored first, then read and filed once.

`mail_receive(raw, door=…)` is what the three doors call: the `mail_ingest` command an MTA pipes
into, the IMAP poller (correspondence.inbound.imap) and the raw-MIME webhook (POST
/api/v1/inbound/email/).

1. Store. The raw bytes go to storage and an InboundEmail row commits, in a transaction of its own,
   before anything is read of them but the idempotency key: the Message-ID (the SHA-256 of the bytes
   when there is none). A message already stored under its key is a duplicate: the first row is
   returned and nothing is filed again. (Two different messages under one Message-ID, which some
   devices send, are told apart by their author, date, subject and body: the second is kept too.)
2. Read and file, in one transaction. A delivery failure report marks our e-mail failed; an automatic
   reply is recorded on its case without counting as the customer's message; our own mail coming back
   (a loop) is kept and dropped; anything else is the customer's message, filed by the routing the API
   uses too (cases.services.inbound): first the case its headers thread it to (In-Reply-To and
   References naming one of our e-mails, the case's thread root or an earlier e-mail of the case; a
   signed reply address in To, Cc or Delivered-To), then a reference in the subject, then the sender's
   open case, then a new case, or a triage case for an unknown sender or for someone claiming a case
   that is not theirs. The message shows the text without its quoted history; the whole original is
   attached to it (original-message.eml). A message bigger than INBOUND_MAIL_MAX_BYTES is not opened:
   it lands on a triage case with the original attached.
3. When reading or filing fails for any reason, that transaction rolls back whole and the message lands
   on a triage case with the original attached (outcome "unreadable"). If even that fails (the database
   went away), the row stays "received" and the every-minute sweep (`mail_refile_waiting`) files it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Attachment, Case, InboundDelivery, Message
from cases.services.inbound import Sender, existing_case, file_delivery, triage_case
from cases.services.messages import MAX_BODY, message_receive
from correspondence.addresses import mail_domain, reference_from_address
from correspondence.inbound.parse import (
    ParsedMail,
    first_address,
    header,
    header_all,
    identity,
    message_key,
    one_line,
    parse_mail,
    read_headers,
)
from correspondence.models import InboundEmail, OutboundEmail
from correspondence.services.outbox import delivery_failed
from people.contact import same_email
from people.models import Customer
from portal.errors import RuleViolation
from portal.time_limits import SoftTimeLimitExceeded

logger = logging.getLogger(__name__)

Outcome = InboundEmail.Outcome
Door = InboundEmail.Door
Channel = Message.Channel
Route = InboundDelivery.Route

ORIGINAL_NAME = "original-message.eml"
ORIGINAL_TYPE = "message/rfc822"
# At most this many attachments are copied onto the message; the rest stay in the original.
MAX_ATTACHMENTS = 20
# How many Message-IDs of a References header (or a bounce) are looked up: the latest are the ones that matter.
MAX_THREAD_IDS = 50
# A row still "received" this long after it arrived was left by a process that died mid-way.
REFILE_AFTER = timedelta(minutes=5)
REFILE_BATCH = 100


def mail_receive(raw: bytes, *, door: str) -> InboundEmail:
    """Store a raw e-mail, then file it (see the module's docstring). Raises only when the message
    could not be stored (the database or the storage is unreachable): then nothing was kept, and the
    door must say so, so that the sender retries. Once stored, the message is never lost.

    The returned row has a `duplicate` attribute: True when this delivery was already stored.
    The doors call it outside any transaction, so that the stored row commits on its own, first."""
    if door not in Door.values:
        raise ValueError(f"Unknown inbound door {door!r}")
    if not raw:
        raise RuleViolation(_("The message is empty."), field="message")
    inbound, duplicate = _store(raw, door=door)
    if inbound.processed_at is None:
        _process(inbound, raw)
        inbound.refresh_from_db()
    inbound.duplicate = duplicate
    return inbound


def mail_refile_waiting(*, now: datetime | None = None, limit: int = REFILE_BATCH) -> int:
    """File what was stored but never filed (a process died between the two steps, or the database
    went away before the triage fallback could write). Returns how many were filed now."""
    cutoff = (now or timezone.now()) - REFILE_AFTER
    waiting = list(
        InboundEmail.objects.filter(processed_at__isnull=True, received_at__lte=cutoff).order_by("received_at")[:limit]
    )
    filed = 0
    for inbound in waiting:
        try:
            _process(inbound, None)
        except SoftTimeLimitExceeded:
            logger.warning("Refiling: time limit reached after %s e-mails; the next run goes on.", filed)
            break
        inbound.refresh_from_db()
        filed += inbound.processed_at is not None
    return filed


# --- 1. store -------------------------------------------------------------------------------


def _store(raw: bytes, *, door: str) -> tuple[InboundEmail, bool]:
    key = message_key(raw)
    existing = InboundEmail.objects.filter(key=key).first()
    if existing is not None and not key.startswith("sha256:") and not _same_message(existing, raw):
        key = "identity-sha256:" + identity(raw)
        existing = InboundEmail.objects.filter(key=key).first()
    if existing is not None:
        return existing, True
    digest = hashlib.sha256(raw).hexdigest()
    inbound = InboundEmail(key=key, door=door, size=len(raw), sha256=digest)
    inbound.raw.save(f"{digest}.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            inbound.save()
    except IntegrityError:
        # The same message through another door, a moment earlier.
        inbound.raw.delete(save=False)
        first = InboundEmail.objects.filter(key=key).first()
        if first is None:
            raise
        return first, True
    except BaseException:
        inbound.raw.delete(save=False)
        raise
    return inbound, False


def _same_message(existing: InboundEmail, raw: bytes) -> bool:
    if existing.sha256 == hashlib.sha256(raw).hexdigest():
        return True
    try:
        with existing.raw.open("rb") as stored:
            return identity(stored.read()) == identity(raw)
    except OSError:
        return True  # the first copy cannot be compared: trust the Message-ID


# --- 2. read and file -----------------------------------------------------------------------


def _process(inbound: InboundEmail, raw: bytes | None) -> None:
    try:
        if raw is None:
            raw = _read_raw(inbound)
        with transaction.atomic():
            if _claim(inbound):
                _file(inbound, raw)
        return
    except SoftTimeLimitExceeded:
        raise  # the task's time is up, the e-mail is fine: left unfiled, the refiling sweep takes it
    except Exception as error:
        logger.exception("Could not file incoming e-mail %s; it goes to a triage case.", inbound.key)
        problem = f"{type(error).__name__}: {one_line(error, 200)}".rstrip(": ")
    try:
        inbound.refresh_from_db()  # forget what the rolled-back attempt set on the instance
        with transaction.atomic():
            if _claim(inbound):
                note = _(
                    "Steward could not read this e-mail (%(problem)s). The original is attached as %(name)s: "
                    "open it to see what was sent."
                ) % {"problem": problem, "name": ORIGINAL_NAME}
                _file_on_triage(inbound, raw or b"", note=note, outcome=Outcome.UNREADABLE)
    except Exception:
        logger.exception("Could not file incoming e-mail %s on a triage case either; the sweep retries.", inbound.key)


def _read_raw(inbound: InboundEmail) -> bytes:
    with inbound.raw.open("rb") as stored:
        return cast(bytes, stored.read())


def _claim(inbound: InboundEmail) -> bool:
    """Take the row for filing inside the filing transaction: two deliveries of one message (or a
    delivery and the sweep) never both file it, and a rollback gives the row back."""
    now = timezone.now()
    claimed = InboundEmail.objects.filter(pk=inbound.pk, processed_at__isnull=True).update(processed_at=now)
    inbound.processed_at = now if claimed else inbound.processed_at
    return bool(claimed)


def _file(inbound: InboundEmail, raw: bytes) -> None:
    if inbound.size > settings.INBOUND_MAIL_MAX_BYTES:
        megabytes = 1024 * 1024
        note = _(
            "This e-mail is %(size).1f MB, more than the %(limit).0f MB Steward reads, so it was not opened. "
            "The original is attached as %(name)s."
        ) % {
            "size": inbound.size / megabytes,
            "limit": settings.INBOUND_MAIL_MAX_BYTES / megabytes,
            "name": ORIGINAL_NAME,
        }
        _file_on_triage(inbound, raw, note=note, outcome=Outcome.TRIAGE)
        return
    mail = parse_mail(raw)
    inbound.from_address = mail.from_address
    inbound.subject = mail.subject
    if _sent_by_us(mail):
        _keep_loop(inbound, mail)
    elif mail.bounce is not None:
        _file_bounce(inbound, mail)
    elif mail.automatic:
        _file_automatic(inbound, mail)
    else:
        _file_message(inbound, mail)


def _save(inbound: InboundEmail, *, outcome: str, note: str = "", **links: object) -> None:
    for name, value in links.items():
        setattr(inbound, name, value)
    inbound.outcome = outcome
    inbound.note = note
    inbound.save(
        update_fields=[
            "outcome",
            "note",
            "from_address",
            "subject",
            "processed_at",
            "case",
            "message",
            "bounced_email",
        ]
    )


def _delivery_key(key: str) -> str:
    """The delivery's key in the routing the API shares: a gateway and a mailbox delivering one
    Message-ID file it once."""
    return f"{Channel.EMAIL}:{key}"


def _attach_original(message: Message, inbound: InboundEmail) -> None:
    """The whole e-mail, downloadable from the message: the stored raw file itself, not a copy (it is
    ours, so it skips the upload checks a customer's attachment goes through)."""
    Attachment.objects.create(
        message=message,
        file=inbound.raw.name,
        original_name=ORIGINAL_NAME,
        content_type=ORIGINAL_TYPE,
        size=inbound.size,
    )


# --- a customer's message -------------------------------------------------------------------


def _file_message(inbound: InboundEmail, mail: ParsedMail) -> None:
    key = _delivery_key(inbound.key)
    earlier = InboundDelivery.objects.select_related("message__case").filter(key=key).first()
    if earlier is not None:
        note = _("Already delivered by a mail gateway: filed once, on %(reference)s.") % {
            "reference": earlier.message.case.reference
        }
        _save(inbound, outcome=Outcome.FILED, note=note, case=earlier.message.case)
        return
    body = mail.visible
    notes = []
    if mail.trimmed:
        notes.append(
            _("[Earlier messages quoted in this e-mail are not shown; the whole e-mail is attached as %(name)s.]")
            % {"name": ORIGINAL_NAME}
        )
    if mail.skipped_parts:
        notes.append(
            _("[Part of this e-mail was not read (too many parts, or nested too deep); see %(name)s.]")
            % {"name": ORIGINAL_NAME}
        )
    attachments = mail.attachments[:MAX_ATTACHMENTS]
    left_out = len(mail.attachments) - len(attachments)
    if left_out:
        notes.append(
            ngettext(
                "[%(count)d more attachment is only in %(name)s.]",
                "[%(count)d more attachments are only in %(name)s.]",
                left_out,
            )
            % {"count": left_out, "name": ORIGINAL_NAME}
        )
    if not (body or mail.subject or attachments):
        body = _("(An empty e-mail: no subject, no text. The original is attached as %(name)s.)") % {
            "name": ORIGINAL_NAME
        }
    if notes:
        body = "\n\n".join(part for part in (body or mail.subject, *notes) if part)
    threaded = _threaded(mail)
    filing = file_delivery(
        delivered_by=None,
        channel=Channel.EMAIL,
        key=key,
        digest=inbound.sha256,
        sender=Sender(name=mail.from_name, email=mail.from_address, phone=""),
        subject=mail.subject,
        body=body,
        attachments=[
            SimpleUploadedFile(attachment.name, attachment.content, content_type=attachment.content_type)
            for attachment in attachments
        ],
        threaded=threaded,
    )
    if not filing.duplicate:
        _attach_original(filing.message, inbound)
    note = ""
    route = filing.delivery.route
    if route == Route.TRIAGE and threaded:
        note = _(
            "Claims to answer case %(reference)s, but its sender is neither that case's customer nor one of "
            "their delegates: filed on a triage case."
        ) % {"reference": threaded[0]}
    elif route == Route.TRIAGE:
        note = _("Unknown sender: filed on a triage case.")
    _save(
        inbound,
        outcome=Outcome.TRIAGE if route == Route.TRIAGE else Outcome.FILED,
        note=note,
        case=filing.case,
        message=None if filing.duplicate else filing.message,
    )


def _threaded(mail: ParsedMail) -> list[str]:
    """The case references the message's own headers say it answers, the most direct first: the
    e-mail it replies to, then the thread it quotes from the latest back, then a signed reply address."""
    ids = list(dict.fromkeys([*mail.in_reply_to, *reversed(mail.references)]))[:MAX_THREAD_IDS]
    references: list[str] = []
    if ids:
        ours = dict(
            OutboundEmail.objects.filter(header_message_id__in=ids).values_list("header_message_id", "case__reference")
        )
        theirs = dict(
            InboundEmail.objects.filter(key__in=ids, case__isnull=False).values_list("key", "case__reference")
        )
        for message_id in ids:
            reference = ours.get(message_id) or theirs.get(message_id) or _reference_in_id(message_id)
            if reference:
                references.append(reference)
    for address in mail.recipients:
        reference = reference_from_address(address)
        if reference:
            references.append(reference)
    return list(dict.fromkeys(references))


def _reference_in_id(message_id: str) -> str | None:
    """The case named by a Message-ID of ours that has no row (yet): the case's thread root
    (<case.cs-2026-000123@domain>) or an e-mail id (<hex.cs-2026-000123@domain>)."""
    domain = re.escape(mail_domain())
    found = re.fullmatch(rf"<(?:case|[0-9a-f]{{32}})\.([a-z0-9-]{{1,40}})@{domain}>", message_id, re.IGNORECASE)
    return found.group(1).upper() if found else None


# --- machines ------------------------------------------------------------------------------


def _our_addresses() -> set[str]:
    return {
        parseaddr(value)[1].lower()
        for value in (settings.MAIL_REPLY_ADDRESS, settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL)
        if value
    }


def _sent_by_us(mail: ParsedMail) -> bool:
    """Our own e-mail come back (a forwarding loop, support@ copied on its own mail): never a
    customer's message, or Steward would end up answering itself."""
    sender = mail.from_address.lower()
    if sender and (sender in _our_addresses() or reference_from_address(sender)):
        return True
    base_local, _at, base_domain = settings.MAIL_REPLY_ADDRESS.lower().rpartition("@")
    if sender.startswith(f"{base_local}+") and sender.endswith(f"@{base_domain}"):
        return True
    if mail.steward_case:
        return True  # the header only Steward's own e-mails carry
    return bool(mail.message_id) and OutboundEmail.objects.filter(header_message_id=mail.message_id).exists()


def _keep_loop(inbound: InboundEmail, mail: ParsedMail) -> None:
    reference = mail.steward_case or next(iter(_threaded(mail)), "")
    case = Case.objects.filter(reference=reference.upper()).first() if reference else None
    _save(
        inbound,
        outcome=Outcome.AUTOMATIC,
        note=_("Sent by Steward itself (a mail loop): kept, not filed."),
        case=case,
    )


def _file_bounce(inbound: InboundEmail, mail: ParsedMail) -> None:
    """A delivery failure report: the e-mail it returns is marked failed (which flags its case's
    owner); the report itself is never the customer's message."""
    bounce = mail.bounce
    assert bounce is not None
    returned_ids = bounce.message_ids[:MAX_THREAD_IDS]
    emails = list(OutboundEmail.objects.select_related("case").filter(header_message_id__in=returned_ids))
    if not emails:
        references = {reference for address in bounce.addresses if (reference := reference_from_address(address))}
        for reference in references:
            candidates = OutboundEmail.objects.select_related("case").filter(case__reference=reference)
            if bounce.recipients:
                to_any = Q()
                for recipient in bounce.recipients:
                    to_any |= Q(to_address__iexact=recipient)
                candidates = candidates.filter(to_any)
            latest = candidates.exclude(status=OutboundEmail.Status.QUEUED).order_by("-created_at", "-pk").first()
            if latest is not None:
                emails.append(latest)
    if not emails:
        note = _("A delivery failure report about no e-mail Steward knows: nothing was marked.")
        _save(inbound, outcome=Outcome.BOUNCE, note=note)
        return
    reason = bounce.reason or mail.subject or _("The recipient's mail server returned it.")
    if bounce.failed:
        for email in emails:
            delivery_failed(email=email, reason=reason)
        note = _("Delivery failure report for “%(subject)s” to %(address)s: %(reason)s") % {
            "subject": emails[0].subject,
            "address": emails[0].to_address,
            "reason": reason,
        }
    else:
        note = _("Delivery delayed, not failed, for “%(subject)s” to %(address)s: %(reason)s") % {
            "subject": emails[0].subject,
            "address": emails[0].to_address,
            "reason": reason,
        }
    _save(inbound, outcome=Outcome.BOUNCE, note=note, case=emails[0].case, bounced_email=emails[0])


def _file_automatic(inbound: InboundEmail, mail: ParsedMail) -> None:
    """An automatic reply: on its case, marked automatic, so it neither needs an answer nor counts as
    one and reopens nothing; nothing is sent back. One about no case of the sender's opens none."""
    sender = Sender(name=mail.from_name, email=mail.from_address, phone="")
    found = existing_case(sender=sender, subject=mail.subject, text=mail.visible, threaded=_threaded(mail))
    if found is None:
        note = _("Automatic reply (%(why)s) about no case of its sender's: kept, not filed.") % {"why": mail.automatic}
        _save(inbound, outcome=Outcome.AUTOMATIC, note=note)
        return
    case, _route, label = found
    body = (mail.visible or mail.subject or _("(An automatic reply with no text.)"))[: MAX_BODY - 200]
    message = message_receive(
        case=case,
        body=body,
        channel=Channel.EMAIL,
        actor=None,
        sender_label=label,
        external_id=_delivery_key(inbound.key),
        automatic=True,
    )
    _attach_original(message, inbound)
    note = _("Automatic reply (%(why)s): on the case, not counted as the customer's message.") % {"why": mail.automatic}
    _save(inbound, outcome=Outcome.AUTOMATIC, note=note, case=message.case, message=message)


# --- the triage case, when the message cannot be read -----------------------------------------


def _file_on_triage(inbound: InboundEmail, raw: bytes, *, note: str, outcome: str) -> None:
    """File what can be said of a message without reading it — who it claims to be from and its
    subject, from the headers alone — on a triage case, with the original attached. Uses as little as
    possible of what may have failed: no routing, no MIME."""
    name, address, subject = _sender_guess(raw)
    inbound.from_address = address or inbound.from_address
    inbound.subject = subject or inbound.subject
    sender = Sender(name=name, email=address, phone="")
    customer = (
        Customer.objects.filter(same_email(address)).select_related("merged_into").order_by("-created_at").first()
        if address
        else None
    )
    if customer is not None and customer.merged_into is not None:
        customer = customer.merged_into
    case = triage_case(
        channel=Channel.EMAIL,
        sender=sender,
        subject=subject or _("An e-mail Steward could not file"),
        note=note,
        customer=customer,
    )
    message = message_receive(
        case=case,
        body="\n\n".join(part for part in (subject, note) if part),
        channel=Channel.EMAIL,
        actor=None,
        sender_label="",
        external_id=_delivery_key(inbound.key),
    )
    _attach_original(message, inbound)
    _save(inbound, outcome=outcome, note=note, case=message.case, message=message)


def _sender_guess(raw: bytes) -> tuple[str, str, str]:
    try:
        headers = read_headers(raw)
        name, address = first_address(header_all(headers, "From"))
        return name, address, one_line(header(headers, "Subject"), 300)
    except Exception:
        return "", "", ""
