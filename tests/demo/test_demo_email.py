"""Issue 10's acceptance on the demo: a reply by e-mail reaches a real SMTP server with its threading
headers; the customer's answer, piped to `manage.py mail_ingest`, lands on the same case and is
flagged when nobody answers it; a handoff on Mrs Martin's case (she prefers the phone) gives the new
owner a call task to tell her their name."""

import email
import socket
from datetime import timedelta
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from cases.models import Case, Flag, Message, Promise
from cases.services import case_handoff, message_reply
from cases.watchers.conversation import watch_unanswered_messages
from correspondence.models import CustomerNotice, OutboundEmail
from people.models import Customer


class _Mailbox:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield mailbox
    controller.stop()


@pytest.fixture
def committed(monkeypatch):
    """The demo is loaded inside a rolled-back transaction: run after-commit work at once."""
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def test_reply_by_email_answer_by_pipe_same_case_then_flagged_when_unanswered(stories, smtp, committed, tmp_path):
    case = (
        Case.objects.filter(customer__preferred_channel=Customer.Channel.EMAIL)
        .exclude(status__in=[Case.Status.CLOSED, Case.Status.RESOLVED])
        .select_related("owner", "customer")
        .order_by("pk")
        .first()
    )
    reply = message_reply(actor=case.owner, case=case, body="We have found the fault; can you try again now?")

    (raw,) = smtp.received
    sent = email.message_from_bytes(raw, policy=policy.default)
    outbound = OutboundEmail.objects.get(message=reply)
    assert sent["Message-ID"].strip() == outbound.header_message_id
    assert sent["In-Reply-To"] and sent["References"] and case.reference in sent["Subject"]

    answer = EmailMessage()
    answer["From"] = f"{case.customer.full_name} <{case.customer.email}>"
    answer["To"] = sent["Reply-To"]
    answer["Subject"] = "Re: " + sent["Subject"]
    answer["Message-ID"] = "<answer-1@customer.example>"
    answer["In-Reply-To"] = outbound.header_message_id
    answer["References"] = f"{sent['References'].strip()} {outbound.header_message_id}"
    answer.set_content("Still broken this morning, sorry.\n\n> We have found the fault; can you try again now?\n")
    path = tmp_path / "answer.eml"
    path.write_bytes(answer.as_bytes())
    flags_before = set(Flag.objects.filter(case=case, cleared_at__isnull=True).values_list("pk", flat=True))

    call_command("mail_ingest", str(path))

    filed = Message.objects.get(
        case=case,
        direction=Message.Direction.INBOUND,
        channel=Message.Channel.EMAIL,
        body__startswith="Still broken this morning",
    )
    case.refresh_from_db()
    assert abs(case.awaiting_reply_since - filed.created_at) < timedelta(seconds=1)  # its reply clock runs
    assert set(Flag.objects.filter(case=case, cleared_at__isnull=True).values_list("pk", flat=True)) == flags_before

    result = watch_unanswered_messages(now=case.reply_due_at + timedelta(minutes=1))
    assert result.raised >= 1
    assert Flag.objects.filter(case=case, kind=Flag.Kind.UNANSWERED_MESSAGE, cleared_at__isnull=True).exists()


def test_a_handoff_on_mrs_martins_case_gives_the_new_owner_a_call_task(stories, committed):
    case = Case.objects.select_related("owner", "customer").get(pk=stories.fibre.case.pk)
    assert case.customer.preferred_channel == Customer.Channel.PHONE
    colleague = (
        type(case.owner)
        .objects.filter(staff_profile__department=case.owner.staff_profile.department, is_active=True)
        .exclude(pk=case.owner.pk)
        .order_by("pk")
        .first()
    )

    case_handoff(actor=case.owner, case=case, to_user=colleague, reason="Holiday", summary="Pipe, two insurers.")

    notice = CustomerNotice.objects.filter(case=case, topic="new_owner").latest("pk")
    assert notice.channel == CustomerNotice.Channel.CALL_TASK
    assert notice.task.kind == Promise.Kind.CALL_TASK and notice.task.made_by == colleague
    assert notice.task.due_at > timezone.now()
    assert colleague.get_full_name() in notice.text
