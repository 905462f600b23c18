"""Telling the customer, in the channel they prefer, whenever something customer-visible happens.

Called inside the transaction of the change itself (a reply, a handoff, a promise, a visit, an
alert, the "is it fixed?" question, the survey), so the telling commits with the change:

- prefers e-mail: the e-mail itself, through the outbox;
- prefers the portal: an e-mail that says something is waiting, with the link and no content;
- prefers the phone: a call task for the owner — a promise owed to the customer, due within the
  reply target, watched and flagged like any promise — with the words to say;
- prefers the post: a printable letter (PDF) and the same kind of task to post it.

When the preferred way cannot work (no e-mail address, no phone number) the next one that can is
used, and where none can the customer will see it on the portal. Delegates who asked for copies
get one by e-mail. Every telling is on the case timeline. Everything is written in the
recipient's language and time zone, not the sender's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import linebreaks, urlize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import deadlines
from cases.models import Case, Message, Promise, TimelineDepartment, TimelineEvent
from cases.notifications import case_url
from cases.services.attention import refresh_attention
from cases.services.timeline import Sentence, person_name, record_events, timeline_event
from correspondence.letters import letter_pdf
from correspondence.models import CustomerNotice
from correspondence.services.outbox import EmailToQueue, email_enqueue, emails_enqueue_many
from people.models import Customer, Delegate
from people.preferences import language_or_default, reader_settings, zone_or_default

Topic = CustomerNotice.Topic
Channel = CustomerNotice.Channel

# How a staff reply's "Send by" choice decides the channel: e-mail and post are explicit; for the
# portal the customer's preference decides how they hear of it; phone, chat and social are channels
# the member of staff uses themself.
REPLY_CHANNELS: dict[str, str | None] = {
    Message.Channel.EMAIL: Channel.EMAIL,
    Message.Channel.POST: Channel.LETTER,
    Message.Channel.PORTAL: None,
}


@dataclass(frozen=True)
class _Reader:
    name: str
    email: str
    language: str
    time_zone: str
    is_copy: bool


def _customer_reader(customer: Customer) -> _Reader:
    return _Reader(
        name=customer.full_name,
        email=customer.email,
        language=language_or_default(customer.language),
        time_zone=customer.time_zone,
        is_copy=False,
    )


def _delegate_reader(user: User) -> _Reader:
    language, zone = reader_settings(user)
    return _Reader(name=person_name(user), email=user.email, language=language, time_zone=zone.key, is_copy=True)


def channel_for(customer: Customer, *, forced: str | None = None) -> str:
    """The way to tell this customer: the one asked for if it can work, else their preference,
    else the next way that can reach them."""
    can: dict[str, bool] = {
        Channel.EMAIL: bool(customer.email),
        Channel.PORTAL_NOTICE: bool(customer.email),
        Channel.CALL_TASK: bool(customer.phone.strip()),
        Channel.LETTER: bool(customer.address.strip()),
    }
    by_preference: dict[str, str] = {
        Customer.Channel.EMAIL: Channel.EMAIL,
        Customer.Channel.PORTAL: Channel.PORTAL_NOTICE,
        Customer.Channel.PHONE: Channel.CALL_TASK,
        Customer.Channel.POST: Channel.LETTER,
    }
    preferred = by_preference[customer.preferred_channel]
    for channel in (forced, preferred, Channel.EMAIL, Channel.CALL_TASK, Channel.LETTER):
        if channel is not None and can[channel]:
            return channel
    return Channel.PORTAL_ONLY


def _subject(topic: str, case: Case, context: dict[str, Any]) -> str:
    """The subject line, in the active (recipient's) language."""
    if topic == Topic.REPLY:
        return _("Re: %(subject)s") % {"subject": case.subject}
    if topic == Topic.NEW_OWNER:
        return _("%(name)s now looks after your case") % {"name": context["owner_name"]}
    if topic == Topic.PROMISE:
        return _("What we promised you")
    if topic == Topic.VISIT:
        event = context.get("visit_event")
        if event == "cancelled":
            return _("Your visit is cancelled")
        if event == "moved":
            return _("Your visit has moved")
        return _("Your visit is booked")
    if topic == Topic.ALERT:
        # One topic for an alert's posting, changes and end, as a visit's booking, move and
        # cancellation are one: the alert's event picks the words.
        event = context.get("alert_event")
        if event == "ended":
            return _("Service notice ended: %(title)s") % {"title": context["alert"].title}
        if event == "updated":
            return _("Service notice changed: %(title)s") % {"title": context["alert"].title}
        return _("Service notice: %(title)s") % {"title": context["alert"].title}
    if topic == Topic.CONFIRMATION:
        return _("Is your problem fixed?")
    return _("How did we do?")


def _render(topic: str, channel: str, case: Case, reader: _Reader, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML, in the reader's language and time zone."""
    with translation.override(reader.language), timezone.override(zone_or_default(reader.time_zone)):
        full = {
            **context,
            "case": case,
            "customer": case.customer,
            "reader": reader,
            "url": case_url(case, for_customer=True),
            "topic": topic,
            "topic_label": Topic(topic).label,
            # The footer differs: a call script has no link to read out, a letter no e-mail to answer.
            "channel": channel,
            "company": settings.COMPANY_NAME,
        }
        subject = _subject(topic, case, context)
        name = "portal_notice" if channel == Channel.PORTAL_NOTICE else topic
        text = render_to_string(f"correspondence/{name}.txt", full).strip() + "\n"
        html = render_to_string(
            "correspondence/email.html",
            {
                **full,
                "subject": subject,
                # urlize escapes the text before it links and breaks it: nothing in it is trusted.
                "body_html": mark_safe(linebreaks(urlize(text, autoescape=True), autoescape=False)),  # noqa: S308
            },
        )
    return subject, text, html


def _task_text(topic: str, channel: str, case: Case) -> str:
    """The task the owner now owes, in the owner's language (the words to say are in the customer's)."""
    with translation.override(reader_settings(case.owner)[0]):
        values = {"name": case.customer.full_name, "about": Topic(topic).label}
        if channel == Channel.CALL_TASK:
            text = _("Call %(name)s to tell them: %(about)s") % values
        else:
            text = _("Print and post the letter to %(name)s: %(about)s") % values
    return text[:300]


def _task(case: Case, channel: str, topic: str, now: datetime) -> Promise:
    """A promise the owner owes, watched like any other; it is the owner's task, not a promise the
    customer reads on their page (they get the call or the letter itself). Unsaved."""
    kind = Promise.Kind.CALL_TASK if channel == Channel.CALL_TASK else Promise.Kind.LETTER_TASK
    return Promise(
        case=case,
        kind=kind,
        text=_task_text(topic, channel, case),
        made_by=case.owner,
        made_by_label=person_name(case.owner),
        owed_to_customer=False,
        owed_to_name=case.customer.full_name[:200],
        due_at=deadlines.reply_due(case, now),
    )


def _postal_address(customer: Customer) -> str:
    """The address block, one part a line; the postcode only when the address does not hold it already."""
    lines = [part.strip() for part in customer.address.replace(",", "\n").splitlines() if part.strip()]
    if customer.postcode and customer.postcode not in customer.address:
        lines.append(customer.postcode)
    return "\n".join(lines)


def _signature(case: Case) -> str:
    profile = getattr(case.owner, "staff_profile", None)
    lines = [person_name(case.owner)]
    if profile is not None:
        lines.append(profile.job_title or profile.department.name)
        if profile.phone:
            lines.append(profile.phone)
    lines.append(settings.COMPANY_NAME)
    return "\n".join(lines)


def _informed_event(case: Case, notice: CustomerNotice, actor: User | None) -> TimelineEvent:
    """The timeline event of a telling, unsaved."""
    summaries: dict[str, str] = {
        Channel.EMAIL: gettext_noop("E-mail to %(name)s: %(subject)s"),
        Channel.PORTAL_NOTICE: gettext_noop(
            "E-mail to %(name)s saying something is waiting on the portal: %(subject)s"
        ),
        Channel.CALL_TASK: gettext_noop("Call task for %(owner)s: phone %(name)s to tell them “%(subject)s”"),
        Channel.LETTER: gettext_noop("Letter for %(owner)s to post to %(name)s: %(subject)s"),
        Channel.PORTAL_ONLY: gettext_noop(
            "%(name)s will see it on the portal (no e-mail, phone or postal address on record): %(subject)s"
        ),
    }
    if notice.is_copy:
        text = gettext_noop("Copy by e-mail to %(name)s (helper of the customer): %(subject)s")
    else:
        text = summaries[notice.channel]
    return timeline_event(
        case=case,
        kind=TimelineEvent.Kind.CUSTOMER_INFORMED,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(
            text, {"name": notice.recipient_name, "subject": notice.subject, "owner": person_name(case.owner)}
        ),
        subject_key=f"notice:{notice.pk}",
        data={"channel": notice.channel, "topic": notice.topic},
    )


def _tell_one(
    *,
    case: Case,
    topic: str,
    channel: str,
    reader: _Reader,
    context: dict[str, Any],
    subject_key: str,
    message: Message | None,
    actor: User | None,
    now: datetime,
) -> CustomerNotice:
    subject, text, html = _render(topic, channel, case, reader, context)
    notice = _notice(case, topic, channel, reader, subject, text, subject_key)
    if channel in (Channel.CALL_TASK, Channel.LETTER):
        notice.task = _task(case, channel, topic, now)
        notice.task.save(force_insert=True)
        refresh_attention([case.pk], now=now)
    if channel == Channel.LETTER:
        _attach_letter(notice, _letter(case, reader, subject, text, now), now)
    notice.save()
    if channel in (Channel.EMAIL, Channel.PORTAL_NOTICE):
        email_enqueue(
            case=case,
            to_address=reader.email,
            to_name=reader.name,
            language=reader.language,
            subject=subject,
            body_text=text,
            body_html=html,
            message=message if channel == Channel.EMAIL else None,
            notice=notice,
            now=now,
        )
    _informed_event(case, notice, actor).save(force_insert=True)
    return notice


def _notice(
    case: Case, topic: str, channel: str, reader: _Reader, subject: str, text: str, subject_key: str
) -> CustomerNotice:
    return CustomerNotice(
        case=case,
        topic=topic,
        channel=channel,
        recipient_name=reader.name[:200],
        is_copy=reader.is_copy,
        language=reader.language,
        subject=subject[:300],
        text=text,
        subject_key=subject_key,
    )


def _letter(case: Case, reader: _Reader, subject: str, text: str, now: datetime) -> bytes:
    with translation.override(reader.language):
        return letter_pdf(
            recipient_name=case.customer.full_name,
            recipient_address=_postal_address(case.customer),
            reference=case.reference,
            subject=subject,
            body=text,
            signature=_signature(case),
            written_at=timezone.localtime(now, zone_or_default(reader.time_zone)),
        )


def _attach_letter(notice: CustomerNotice, pdf: bytes, now: datetime) -> None:
    name = f"{notice.case.reference}-{now:%Y%m%d%H%M%S}-{notice.topic}.pdf"
    notice.letter.save(name, ContentFile(pdf), save=False)


def _copy_readers(case: Case) -> list[_Reader]:
    """Delegates who asked for copies and may see this case, with an e-mail address."""
    return _copy_readers_of([case])[case.pk]


def _copy_readers_of(cases: list[Case]) -> dict[int, list[_Reader]]:
    """_copy_readers for many cases, in one query."""
    from cases import policies

    grants = (
        Delegate.objects.filter(
            customer_id__in={case.customer_id for case in cases}, revoked_at__isnull=True, wants_copies=True
        )
        .select_related("user__preference")
        .order_by("pk")
    )
    by_customer: dict[int, list[Delegate]] = {}
    for grant in grants:
        by_customer.setdefault(grant.customer_id, []).append(grant)
    return {
        case.pk: [
            _delegate_reader(grant.user)
            for grant in by_customer.get(case.customer_id, [])
            if grant.user.is_active and grant.user.email and policies.is_customer_side(grant.user, case)
        ]
        for case in cases
    }


def customer_tell(
    *,
    case: Case,
    topic: str,
    context: dict[str, Any] | None = None,
    subject_key: str = "",
    message: Message | None = None,
    channel: str | None = None,
    actor: User | None = None,
    copies: bool = True,
    now: datetime | None = None,
) -> list[CustomerNotice]:
    """Tell the case's customer about `topic` in their channel (or `channel` if it can reach them),
    and send copies to delegates who asked for them. Call inside the transaction of the change."""
    now = now or timezone.now()
    context = context or {}
    customer = case.customer
    chosen = channel_for(customer, forced=channel)
    notices = [
        _tell_one(
            case=case,
            topic=topic,
            channel=chosen,
            reader=_customer_reader(customer),
            context=context,
            subject_key=subject_key,
            message=message,
            actor=actor,
            now=now,
        )
    ]
    if copies:
        for reader in _copy_readers(case):
            notices.append(
                _tell_one(
                    case=case,
                    topic=topic,
                    channel=Channel.EMAIL,
                    reader=reader,
                    context=context,
                    subject_key=subject_key,
                    message=None,
                    actor=actor,
                    now=now,
                )
            )
    return notices


@dataclass(frozen=True)
class Telling:
    """One case's customer to tell, as customer_tell takes it (no forced channel, no message)."""

    case: Case
    topic: str
    context: dict[str, Any] = field(default_factory=dict)
    subject_key: str = ""


@dataclass
class PreparedNotice:
    """One notice written and rendered, not saved yet: what customers_tell_many inserts."""

    case: Case
    topic: str
    channel: str
    reader: _Reader
    subject_key: str
    subject: str
    text: str
    html: str
    task: Promise | None
    letter: bytes | None


def tellings_prepare(*, items: list[Telling], now: datetime, copies: bool = True) -> list[PreparedNotice]:
    """The rendering half of customer_tell for many cases (templates, call scripts, letters): the
    slow part, done before the transaction that writes them (customers_tell_many), so a batch
    holds the database's write lock only for the inserts. Reads the delegates in one query."""
    readers = _copy_readers_of([item.case for item in items]) if copies else {}
    prepared = []
    for item in items:
        customer = _customer_reader(item.case.customer)
        told = [(channel_for(item.case.customer), customer)]
        told += [(Channel.EMAIL, reader) for reader in readers.get(item.case.pk, [])]
        for channel, reader in told:
            subject, text, html = _render(item.topic, channel, item.case, reader, item.context)
            tasked = channel in (Channel.CALL_TASK, Channel.LETTER)
            prepared.append(
                PreparedNotice(
                    case=item.case,
                    topic=item.topic,
                    channel=channel,
                    reader=reader,
                    subject_key=item.subject_key,
                    subject=subject,
                    text=text,
                    html=html,
                    task=_task(item.case, channel, item.topic, now) if tasked else None,
                    letter=_letter(item.case, reader, subject, text, now) if channel == Channel.LETTER else None,
                )
            )
    return prepared


def customers_tell_many(
    *, prepared: list[PreparedNotice], actor: User | None = None, now: datetime
) -> list[CustomerNotice]:
    """Write what tellings_prepare rendered: the same notices, tasks, outbox e-mails and timeline
    events as customer_tell case after case, with one insert for each kind of row. Call inside
    the transaction of the change."""
    tasks = [item.task for item in prepared if item.task is not None]
    Promise.objects.bulk_create(tasks)
    refresh_attention((task.case_id for task in tasks), now=now)
    notices = []
    for item in prepared:
        notice = _notice(item.case, item.topic, item.channel, item.reader, item.subject, item.text, item.subject_key)
        notice.task = item.task
        if item.letter is not None:
            _attach_letter(notice, item.letter, now)
        notices.append(notice)
    CustomerNotice.objects.bulk_create(notices)
    emailed = [
        EmailToQueue(
            case=item.case,
            to_address=item.reader.email,
            to_name=item.reader.name,
            language=item.reader.language,
            subject=item.subject,
            body_text=item.text,
            body_html=item.html,
            notice=notice,
        )
        for item, notice in zip(prepared, notices, strict=True)
        if item.channel in (Channel.EMAIL, Channel.PORTAL_NOTICE)
    ]
    emails_enqueue_many(items=emailed, now=now)
    record_events([_informed_event(notice.case, notice, actor) for notice in notices])
    return notices


def reply_channel(message_channel: str) -> str | Literal[False] | None:
    """The forced notice channel for a staff reply "sent by" this channel; False when the member of
    staff reaches the customer themself (phone, chat, social) and Steward sends nothing."""
    if message_channel in REPLY_CHANNELS:
        return REPLY_CHANNELS[message_channel]
    return False
