"""The conversation: customer messages, replies, internal notes and phone calls.

A customer's message is stored before anything asynchronous happens (invariant 5), and
the reply clock on the case starts at the oldest message still unanswered.
"""

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.html import linebreaks, urlize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from guardian.shortcuts import assign_perm

from cases import deadlines, policies
from cases.models import Attachment, Case, Flag, Message, TimelineDepartment, TimelineEvent
from cases.services.flags import flags_clear
from cases.services.guards import lock_case, require_choice, require_open, require_text
from cases.services.help import ANSWERED, colleagues_to_ask, help_ask, help_requests_clear
from cases.services.lifecycle import case_open, reopen_on_customer_reply
from cases.services.routing import Purpose, owner_for_new_case
from cases.services.surveys import low_score_followed_up
from cases.services.timeline import Sentence, actor_label, choice, person_name, record_event
from portal.errors import NotAllowed, RuleViolation
from portal.image_metadata import without_metadata
from portal.uploads import validate_upload

Kind = TimelineEvent.Kind
Channel = Message.Channel
MAX_BODY = 20_000


def render_body(body: str) -> str:
    """Escape and format once, at write time, so pages never re-render user text."""
    return linebreaks(urlize(body, nofollow=True, autoescape=True), autoescape=False)


def _validated(attachments: Sequence["UploadedFile[bytes]"]) -> list[tuple["UploadedFile[bytes]", str]]:
    return [(upload, validate_upload(upload)) for upload in attachments]


def _store_attachments(message: Message, checked: list[tuple["UploadedFile[bytes]", str]]) -> None:
    for sent, content_type in checked:
        upload = without_metadata(sent, content_type)  # no GPS position of a customer's home
        assert upload.size is not None, "validate_upload refuses a file without a size"
        attachment = Attachment(
            message=message, original_name=(sent.name or "file")[:255], content_type=content_type, size=upload.size
        )
        attachment.file.save(sent.name or "file", upload, save=False)
        attachment.save()


def _snippet(body: str) -> str:
    """The start of a text for the timeline, on one line."""
    first = " ".join(body.split())
    return f"{first[:200]}{'…' if len(first) > 200 else ''}"


