"""mail_receive: every raw e-mail is stored first, then filed once on the right case; machines' mail
(bounces, automatic replies, our own mail coming back) is recorded but never taken for the customer's."""

import io
import os
import zipfile
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail as django_mail
from django.db import OperationalError
from django.utils import timezone

from cases.models import Case, Flag, InboundDelivery, Message, TimelineEvent
from cases.services import case_resolve, delegate_revoke
from cases.services.inbound import inbound_receive
from correspondence import addresses
from correspondence.models import InboundEmail, OutboundEmail
from correspondence.services import inbound as inbound_service
from correspondence.services.inbound import mail_receive, mail_refile_waiting
from people.models import Customer, Delegate
from tests.conftest import Cast
from tests.correspondence.mails import SUPPORT, make_mail, write_outbound
from tests.factories import UserFactory, make_case

Outcome = InboundEmail.Outcome
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _from(cast: Cast) -> str:
    return f"Jeanne Martin <{cast.customer.email}>"


def _original(message: Message) -> bytes:
    original = message.attachments.get(original_name="original-message.eml")
    assert original.content_type == "message/rfc822"
    with original.file.open("rb") as stored:
        return stored.read()


# --- threading ------------------------------------------------------------------------------


def test_an_answer_to_our_email_lands_on_its_case_by_in_reply_to(cast: Cast) -> None:
    email = write_outbound(cast.case)
    later = make_case(customer=cast.customer, owner=cast.owner, subject="Billing")  # more recent activity
    raw = make_mail(
        sender=_from(cast),
        subject="Re: something else entirely",
        body="Monday is fine.\n\nOn Mon, 2 Mar 2026, Steward <support@steward.localhost> wrote:\n> The plumber comes.",
        headers={"In-Reply-To": email.header_message_id},
    )
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert (inbound.outcome, inbound.case, inbound.duplicate) == (Outcome.FILED, cast.case, False)
    assert (inbound.from_address, inbound.subject) == (cast.customer.email, "Re: something else entirely")
    message = inbound.message
    assert (message.case, message.channel, message.direction) == (cast.case, "email", "inbound")
    assert message.body.startswith("Monday is fine.")
    assert "The plumber comes." not in message.body  # the quoted history is trimmed for reading…
    assert "original-message.eml" in message.body
    assert _original(message) == raw  # …and the whole e-mail stays downloadable
    assert not later.messages.exists()
    case = Case.objects.get(pk=cast.case.pk)
    assert case.awaiting_reply_since is not None  # the reply clock runs: it needs an answer
    delivery = InboundDelivery.objects.get(message=message)
    assert (delivery.route, delivery.delivered_by, delivery.channel) == ("reference", None, "email")
    assert inbound.raw.size == len(raw) == inbound.size


def test_the_case_thread_root_in_references_threads_it(cast: Cast) -> None:
    make_case(customer=cast.customer, owner=cast.owner, subject="Billing")
    root = addresses.thread_root_id(cast.case.reference)
    raw = make_mail(sender=_from(cast), subject="Hello", headers={"References": f"{root} <unknown@elsewhere.test>"})
    inbound = mail_receive(raw, door=InboundEmail.Door.MAILBOX)
    assert inbound.case == cast.case
    assert inbound.message.inbound_delivery.route == "reference"


def test_an_answer_to_an_earlier_email_of_the_customer_threads_it(cast: Cast) -> None:
    first = mail_receive(
        make_mail(sender=_from(cast), subject=f"About {cast.case.reference}", message_id="<first@mail.example.test>"),
        door=InboundEmail.Door.PIPE,
    )
    make_case(customer=cast.customer, owner=cast.owner, subject="Billing")
    second = mail_receive(
        make_mail(
            sender=_from(cast),
            subject="One more thing",
            message_id="<second@mail.example.test>",
            headers={"In-Reply-To": "<first@mail.example.test>"},
        ),
        door=InboundEmail.Door.PIPE,
    )
    assert first.case == second.case == cast.case


