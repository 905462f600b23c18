"""Through a real SMTP server: the reply reaches it as a threaded MIME message with both parts."""

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from cases.models import Message
from cases.services import message_reply
from correspondence import addresses
from correspondence.models import OutboundEmail
from correspondence.services.outbox import outbox_sweep


class _Mailbox:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class _Refusing:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        return "550 5.1.1 No such user here"


@pytest.fixture
def smtp_server(settings):
    def start(handler):
        with socket.socket() as probe:  # a free port on loopback
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
        return handler

    started: list = []
    yield start
    for controller in started:
        controller.stop()


def _reply_and_commit(owner, case, monkeypatch):
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    return message_reply(
        actor=owner, case=case, body="The plumber comes on Monday at 9:00 <b>sharp</b>.", channel=Message.Channel.EMAIL
    )


def test_a_reply_reaches_the_smtp_server_threaded_with_text_and_html(owner, case, smtp_server, monkeypatch):
    mailbox = smtp_server(_Mailbox())

    message = _reply_and_commit(owner, case, monkeypatch)

    (envelope,) = mailbox.envelopes
    assert envelope.rcpt_tos == [case.customer.email]
    received = email.message_from_bytes(envelope.original_content, policy=policy.default)
    sent = OutboundEmail.objects.get(message=message)
    assert sent.status == OutboundEmail.Status.SENT
    assert received["Message-ID"].strip() == sent.header_message_id  # long headers are folded onto a new line
    assert received["In-Reply-To"].strip() == addresses.thread_root_id(case.reference)
    assert received["References"].strip() == addresses.thread_root_id(case.reference)
    assert addresses.reference_from_address(received["Reply-To"]) == case.reference
    assert f"[{case.reference}]" in received["Subject"]
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "<b>sharp</b>" in text  # plain text is plain: nothing escaped
    assert "&lt;b&gt;sharp&lt;/b&gt;" in html  # and the customer's HTML part cannot be injected into


def test_an_address_the_server_refuses_is_marked_not_delivered(owner, case, smtp_server, monkeypatch):
    smtp_server(_Refusing())

    message = _reply_and_commit(owner, case, monkeypatch)

    sent = OutboundEmail.objects.get(message=message)
    assert sent.status == OutboundEmail.Status.FAILED and "550" in sent.failure_reason
    assert outbox_sweep().sent == 0  # and it is not tried again