def _answer_waiting_messages(case: Case, now: datetime) -> None:
    """A reply reaching the customer answers every message still waiting, and stops the clock.

    Whether the answer came after the reply deadline is stored with it: the deadline is the case's
    (cases/deadlines.py, from the oldest waiting message, moved by a change of priority or of the
    customer's vulnerability), the very one the unanswered-message watcher flags, and it is
    forgotten just below. The reports count the stored verdict instead of working it out again."""
    late = case.reply_due_at is not None and now > case.reply_due_at
    case.messages.filter(direction=Message.Direction.INBOUND, answered_at__isnull=True).update(
        answered_at=now, answered_late=late
    )
    case.awaiting_reply_since = None
    case.reply_due_at = None
    case.last_outbound_at = now
    # Translators: why a flag was cleared, shown as "Flag cleared (reply sent): <the flag>".
    replied = Sentence(gettext_noop("reply sent"))
    flags_clear(kind=Flag.Kind.UNANSWERED_MESSAGE, subject_key=f"case:{case.pk}", note=replied)
    # Translators: why a flag was cleared, shown as "Flag cleared (customer contacted): <the flag>".
    contacted = Sentence(gettext_noop("customer contacted"))
    flags_clear(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", note=contacted)


def _follow_up_case(closed: Case, actor: User | None) -> Case:
    """A customer writing on a closed case gets a new case, never a void."""
    follow_up = case_open(
        actor=None,
        customer=closed.customer,
        subject=(
            _("Follow-up to %(reference)s: %(subject)s") % {"reference": closed.reference, "subject": closed.subject}
        )[:200],
        owner=owner_for_new_case(customer=closed.customer, purpose=Purpose.REQUESTS),
        priority=closed.priority,
        service=closed.service,
    )
    record_event(
        case=closed,
        kind=Kind.STATUS_CHANGED,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(
            gettext_noop("The customer wrote after closure; their message is on the follow-up case %(reference)s."),
            {"reference": follow_up.reference},
        ),
        customer_visible=True,
    )
    # A delegate granted only the closed case must still see what they wrote.
    for delegate in policies.case_delegates(closed):
        assign_perm(f"cases.{policies.DELEGATE_PERM}", delegate, follow_up)
    return lock_case(follow_up)


@transaction.atomic
def message_receive(
    *,
    case: Case,
    body: str,
    channel: str = Channel.PORTAL,
    actor: User | None = None,
    sender_label: str = "",
    external_id: str | None = None,
    attachments: Sequence["UploadedFile[bytes]"] = (),
    automatic: bool = False,
) -> Message:
    """File a message from the customer (or a delegate, or a mail/phone gateway with no actor).

    `automatic` is a machine's answer (an out-of-office reply): kept on the case, but it starts no
    reply clock, answers nothing, reopens nothing and opens no follow-up case."""
    body = require_text(body, field="body", what=_("your message"), max_length=MAX_BODY)
    require_choice(channel, [c for c in Channel.values if c != Channel.NOTE], field="channel", what=_("channel"))
    if actor is not None and not policies.is_customer_side(actor, case):
        raise NotAllowed(_("Only the customer or their delegate can write as the customer."))
    if external_id:
        existing = Message.objects.filter(external_id=external_id).first()
        if existing is not None:
            return existing  # a retried delivery: filed once
    checked = _validated(attachments)
    case = lock_case(case)
    if case.status == Case.Status.CLOSED and not automatic:
        case = _follow_up_case(case, actor)
    now = timezone.now()
    label = actor_label(actor, case=case) if actor is not None else (sender_label.strip() or case.customer.full_name)
    message = Message.objects.create(
        case=case,
        direction=Message.Direction.INBOUND,
        channel=channel,
        author=actor,
        author_label=label[:250],
        body=body,
        body_html=render_body(body),
        external_id=external_id or None,
        is_automatic=automatic,
        answered_at=now if automatic else None,
    )
    _store_attachments(message, checked)
    if automatic:
        record_event(
            case=case,
            kind=Kind.AUTOMATIC_REPLY,
            department=TimelineDepartment.SUPPORT,
            actor=actor,
            label=label,
            summary=Sentence(
                gettext_noop("Automatic reply (%(channel)s): %(text)s"),
                {"channel": choice("cases.Message.channel", message.channel), "text": _snippet(body)},
            ),
            subject_key=f"message:{message.pk}",
        )
        return message
    reopen_on_customer_reply(case, actor=actor, now=now)
    if case.awaiting_reply_since is None:
        case.awaiting_reply_since = now
        case.reply_due_at = deadlines.reply_due(case, now)
    case.last_activity_at = now
    case.save(update_fields=["awaiting_reply_since", "reply_due_at", "last_activity_at", "updated_at"])
    record_event(
        case=case,
        kind=Kind.MESSAGE_IN,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        label=label,
        summary=Sentence(
            gettext_noop("Message (%(channel)s): %(text)s"),
            {"channel": choice("cases.Message.channel", message.channel), "text": _snippet(body)},
        ),
        customer_visible=True,
        subject_key=f"message:{message.pk}",
    )
    return message


@transaction.atomic
def message_reply(
    *,
    actor: User,
    case: Case,
    body: str,
    channel: str = Channel.EMAIL,
    attachments: Sequence["UploadedFile[bytes]"] = (),
) -> Message:
    """A member of staff writes to the customer: it answers every waiting message."""
    body = require_text(body, field="body", what=_("your reply"), max_length=MAX_BODY)
    require_choice(channel, [c for c in Channel.values if c != Channel.NOTE], field="channel", what=_("channel"))
    if not policies.can_work_on_case(actor, case):
        raise NotAllowed(_("Only staff working on the case can reply to the customer; add a note or ask the owner."))
    checked = _validated(attachments)
    case = lock_case(case)
    require_open(case)
    now = timezone.now()
    message = Message.objects.create(
        case=case,
        direction=Message.Direction.OUTBOUND,
        channel=channel,
        author=actor,
        author_label=actor_label(actor),
        body=body,
        body_html=render_body(body),
    )
    _store_attachments(message, checked)
    _answer_waiting_messages(case, now)
    if case.status == Case.Status.NEW:
        case.status = Case.Status.IN_PROGRESS
    case.last_activity_at = now
    case.save(
        update_fields=[
            "awaiting_reply_since",
            "reply_due_at",
            "last_outbound_at",
            "status",
            "last_activity_at",
            "updated_at",
        ]
    )
    record_event(
        case=case,
        kind=Kind.MESSAGE_OUT,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(gettext_noop("Reply: %(text)s"), {"text": _snippet(body)}),
        customer_visible=True,
        subject_key=f"message:{message.pk}",
    )
    help_requests_clear(case=case, colleague=actor, why=ANSWERED, actor=actor)
    _deliver_reply(case=case, message=message, actor=actor, now=now)
    return message


def _deliver_reply(*, case: Case, message: Message, actor: User, now: datetime) -> None:
    """The reply leaves Steward: by e-mail or letter when that is how it was sent, else in the way the
    customer prefers to hear of it (phone, chat and social are channels staff use themselves)."""
    from correspondence.services.tell import customer_tell, reply_channel

    forced = reply_channel(message.channel)
    if forced is False:
        return
    customer_tell(
        case=case,
        topic="reply",
        context={"message": message, "author_name": person_name(actor)},
        subject_key=f"message:{message.pk}",
        message=message,
        channel=forced,
        actor=actor,
        now=now,
    )


@transaction.atomic
def note_add(
    *, actor: User, case: Case, body: str, for_contractor: bool = False, ask_help: Sequence[User] = ()
) -> Message:
    """An internal note: staff only, never shown to the customer.

    It may ask colleagues for help, by "@username" in the text or chosen in `ask_help`: each is
    flagged and notified without the case changing hands. A note by a colleague who was asked
    is their answer."""
    body = require_text(body, field="body", what=_("the note"), max_length=MAX_BODY)
    if not policies.can_note_on_case(actor, case):
        raise NotAllowed(_("Only staff can add internal notes."))
    case = lock_case(case)
    colleagues = colleagues_to_ask(actor=actor, case=case, body=body, ask_help=ask_help)
    message = Message.objects.create(
        case=case,
        direction=Message.Direction.OUTBOUND,
        channel=Channel.NOTE,
        is_internal=True,
        for_contractor=for_contractor,
        author=actor,
        author_label=actor_label(actor),
        body=body,
        body_html=render_body(body),
    )
    case.last_activity_at = timezone.now()
    case.save(update_fields=["last_activity_at", "updated_at"])
    record_event(
        case=case,
        kind=Kind.NOTE,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(
            gettext_noop("Internal note (shared with the contractor): %(text)s")
            if for_contractor
            else gettext_noop("Internal note: %(text)s"),
            {"text": _snippet(body)},
        ),
        subject_key=f"message:{message.pk}",
    )
    help_requests_clear(case=case, colleague=actor, why=ANSWERED, actor=actor)
    help_ask(actor=actor, case=case, colleagues=colleagues, note=message, excerpt=_snippet(body))
    return message


@transaction.atomic
def call_log(*, actor: User, case: Case, summary: str, inbound: bool, reached_customer: bool = True) -> Message:
    """Record a phone call. A conversation with the customer answers their waiting messages;
    a call that did not reach them ("no answer") is recorded but answers nothing."""
    summary = require_text(summary, field="summary", what=_("what was said on the call"), max_length=MAX_BODY)
    if not policies.can_note_on_case(actor, case):
        raise NotAllowed(_("Only staff can log calls."))
    if inbound and not reached_customer:
        raise RuleViolation(
            _("A call from the customer reached us; untick “did not reach the customer”."), field="reached_customer"
        )
    case = lock_case(case)
    now = timezone.now()
    message = Message.objects.create(
        case=case,
        direction=Message.Direction.INBOUND if inbound else Message.Direction.OUTBOUND,
        channel=Channel.PHONE,
        author=actor,
        author_label=actor_label(actor),
        body=summary,
        body_html=render_body(summary),
        answered_at=now if inbound else None,
    )
    if reached_customer and case.status != Case.Status.CLOSED:
        # A call does not reopen a resolved case by itself: staff confirm or reopen it
        # explicitly with what the customer said.
        _answer_waiting_messages(case, now)
    if reached_customer:
        low_score_followed_up(case=case, actor=actor)
    case.last_activity_at = now
    case.save(
        update_fields=["awaiting_reply_since", "reply_due_at", "last_outbound_at", "last_activity_at", "updated_at"]
    )
    if inbound:
        said = (
            gettext_noop("Phone call from the customer: %(text)s")
            if reached_customer
            else gettext_noop("Phone call from the customer (no answer): %(text)s")
        )
    else:
        said = (
            gettext_noop("Phone call to the customer: %(text)s")
            if reached_customer
            else gettext_noop("Phone call to the customer (no answer): %(text)s")
        )
    record_event(
        case=case,
        kind=Kind.CALL,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(said, {"text": _snippet(summary)}),
        customer_visible=True,
        subject_key=f"message:{message.pk}",
    )
    help_requests_clear(case=case, colleague=actor, why=ANSWERED, actor=actor)
    return message


def messages_mark_read(*, actor: User, case: Case) -> int:
    """Record that the customer side (or staff) has seen the messages written to them."""
    now = timezone.now()
    if policies.is_customer_side(actor, case):
        return case.messages.filter(
            direction=Message.Direction.OUTBOUND, is_internal=False, read_by_customer_at__isnull=True
        ).update(read_by_customer_at=now)
    if policies.is_staff_member(actor):
        return case.messages.filter(direction=Message.Direction.INBOUND, read_by_staff_at__isnull=True).update(
            read_by_staff_at=now
        )
    return 0