def test_the_signed_reply_address_threads_it(cast: Cast) -> None:
    later = make_case(customer=cast.customer, owner=cast.owner, subject="Billing")
    raw = make_mail(sender=_from(cast), subject="A question", to=addresses.reply_address(cast.case.reference))
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.case == cast.case
    assert not later.messages.exists()


def test_a_reply_address_with_a_forged_signature_threads_nothing(cast: Cast) -> None:
    forged = addresses.reply_address(cast.other_case.reference).replace(".", ".0", 1)
    raw = make_mail(sender=_from(cast), subject="A question", to=forged)
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.case == cast.case  # her own open case, by her address


def test_the_case_reference_in_the_subject_files_it_there(cast: Cast) -> None:
    later = make_case(customer=cast.customer, owner=cast.owner, subject="Billing")
    raw = make_mail(sender=_from(cast), subject=f"Re: [{cast.case.reference}] Fibre installation")
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.case == cast.case
    assert not later.messages.exists()


def test_a_known_sender_without_thread_or_reference_lands_on_their_open_case(cast: Cast) -> None:
    inbound = mail_receive(make_mail(sender=_from(cast), subject="Hello"), door=InboundEmail.Door.PIPE)
    assert (inbound.case, inbound.message.inbound_delivery.route) == (cast.case, "sender")


def test_an_unknown_sender_gets_a_triage_case(cast: Cast) -> None:
    raw = make_mail(sender="Nadia Newcomer <nadia@example.test>", subject="Do you cover Villeurbanne?")
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.outcome == Outcome.TRIAGE
    assert inbound.case.subject == "Triage: Do you cover Villeurbanne?"
    assert inbound.case.customer.email == "nadia@example.test"


def test_a_delegate_answering_the_thread_writes_on_the_case(cast: Cast) -> None:
    email = write_outbound(cast.case, to=cast.delegate.email)
    raw = make_mail(sender=f"Paul Martin <{cast.delegate.email}>", headers={"In-Reply-To": email.header_message_id})
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.case == cast.case
    assert inbound.message.author_label == "Paul Martin, on behalf of Jeanne Martin"


# --- a forged In-Reply-To -------------------------------------------------------------------


def test_a_stranger_with_a_forged_in_reply_to_lands_on_a_triage_case(cast: Cast) -> None:
    email = write_outbound(cast.case)
    raw = make_mail(
        sender="Mallory <mallory@elsewhere.test>",
        subject="Re: Your fibre installation",
        body="Please pay the new invoice at this link.",
        headers={"In-Reply-To": email.header_message_id, "References": email.references},
    )
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.outcome == Outcome.TRIAGE
    assert inbound.case != cast.case
    assert inbound.case.subject.startswith("Triage: ")
    assert cast.case.reference in inbound.note
    assert cast.case.reference in inbound.case.description
    assert not cast.case.messages.filter(direction="inbound").exists()
    assert inbound.case.customer.email == "mallory@elsewhere.test"


def test_another_customer_claiming_a_case_gets_a_triage_case_not_their_own_case(cast: Cast) -> None:
    root = addresses.thread_root_id(cast.case.reference)
    raw = make_mail(sender=f"Omar <{cast.other_customer.email}>", headers={"References": root})
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.outcome == Outcome.TRIAGE
    assert inbound.case not in (cast.case, cast.other_case)
    assert inbound.case.customer == cast.other_customer  # their own record, not a new one
    assert not cast.case.messages.exists() and not cast.other_case.messages.exists()


def test_a_revoked_delegate_can_no_longer_write_into_the_case(cast: Cast) -> None:
    email = write_outbound(cast.case, to=cast.delegate.email)
    delegate_revoke(actor=cast.owner, delegate=Delegate.objects.get(user=cast.delegate))
    raw = make_mail(sender=f"Paul Martin <{cast.delegate.email}>", headers={"In-Reply-To": email.header_message_id})
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.outcome == Outcome.TRIAGE
    assert inbound.case != cast.case


