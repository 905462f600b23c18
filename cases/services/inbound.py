"""Messages from other channels (a mail gateway, a phone system): filed on the right case, once.

Where a delivered message goes, first match wins:
0. for an e-mail, the case its own headers say it answers (In-Reply-To/References naming one
   of our e-mails, the case's thread or an earlier e-mail; a signed reply address), when the
   sender is that case's customer or one of their active delegates; a message claiming a case
   its sender may not write into goes to a triage case with a note, never to that case;
1. the case whose reference (CS-2026-000123) it quotes in its subject or body, when the
   sender is that case's customer or one of their delegates;
2. the sender's open case with the latest activity, the sender found by a known e-mail
   address or phone number (a customer's, or a delegate's account);
3. a new case for that customer, owned as `routing.owner_for_new_case` decides for new
   requests from customers;
4. for a sender nobody knows, a triage case: a customer record made from what the gateway
   knows of them, and a case owned as the routing set for triage decides (admin site, "Routing
   of new cases").

Nothing a customer sends is lost (invariant 5): a message with no text keeps its subject or
its attachments, an attachment we cannot accept is named in the text instead of refusing the
message, and text past the length limit is kept whole in an attached file. The gateway's id
for the delivery is the idempotency key: a retry returns the first filing and files nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import policies
from cases.models import Case, InboundDelivery, Message
from cases.services.lifecycle import case_open
from cases.services.messages import MAX_BODY, message_receive
from cases.services.routing import Purpose, owner_for_new_case
from cases.services.timeline import LONG_DATE_FORMAT, local_text
from people.contact import PHONE_KEY_DIGITS, phone_ending, phone_key, same_email
from people.models import Customer
from portal.errors import Conflict, NotAllowed, RuleViolation
from portal.uploads import validate_upload

Channel = Message.Channel
Route = InboundDelivery.Route

INBOUND_PERMISSION = "cases.deliver_inbound"
# The channels a gateway delivers on; the portal and internal notes have their own paths.
INBOUND_CHANNELS = [Channel.EMAIL, Channel.PHONE, Channel.CHAT, Channel.SOCIAL, Channel.POST]
FULL_TEXT_NAME = "full-message.txt"
# Room kept under MAX_BODY for the notes this module appends to a message.
NOTE_ROOM = 400


@dataclass(frozen=True)
class InboundFiling:
    delivery: InboundDelivery
    duplicate: bool

    @property
    def message(self) -> Message:
        return self.delivery.message

    @property
    def case(self) -> Case:
        return self.delivery.message.case


@dataclass(frozen=True)
class Sender:
    name: str
    email: str
    phone: str

    @property
    def phone_key(self) -> str:
        key = phone_key(self.phone)
        return key if len(key) >= PHONE_KEY_DIGITS else ""  # a fragment identifies nobody

    @property
    def shown_as(self) -> str:
        return self.name or self.email or self.phone or _("Unknown sender")


def inbound_receive(
    *,
    delivered_by: User,
    channel: str,
    external_id: str,
    body: str,
    subject: str = "",
    sender_name: str = "",
    sender_email: str = "",
    sender_phone: str = "",
    attachments: Sequence[UploadedFile[bytes]] = (),
) -> InboundFiling:
    """File one delivered message on the right case (see the module's docstring); a retry of the
    same `external_id` on the same channel returns the first filing."""
    if not delivered_by.is_active or not delivered_by.has_perm(INBOUND_PERMISSION):
        raise NotAllowed(_("Only an integration account allowed to deliver inbound messages can do this."))
    if channel not in INBOUND_CHANNELS:
        raise RuleViolation(
            _("“%(channel)s” is not a channel gateways deliver on.") % {"channel": channel}, field="channel"
        )
    external_id = (external_id or "").strip()
    if not external_id:
        raise RuleViolation(
            _("Give the gateway's own id for this message, so a retry is filed once."), field="external_id"
        )
    key = f"{channel}:{external_id}"
    if len(key) > cast(int, InboundDelivery._meta.get_field("key").max_length):
        raise RuleViolation(_("The message id is too long (at most 190 characters)."), field="external_id")
    sender = Sender(name=sender_name.strip()[:200], email=sender_email.strip()[:254], phone=sender_phone.strip()[:40])
    digest = _digest(channel, sender, subject, body, attachments)
    try:
        with transaction.atomic():
            return file_delivery(
                delivered_by=delivered_by,
                channel=channel,
                key=key,
                digest=digest,
                sender=sender,
                subject=subject.strip(),
                body=body,
                attachments=attachments,
            )
    except IntegrityError:
        # A delivery of the same key committed between our check and our insert.
        existing = _delivered(key)
        if existing is None:
            raise
        return _replay(existing, digest)


def _delivered(key: str) -> InboundDelivery | None:
    return InboundDelivery.objects.select_related("message__case").filter(key=key).first()


def _digest(channel: str, sender: Sender, subject: str, body: str, attachments: Sequence[UploadedFile[bytes]]) -> str:
    parts = [channel, sender.email.lower(), sender.phone, subject.strip(), body.strip()]
    parts += sorted(f"{upload.name}:{upload.size}" for upload in attachments)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _replay(existing: InboundDelivery, digest: str) -> InboundFiling:
    if existing.payload_digest != digest:
        raise Conflict(
            _("This message id was already used for a different message (filed on %(reference)s).")
            % {"reference": existing.message.case.reference},
            field="external_id",
        )
    return InboundFiling(delivery=existing, duplicate=True)


def file_delivery(
    *,
    delivered_by: User | None,
    channel: str,
    key: str,
    digest: str,
    sender: Sender,
    subject: str,
    body: str,
    attachments: Sequence[UploadedFile[bytes]],
    threaded: Sequence[str] = (),
) -> InboundFiling:
    """File one delivery, inside the caller's transaction: the one way in for the API's gateways
    (`delivered_by` their account) and Steward's own mail doors (`delivered_by` None).

    `threaded` are the case references an e-mail's own headers say it answers, most direct first;
    they come before any reference the text quotes (see the module's docstring)."""
    existing = _delivered(key)
    if existing is not None:
        return _replay(existing, digest)
    text, kept = _keepable(subject, body, attachments)
    case, route, label = _route(channel=channel, sender=sender, subject=subject, text=text, threaded=threaded)
    message = message_receive(
        case=case,
        body=text,
        channel=channel,
        actor=None,
        sender_label=label,
        external_id=key,
        attachments=kept,
    )
    delivery = InboundDelivery.objects.create(
        key=key,
        payload_digest=digest,
        channel=channel,
        sender_name=sender.name,
        sender_email=sender.email,
        sender_phone=sender.phone,
        subject=subject[:300],
        route=route,
        message=message,
        delivered_by=delivered_by,
    )
    return InboundFiling(delivery=delivery, duplicate=False)


# --- never lose what was sent -------------------------------------------------------------


def _keepable(
    subject: str, body: str, attachments: Sequence[UploadedFile[bytes]]
) -> tuple[str, list[UploadedFile[bytes]]]:
    """The text to file and the attachments we can keep; what we cannot keep is named in the text."""
    text = body.strip() or subject
    kept: list[UploadedFile[bytes]] = []
    refused: list[str] = []
    for upload in attachments:
        try:
            validate_upload(upload)
        except RuleViolation as violation:
            refused.append(violation.message)
        else:
            kept.append(upload)
    if not text and not kept and not refused:
        raise RuleViolation(_("The message has no text, no subject and no attachment."), field="body")
    if not text:
        text = _("(No text: see the attachments.)") if kept else _("(No text.)")
    if len(text) > MAX_BODY - NOTE_ROOM:
        full = text.encode("utf-8", "replace")
        text = text[: MAX_BODY - NOTE_ROOM].rstrip()
        if len(full) <= settings.ATTACHMENT_MAX_BYTES:
            kept.append(SimpleUploadedFile(FULL_TEXT_NAME, full, content_type="text/plain"))
            text += "\n\n" + _("[The message was longer; its full text is attached as %(name)s.]") % {
                "name": FULL_TEXT_NAME
            }
        else:
            text += "\n\n" + _("[The message was longer than we can store; ask the customer for the rest.]")
    for reason in refused:
        text += "\n\n" + _("[An attachment was not kept: %(reason)s]") % {"reason": reason}
    return text, kept


# --- where it goes ------------------------------------------------------------------------


def _route(
    *, channel: str, sender: Sender, subject: str, text: str, threaded: Sequence[str] = ()
) -> tuple[Case, str, str]:
    """The case to file on, how it was found, and how the sender is shown on the message."""
    found = existing_case(sender=sender, subject=subject, text=text, threaded=threaded)
    if found is not None:
        return found
    customers = list(_customers_known_by(sender))
    accounts = list(_customer_side_accounts(sender))
    title = subject or _first_line(text)
    if threaded:
        # A forged In-Reply-To, or someone the customer forwarded our e-mail to: never the claimed
        # case, nor another case of the sender's that they did not write about.
        note = _(
            "This message claims to answer case %(reference)s (by its e-mail headers), but the sender is "
            "neither that case's customer nor one of their delegates: check who they are before answering."
        ) % {"reference": threaded[0]}
        customer = customers[0] if customers else None
        case = triage_case(channel=channel, sender=sender, subject=title, note=note, customer=customer)
        return case, Route.TRIAGE, _label(case, customers, accounts, sender)

    quoted = _quoted_references(f"{subject}\n{text}")
    note = (
        _("Quotes %(references)s, whose customer did not send it.") % {"references": ", ".join(quoted)}
        if quoted
        else ""
    )
    customer = customers[0] if customers else _delegated_customer(_cases_reachable(customers, accounts))
    if customer is not None:
        case = _open_for(customer, channel=channel, subject=title, note=note, purpose=Purpose.REQUESTS)
        return case, Route.NEW_CASE, _label(case, customers, accounts, sender)
    case = triage_case(channel=channel, sender=sender, subject=title, note=note)
    return case, Route.TRIAGE, ""


def existing_case(
    *, sender: Sender, subject: str, text: str, threaded: Sequence[str] = ()
) -> tuple[Case, str, str] | None:
    """The case the message belongs on among those that exist (steps 0 to 2 of the module's
    docstring), how it was found and how the sender is shown; None when a new case is needed,
    or when `threaded` names only cases the sender may not write into."""
    customers = list(_customers_known_by(sender))
    accounts = list(_customer_side_accounts(sender))
    reachable = _cases_reachable(customers, accounts)
    case: Case | None

    if threaded:
        claimed = {
            case.reference: case
            for case in reachable.filter(reference__in=threaded).select_related("customer", "merged_into__customer")
        }
        for reference in threaded:
            if reference in claimed:
                # A merged duplicate's conversation goes on in the case it was merged into.
                case = claimed[reference].merged_into or claimed[reference]
                return case, Route.REFERENCE, _label(case, customers, accounts, sender)
        return None
    quoted = _quoted_references(f"{subject}\n{text}")
    if quoted:
        case = (
            reachable.filter(reference__in=quoted)
            .select_related("customer", "merged_into__customer")
            .order_by("-last_activity_at")
            .first()
        )
        if case is not None:
            case = case.merged_into or case
            return case, Route.REFERENCE, _label(case, customers, accounts, sender)
    case = (
        reachable.exclude(status=Case.Status.CLOSED)
        .select_related("customer")
        .order_by("-last_activity_at", "-pk")
        .first()
    )
    if case is not None:
        return case, Route.SENDER, _label(case, customers, accounts, sender)
    return None


def triage_case(*, channel: str, sender: Sender, subject: str, note: str, customer: Customer | None = None) -> Case:
    """A case for staff to sort out a message no case of its own can take yet (an unknown sender, a
    claim on someone else's case, an e-mail Steward could not read), owned as routing decides.
    Without `customer`, a customer record is made from what the message says of its sender."""
    if customer is None:
        customer = Customer.objects.create(
            full_name=sender.shown_as[:200],
            email=sender.email if "@" in sender.email else "",
            phone=sender.phone,
            preferred_channel=_preferred_channel(channel),
        )
        note = _("Unknown sender: check who they are before answering.") + " " + note
    return _open_for(
        customer,
        channel=channel,
        subject=_("Triage: %(subject)s") % {"subject": subject},
        note=note,
        purpose=Purpose.TRIAGE,
    )


def _customers_known_by(sender: Sender) -> QuerySet[Customer]:
    """Customers with the sender's e-mail address or phone number, most recently active first."""
    match = Q()
    if "@" in sender.email:
        match |= same_email(sender.email)
    if sender.phone_key:
        match |= phone_ending(sender.phone_key)
    if not match:
        return Customer.objects.none()
    # A duplicate merged away still knows its sender: the message goes to the record it joined.
    known = Customer.objects.filter(match)
    return (
        Customer.objects.filter(Q(pk__in=known.values("pk")) | Q(pk__in=known.values("merged_into")))
        .filter(merged_into__isnull=True)
        .annotate(latest_activity=Max("cases__last_activity_at"))
        .order_by(F("latest_activity").desc(nulls_last=True), "-created_at", "-pk")
    )


def _customer_side_accounts(sender: Sender) -> QuerySet[User]:
    """Active accounts with the sender's address that act on the customer's side (the
    customer's own sign-in or a delegate's); staff and contractor accounts route nothing."""
    if "@" not in sender.email:
        return User.objects.none()
    return User.objects.filter(
        email__iexact=sender.email, is_active=True, staff_profile__isnull=True, contractor_profile__isnull=True
    )


def _cases_reachable(customers: list[Customer], accounts: list[User]) -> QuerySet[Case]:
    """The cases the sender could be writing about: their customers' cases and, for an
    account, the cases the policy lets it see."""
    reachable = Q(customer__in=customers) if customers else Q(pk__in=[])
    for account in accounts:
        reachable |= Q(pk__in=policies.cases_visible_to(account).values("pk"))
    return Case.objects.filter(reachable)


def _delegated_customer(reachable: QuerySet[Case]) -> Customer | None:
    case = reachable.select_related("customer").order_by("-last_activity_at", "-pk").first()
    return case.customer if case is not None else None


def _quoted_references(text: str) -> list[str]:
    prefix = re.escape(settings.CASE_REFERENCE_PREFIX)
    found = re.findall(rf"(?<![\w-])({prefix}-\d{{4}}-\d{{6}})(?![\w-])", text, flags=re.IGNORECASE)
    return list(dict.fromkeys(reference.upper() for reference in found))


def _label(case: Case, customers: list[Customer], accounts: list[User], sender: Sender) -> str:
    """Blank for the customer themself (the message shows their name); "Paul Martin, on
    behalf of Jeanne Martin" for a delegate."""
    if any(customer.pk == case.customer_id for customer in customers):
        return ""
    for account in accounts:
        if account.pk == case.customer.user_id:
            return ""
        if policies.is_customer_side(account, case):
            name = account.get_full_name() or sender.shown_as
            return _("%(name)s, on behalf of %(customer)s") % {"name": name, "customer": case.customer.full_name}
    return sender.shown_as


def _open_for(customer: Customer, *, channel: str, subject: str, note: str, purpose: str) -> Case:
    medium = str(Channel(channel).label).lower()
    opened = _("Opened from a message received by %(medium)s on %(date)s.") % {
        "medium": medium,
        "date": local_text(timezone.now(), LONG_DATE_FORMAT),
    }
    return case_open(
        actor=None,
        customer=customer,
        subject=(subject or _("Message by %(medium)s") % {"medium": medium})[:200],
        owner=owner_for_new_case(customer=customer, purpose=purpose),
        description=f"{opened} {note}".strip(),
    )


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


def _preferred_channel(channel: str) -> str:
    preferred: dict[str, str] = {
        Channel.PHONE: Customer.Channel.PHONE,
        Channel.POST: Customer.Channel.POST,
    }
    return preferred.get(channel, Customer.Channel.EMAIL)
