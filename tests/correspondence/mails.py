"""Raw e-mails as mail programs write them, and our own outgoing e-mails for them to answer."""

from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from django.db import transaction
from django.utils import timezone

from cases.models import Case
from correspondence.models import OutboundEmail
from correspondence.services.outbox import email_enqueue

SUPPORT = "support@steward.localhost"


def make_mail(
    *,
    sender: str,
    subject: str = "Re: Fibre installation",
    body: str | None = "The socket still does not work.",
    to: str = SUPPORT,
    message_id: str | None = "<reply-1@mail.example.test>",
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> bytes:
    """An e-mail as a mail program sends it: plain text (and/or HTML), headers, attachments."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = to
    if subject:
        message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    if message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    if body is not None:
        message.set_content(body)
    if html is not None:
        if body is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, content, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def write_outbound(case: Case, *, subject: str = "Your fibre installation", to: str | None = None) -> OutboundEmail:
    """Our e-mail about a case, written to the outbox as the services write it (not sent: the tests
    only need its threading headers)."""
    with transaction.atomic():
        return email_enqueue(
            case=case,
            to_address=to or case.customer.email,
            to_name=case.customer.full_name,
            language="en",
            subject=subject,
            body_text="The plumber comes on Monday.",
            body_html="<p>The plumber comes on Monday.</p>",
        )