# --- machines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: Your fibre installation"),
        ({"X-Autoreply": "yes"}, "Re: Your fibre installation"),
        ({"X-Autorespond": "Out of office"}, "Re: Your fibre installation"),
        ({"Precedence": "auto_reply"}, "Re: Your fibre installation"),
        ({"Precedence": "bulk"}, "Re: Your fibre installation"),
        ({}, "Out of office: Your fibre installation"),
        ({}, "Réponse automatique : Votre installation"),
        ({}, "Absence : Votre installation"),
        ({}, "Automatic reply: Your fibre installation"),
    ],
)
def test_an_automatic_reply_is_recorded_but_needs_no_answer(cast: Cast, headers: dict[str, str], subject: str) -> None:
    email = write_outbound(cast.case)
    emails_before = OutboundEmail.objects.count()
    raw = make_mail(
        sender=_from(cast),
        subject=subject,
        body="I am away until Monday.",
        headers={"In-Reply-To": email.header_message_id, **headers},
    )
    inbound = mail_receive(raw, door=InboundEmail.Door.MAILBOX)
    assert (inbound.outcome, inbound.case) == (Outcome.AUTOMATIC, cast.case)
    message = inbound.message
    assert message.is_automatic is True
    assert message.answered_at is not None  # nothing waits for an answer
    assert message.body == "I am away until Monday."
    case = Case.objects.get(pk=cast.case.pk)
    assert case.awaiting_reply_since is None and case.reply_due_at is None
    event = TimelineEvent.objects.get(case=cast.case, kind=TimelineEvent.Kind.AUTOMATIC_REPLY)
    assert event.subject_key == f"message:{message.pk}"
    assert not TimelineEvent.objects.filter(case=cast.case, kind=TimelineEvent.Kind.MESSAGE_IN).exists()
    # Nothing is sent back: no loop.
    assert OutboundEmail.objects.count() == emails_before
    assert django_mail.outbox == []


def test_an_automatic_reply_does_not_reopen_a_resolved_case(cast: Cast) -> None:
    email = write_outbound(cast.case)
    case_resolve(
        actor=cast.owner,
        case=cast.case,
        summary="Socket replaced.",
        override_reason="The fibre job left open is a courtesy visit.",
    )
    headers = {"In-Reply-To": email.header_message_id, "Auto-Submitted": "auto-replied"}
    raw = make_mail(sender=_from(cast), headers=headers)
    inbound = mail_receive(raw, door=InboundEmail.Door.MAILBOX)
    assert inbound.outcome == Outcome.AUTOMATIC
    assert Case.objects.get(pk=cast.case.pk).status == Case.Status.RESOLVED


def test_an_automatic_reply_about_no_case_opens_none(cast: Cast) -> None:
    cases, customers = Case.objects.count(), Customer.objects.count()
    raw = make_mail(sender="robot@elsewhere.test", subject="Out of office", headers={"Auto-Submitted": "auto-replied"})
    inbound = mail_receive(raw, door=InboundEmail.Door.MAILBOX)
    assert (inbound.outcome, inbound.case, inbound.message) == (Outcome.AUTOMATIC, None, None)
    assert (Case.objects.count(), Customer.objects.count()) == (cases, customers)
    assert inbound.raw.size == len(raw)  # kept all the same


def test_a_customer_writing_about_an_absence_is_not_a_machine(cast: Cast) -> None:
    raw = make_mail(sender=_from(cast), subject="Absence of signal since Monday")
    assert mail_receive(raw, door=InboundEmail.Door.PIPE).outcome == Outcome.FILED


def _dsn(
    email: OutboundEmail, *, action: str = "failed", status: str = "5.1.1", returned: str = "message/rfc822"
) -> bytes:
    """A delivery status notification (RFC 3464) returning `email`, as Postfix writes one."""
    headers = f"Message-ID: {email.header_message_id}\nFrom: Steward <{SUPPORT}>\nSubject: {email.subject}\n"
    returned_part = (
        f"Content-Type: message/rfc822\n\n{headers}\nThe plumber comes on Monday.\n"
        if returned == "message"
        else f"Content-Type: text/rfc822-headers\n\n{headers}"
    )
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\n"
        f"To: {SUPPORT}\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "Message-ID: <dsn-1@mx.example.test>\n"
        "Auto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="XX"\n\n'
        "--XX\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        "--XX\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.test\n\n"
        f"Final-Recipient: rfc822; {email.to_address}\nAction: {action}\nStatus: {status}\n"
        f"Diagnostic-Code: smtp; 550 {status} <{email.to_address}>: Recipient address rejected\n\n"
        f"--XX\n{returned_part}\n--XX--\n"
    ).encode()


@pytest.mark.parametrize("returned", ["message", "headers"])
def test_a_bounce_marks_our_email_failed_and_flags_the_owner(cast: Cast, returned: str) -> None:
    email = write_outbound(cast.case)
    inbound = mail_receive(_dsn(email, returned=returned), door=InboundEmail.Door.MAILBOX)
    assert inbound.outcome == Outcome.BOUNCE
    assert (inbound.bounced_email, inbound.case, inbound.message) == (email, cast.case, None)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert "5.1.1" in email.failure_reason and "Recipient address rejected" in email.failure_reason
    flag = Flag.objects.get(kind=Flag.Kind.UNDELIVERED_EMAIL, case=cast.case, cleared_at__isnull=True)
    assert flag.assignee == cast.owner
    assert not cast.case.messages.filter(direction="inbound").exists()  # never the customer's message


def test_a_mailer_daemons_own_bounce_format_is_understood(cast: Cast) -> None:
    email = write_outbound(cast.case)
    raw = make_mail(
        sender="MAILER-DAEMON@mx.example.test",
        subject="failure notice",
        message_id="<bounce-2@mx.example.test>",
        body=(
            "Hi. This is the qmail-send program.\nI'm afraid I wasn't able to deliver your message.\n\n"
            f"<{email.to_address}>:\n550 5.2.2 Mailbox full\n\n--- Below this line is a copy of the message.\n\n"
            f"Message-ID: {email.header_message_id}\nSubject: {email.subject}\n"
        ),
    )
    inbound = mail_receive(raw, door=InboundEmail.Door.MAILBOX)
    assert (inbound.outcome, inbound.bounced_email) == (Outcome.BOUNCE, email)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert "Mailbox full" in email.failure_reason


def test_a_bounce_without_the_message_id_is_matched_by_the_signed_reply_address(cast: Cast) -> None:
    email = write_outbound(cast.case)
    OutboundEmail.objects.filter(pk=email.pk).update(status="sent", sent_at=timezone.now())
    raw = make_mail(
        sender="postmaster@mx.example.test",
        subject="Delivery Status Notification (Failure)",
        message_id="<bounce-3@mx.example.test>",
        body=f"Delivery to {email.to_address} failed: 550 no such user.\n\nReply-To: {email.reply_to}\n",
    )
    inbound = mail_receive(raw, door=InboundEmail.Door.MAILBOX)
    assert (inbound.outcome, inbound.bounced_email) == (Outcome.BOUNCE, email)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED


def test_a_delay_notice_is_not_a_failure(cast: Cast) -> None:
    email = write_outbound(cast.case)
    inbound = mail_receive(_dsn(email, action="delayed", status="4.4.7"), door=InboundEmail.Door.MAILBOX)
    assert inbound.outcome == Outcome.BOUNCE
    email.refresh_from_db()
    assert email.status != OutboundEmail.Status.FAILED
    assert not Flag.objects.filter(kind=Flag.Kind.UNDELIVERED_EMAIL).exists()


def test_a_bounce_about_no_email_of_ours_marks_nothing(cast: Cast) -> None:
    raw = make_mail(sender="MAILER-DAEMON@mx.example.test", subject="Undeliverable: hello", body="550 unknown user")
    inbound = mail_receive(raw, door=InboundEmail.Door.MAILBOX)
    assert (inbound.outcome, inbound.case, inbound.bounced_email) == (Outcome.BOUNCE, None, None)


@pytest.mark.parametrize("how", ["our address", "our message id", "our header"])
def test_our_own_mail_coming_back_is_kept_and_dropped(cast: Cast, how: str) -> None:
    email = write_outbound(cast.case)
    sender, message_id, headers = _from(cast), "<loop@mail.example.test>", {}
    if how == "our address":
        sender = f"Steward <{SUPPORT}>"
    elif how == "our message id":
        message_id = email.header_message_id
    else:
        headers = {"X-Steward-Case": cast.case.reference}
    raw = make_mail(sender=sender, message_id=message_id, headers=headers)
    emails_before = OutboundEmail.objects.count()
    inbound = mail_receive(raw, door=InboundEmail.Door.MAILBOX)
    assert (inbound.outcome, inbound.message) == (Outcome.AUTOMATIC, None)
    assert "loop" in inbound.note
    assert not Message.objects.filter(direction="inbound").exists()
    assert OutboundEmail.objects.count() == emails_before


# --- once, and never lost -------------------------------------------------------------------


def test_a_duplicate_delivery_returns_the_first_and_files_nothing(cast: Cast) -> None:
    raw = make_mail(sender=_from(cast))
    first = mail_receive(raw, door=InboundEmail.Door.PIPE)
    # The same message by another door: another trace header, LF line endings (a pipe) not CRLF.
    assert b"\r\n" in raw
    again = b"Received: from mx2.example.test by pipe; Mon, 2 Mar 2026\n" + raw.replace(b"\r\n", b"\n")
    second = mail_receive(again, door=InboundEmail.Door.MAILBOX)
    assert second.pk == first.pk
    assert (first.duplicate, second.duplicate) == (False, True)
    assert InboundEmail.objects.count() == 1
    assert Message.objects.filter(direction="inbound").count() == 1


def test_two_messages_under_one_message_id_are_both_kept(cast: Cast) -> None:
    first = mail_receive(make_mail(sender=_from(cast), body="First scan"), door=InboundEmail.Door.PIPE)
    second = mail_receive(make_mail(sender=_from(cast), body="Second scan"), door=InboundEmail.Door.PIPE)
    assert second.pk != first.pk and not second.duplicate
    assert second.key.startswith("identity-sha256:")
    assert sorted(Message.objects.values_list("body", flat=True)) == ["First scan", "Second scan"]


def test_a_message_without_message_id_is_keyed_by_its_bytes(cast: Cast) -> None:
    raw = make_mail(sender=_from(cast), message_id=None)
    first = mail_receive(raw, door=InboundEmail.Door.PIPE)
    second = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert first.key.startswith("sha256:") and second.pk == first.pk and second.duplicate


def test_a_message_the_gateway_already_delivered_is_filed_once(cast: Cast) -> None:
    gateway = UserFactory(username="mail-gateway")
    gateway.user_permissions.add(Permission.objects.get(codename="deliver_inbound"))
    filing = inbound_receive(
        delivered_by=User.objects.get(pk=gateway.pk),
        channel="email",
        external_id="<reply-1@mail.example.test>",
        body="The socket still does not work.",
        sender_email=cast.customer.email,
    )
    inbound = mail_receive(make_mail(sender=_from(cast)), door=InboundEmail.Door.MAILBOX)
    assert (inbound.outcome, inbound.case, inbound.message) == (Outcome.FILED, filing.case, None)
    assert Message.objects.filter(direction="inbound").count() == 1


def test_a_filing_failure_writes_nothing_half_and_lands_on_triage_with_the_original(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = inbound_service._attach_original
    calls: list[int] = []

    def fails_once(message: Message, inbound: InboundEmail) -> None:
        calls.append(message.pk)
        if len(calls) == 1:
            raise OSError("disk full")
        real(message, inbound)

    monkeypatch.setattr(inbound_service, "_attach_original", fails_once)
    raw = make_mail(sender=_from(cast), subject=f"Re: {cast.case.reference}")
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.outcome == Outcome.UNREADABLE
    assert "disk full" in inbound.note
    # The first filing rolled back whole: no message on her case, no delivery row.
    assert not cast.case.messages.filter(direction="inbound").exists()
    assert not InboundDelivery.objects.exists()
    assert inbound.case.subject == f"Triage: Re: {cast.case.reference}"
    assert inbound.case.customer == cast.customer
    assert _original(inbound.message) == raw


def test_a_message_that_cannot_be_read_lands_on_triage_with_the_original(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(raw: bytes) -> None:
        raise ValueError("no idea what this is")

    monkeypatch.setattr(inbound_service, "parse_mail", unreadable)
    raw = make_mail(sender="Nadia <nadia@example.test>", subject="Help")
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.outcome == Outcome.UNREADABLE
    assert inbound.case.subject == "Triage: Help"
    assert "could not read" in inbound.message.body
    assert (inbound.from_address, inbound.subject) == ("nadia@example.test", "Help")
    assert _original(inbound.message) == raw


def test_a_message_that_cannot_be_stored_raises_and_keeps_nothing(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, settings
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(InboundEmail, "save", down)
    with pytest.raises(OperationalError):
        mail_receive(make_mail(sender=_from(cast)), door=InboundEmail.Door.PIPE)
    raw_dir = settings.MEDIA_ROOT / "mail" / "raw"
    assert not raw_dir.exists() or not os.listdir(raw_dir)


def test_a_message_stored_but_never_filed_is_filed_by_the_sweep(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    def dies(*args: object) -> None:
        raise OperationalError("the database went away")

    # Both the filing and its triage fallback fail: the row stays "received".
    monkeypatch.setattr(inbound_service, "_file", dies)
    monkeypatch.setattr(inbound_service, "_file_on_triage", dies)
    stored = mail_receive(make_mail(sender=_from(cast)), door=InboundEmail.Door.PIPE)
    assert (stored.outcome, stored.processed_at) == (Outcome.RECEIVED, None)
    monkeypatch.undo()
    assert mail_refile_waiting() == 0  # too recent: its own delivery may still be filing it
    assert mail_refile_waiting(now=timezone.now() + timedelta(minutes=10)) == 1
    stored.refresh_from_db()
    assert (stored.outcome, stored.case) == (Outcome.FILED, cast.case)
    assert mail_refile_waiting(now=timezone.now() + timedelta(minutes=10)) == 0


# --- bad input ------------------------------------------------------------------------------


def test_malformed_mime_is_still_filed(cast: Cast) -> None:
    raw = (
        f"From: {cast.customer.email}\n"
        "Subject: broken\n"
        "Message-ID: <broken@mail.example.test>\n"
        "this line is not a header\n"
        'Content-Type: multipart/mixed; boundary="never-closed"\n\n'
        "--never-closed\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
        "SGVsbG8sIHRoZSBzb2NrZXQgaXMgYnJva2Vu!!!not-base64\n"
        "--never-closed\nContent-Type: image/png; name=\n\n\x00\x01garbage"
    ).encode()
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.outcome == Outcome.FILED
    assert inbound.case == cast.case
    assert inbound.message.body


def test_an_unknown_charset_loses_nothing_but_a_few_letters(cast: Cast) -> None:
    raw = (
        f"From: {cast.customer.email}\n"
        "Subject: =?x-klingon?q?caf=E9?= ok\n"
        "Message-ID: <charset@mail.example.test>\n"
        "Content-Type: text/plain; charset=x-klingon\n"
        "Content-Transfer-Encoding: 8bit\n\n"
    ).encode() + "La box ne marche plus depuis l'orage, merci de passer.".encode("latin-1")
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.outcome == Outcome.FILED
    assert "La box ne marche plus depuis l" in inbound.message.body
    assert "\x00" not in inbound.subject


def test_an_html_only_mail_is_sanitised_into_text(cast: Cast) -> None:
    html = (
        "<html><head><style>p {color: red}</style><script>alert('x')</script></head><body>"
        "<p>Hello,</p><p>The <b>router</b> blinks red.<br>See <a href='https://photos.example.test/1'>my photo</a>."
        "<img src=x onerror=alert(1)></p>"
        "<div class='gmail_quote'>On Monday Steward wrote:<blockquote><p>The plumber comes.</p></blockquote></div>"
        "</body></html>"
    )
    inbound = mail_receive(make_mail(sender=_from(cast), body=None, html=html), door=InboundEmail.Door.PIPE)
    body = inbound.message.body
    assert body.startswith("Hello,\n\nThe router blinks red.\nSee my photo (https://photos.example.test/1).")
    for gone in ("<", "alert", "color: red", "The plumber comes"):
        assert gone not in body


def test_a_30_mb_message_is_kept_whole_on_a_triage_case_unopened(
    cast: Cast, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.INBOUND_MAIL_MAX_BYTES < 30 * 1024 * 1024

    def must_not_open(raw: bytes) -> None:
        raise AssertionError("a message over the limit was opened")

    monkeypatch.setattr(inbound_service, "parse_mail", must_not_open)
    video = os.urandom(22 * 1024 * 1024)
    raw = make_mail(sender=_from(cast), subject="The video of the leak", attachments=[("leak.mp4", video, "video/mp4")])
    assert len(raw) > 30 * 1024 * 1024
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.outcome == Outcome.TRIAGE
    assert inbound.case.subject == "Triage: The video of the leak"
    assert inbound.case.customer == cast.customer
    assert "MB" in inbound.note and "not opened" in inbound.note
    original = inbound.message.attachments.get(original_name="original-message.eml")
    assert original.size == len(raw) == inbound.raw.size


def test_a_zip_bomb_and_a_program_are_refused_and_named_a_photo_is_kept(cast: Cast) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\x00" * (20 * 1024 * 1024))
    program = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256))
    raw = make_mail(
        sender=_from(cast),
        attachments=[
            ("bomb.zip", bomb.getvalue(), "application/zip"),
            ("invoice.pdf.exe", program, "application/octet-stream"),
            ("leak.png", PNG, "image/png"),
        ],
    )
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    message = inbound.message
    assert inbound.outcome == Outcome.FILED
    assert "bomb.zip" in message.body and "invoice.pdf.exe" in message.body
    names = sorted(message.attachments.values_list("original_name", flat=True))
    assert names == ["leak.png", "original-message.eml"]


def test_an_email_with_no_text_keeps_its_subject(cast: Cast) -> None:
    inbound = mail_receive(make_mail(sender=_from(cast), subject="Call me back please", body=""), door="pipe")
    assert inbound.message.body == "Call me back please"


def test_an_entirely_empty_email_is_kept_and_says_so(cast: Cast) -> None:
    raw = f"From: {cast.customer.email}\nMessage-ID: <empty@mail.example.test>\n\n".encode()
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.outcome == Outcome.FILED
    assert "empty e-mail" in inbound.message.body
    assert _original(inbound.message) == raw


def test_a_header_injection_attempt_stays_one_harmless_line(cast: Cast) -> None:
    # "Hello\r\nBcc: everyone@example.test" hidden in encoded words, in the subject and the sender's name.
    raw = (
        b"From: =?utf-8?b?Sm9obg0KQmNjOiBldmVyeW9uZUBleGFtcGxlLnRlc3Q=?= <john@example.test>\n"
        b"Subject: =?utf-8?b?SGVsbG8NCkJjYzogZXZlcnlvbmVAZXhhbXBsZS50ZXN0?=\n"
        b"Message-ID: <inject@mail.example.test>\n"
        b"Content-Type: multipart/mixed; boundary=B\n\n"
        b"--B\nContent-Type: text/plain\n\nHi\n"
        b'--B\nContent-Type: text/plain\nContent-Disposition: attachment; filename="../../etc/passwd\r\nX: y"\n\nroot\n'
        b"--B--\n"
    )
    inbound = mail_receive(raw, door=InboundEmail.Door.PIPE)
    assert inbound.subject == "Hello Bcc: everyone@example.test"
    assert "\n" not in inbound.case.subject and "\r" not in inbound.case.subject
    assert "\n" not in inbound.case.customer.full_name
    names = set(inbound.message.attachments.values_list("original_name", flat=True))
    assert "original-message.eml" in names
    assert all("/" not in name and "\n" not in name for name in names)


def test_the_mailbox_poller_is_on_beats_schedule(beat_schedule: None) -> None:
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="correspondence.poll_mailbox")
    assert (task.interval.every, task.interval.period, task.enabled) == (1, "minutes", True)
