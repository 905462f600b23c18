"""The outbox: written with the record, sent after the commit, once, with the threading headers;
retried with backoff, swept when the broker is down, taken back from a killed worker."""

import threading
from datetime import timedelta
from email.utils import parseaddr
from smtplib import SMTPRecipientsRefused, SMTPServerDisconnected
from unittest import mock

import pytest
from celery import Celery
from celery.app.task import Task
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from cases.models import Flag, Message, TimelineEvent
from cases.services import message_reply
from correspondence import addresses
from correspondence.models import OutboundEmail
from correspondence.services.outbox import outbox_send, outbox_sweep

Status = OutboundEmail.Status
REFUSED = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def _reply(owner, case, body="The plumber comes on Monday at 9:00.", channel=Message.Channel.EMAIL):
    return message_reply(actor=owner, case=case, body=body, channel=channel)


def test_a_reply_by_email_leaves_after_the_commit_with_the_threading_headers(
    owner, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = _reply(owner, case)
        email = OutboundEmail.objects.get(message=message)
        assert email.status == Status.QUEUED and mail.outbox == []  # nothing leaves inside the transaction
    for callback in callbacks:
        callback()

    email.refresh_from_db()
    assert email.status == Status.SENT and email.attempts == 1
    (sent,) = mail.outbox
    assert sent.to == [f"Jeanne Martin <{case.customer.email}>"]
    assert f"[{case.reference}]" in sent.subject
    assert "The plumber comes on Monday at 9:00." in sent.body
    assert sent.extra_headers["Message-ID"] == email.header_message_id
    root = addresses.thread_root_id(case.reference)
    assert sent.extra_headers["In-Reply-To"] == root and sent.extra_headers["References"] == root
    assert addresses.reference_from_address(sent.reply_to[0]) == case.reference
    assert "Auto-Submitted" not in sent.extra_headers  # a person wrote it
    (html, mimetype) = sent.alternatives[0]
    assert mimetype == "text/html" and "The plumber comes on Monday at 9:00." in html


def test_the_next_email_of_the_case_refers_to_the_earlier_ones(owner, case):
    first = OutboundEmail.objects.get(message=_reply(owner, case, body="First answer."))
    assert first.in_reply_to == addresses.thread_root_id(case.reference)
    second = OutboundEmail.objects.get(message=_reply(owner, case, body="Second answer."))

    root = addresses.thread_root_id(case.reference)
    assert second.in_reply_to == first.header_message_id
    assert second.references.split() == [root, first.header_message_id]


def test_a_reply_that_rolls_back_leaves_no_email_behind(owner, case):
    with pytest.raises(RuntimeError), transaction.atomic():
        _reply(owner, case)
        raise RuntimeError("the database refused the rest of the change")

    assert OutboundEmail.objects.count() == 0 and Message.objects.count() == 0
    assert mail.outbox == []


def test_a_header_injection_in_the_subject_stays_one_line(owner, case, django_capture_on_commit_callbacks):
    case.subject = "Broken\r\nBcc: everyone@example.test"
    case.save(update_fields=["subject"])

    with django_capture_on_commit_callbacks(execute=True):
        email = OutboundEmail.objects.get(message=_reply(owner, case))

    assert "\n" not in email.subject and "\r" not in email.subject
    (sent,) = mail.outbox
    assert sent.bcc == [] and "Bcc" not in sent.extra_headers
    assert sent.message()["Subject"].startswith("Re: Broken Bcc: everyone@example.test")


def test_sending_twice_sends_once(owner, case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        email = OutboundEmail.objects.get(message=_reply(owner, case))

    assert outbox_send(email.pk).outcome == "sent"
    assert outbox_send(email.pk).outcome == "skipped"
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL's row locks")
def test_two_workers_sweeping_at_the_same_moment_send_each_email_once(owner, case, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch.object(Celery, "send_task", side_effect=REFUSED):
        for n in range(30):
            _reply(owner, case, body=f"Answer number {n}.")
    assert OutboundEmail.objects.filter(status=Status.QUEUED).count() == 30

    barrier = threading.Barrier(2)
    results: list = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(outbox_sweep(batch_size=30))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.sent for r in results) == 30
    assert len(mail.outbox) == 30
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 30


def test_replies_are_kept_while_the_broker_is_down_and_the_sweep_sends_them(
    owner, case, settings, django_capture_on_commit_callbacks, caplog
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # production: the send goes through the broker
    with (
        mock.patch.object(Task, "apply_async", side_effect=REFUSED),
        mock.patch.object(Celery, "send_task", side_effect=REFUSED) as send_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = _reply(owner, case)

    assert send_task.call_args.args == ("correspondence.send_email",)
    assert send_task.call_args.kwargs["retry"] is False  # a broker that is down must not hold the request
    assert "Could not reach the Celery broker" in caplog.text
    email = OutboundEmail.objects.get(message=message)
    assert email.status == Status.QUEUED and mail.outbox == []

    result = outbox_sweep()  # the broker is back: beat runs the sweep

    assert result.sent == 1 and len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.status == Status.SENT


def test_an_email_claimed_by_a_killed_worker_is_taken_back_after_the_reclaim_delay(
    owner, case, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_RECLAIM_MINUTES = 15
    with django_capture_on_commit_callbacks(execute=False):
        email = OutboundEmail.objects.get(message=_reply(owner, case))
    claimed_at = timezone.now()
    OutboundEmail.objects.filter(pk=email.pk).update(status=Status.SENDING, claimed_at=claimed_at, attempts=1)

    assert outbox_sweep(now=claimed_at + timedelta(minutes=14)).sent == 0  # maybe still sending: leave it
    late = outbox_sweep(now=claimed_at + timedelta(minutes=16))

    assert (late.reclaimed, late.sent) == (1, 1)
    assert len(mail.outbox) == 1


def test_a_temporary_failure_is_retried_with_growing_delays_then_sent(
    owner, case, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=False):
        email = OutboundEmail.objects.get(message=_reply(owner, case))
    now = timezone.now()
    down = SMTPServerDisconnected("Connection unexpectedly closed")
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=down):
        first = outbox_send(email.pk, now=now)
        early = outbox_send(email.pk, now=now + timedelta(seconds=30))
        second = outbox_send(email.pk, now=first.retry_at)

    assert first.outcome == "retry" and first.retry_at == now + timedelta(minutes=1)
    assert early.outcome == "skipped"  # not due yet
    assert second.retry_at == first.retry_at + timedelta(minutes=4)
    email.refresh_from_db()
    assert email.status == Status.QUEUED and "Connection unexpectedly closed" in email.failure_reason

    assert outbox_send(email.pk, now=second.retry_at).outcome == "sent"
    assert len(mail.outbox) == 1


def test_the_last_failed_attempt_tells_the_owner_once(owner, case, settings, django_capture_on_commit_callbacks):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=False):
        email = OutboundEmail.objects.get(message=_reply(owner, case))
    now = timezone.now()
    down = SMTPServerDisconnected("Connection unexpectedly closed")
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=down):
        retry = outbox_send(email.pk, now=now)
        assert outbox_send(email.pk, now=retry.retry_at).outcome == "failed"

    email.refresh_from_db()
    assert email.status == Status.FAILED and email.failed_at is not None
    flag = Flag.objects.get(kind=Flag.Kind.UNDELIVERED_EMAIL, cleared_at__isnull=True)
    assert flag.case == case and flag.assignee == owner
    assert "Jeanne Martin did not get your e-mail" in flag.summary
    assert TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.EMAIL_UNDELIVERED).count() == 1


def test_an_address_the_server_refuses_fails_at_once_and_a_later_email_clears_the_flag(
    owner, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        email = OutboundEmail.objects.get(message=_reply(owner, case))
    refused = SMTPRecipientsRefused({case.customer.email: (550, b"5.1.1 User unknown")})
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=refused):
        assert outbox_send(email.pk).outcome == "failed"
    assert Flag.objects.filter(kind=Flag.Kind.UNDELIVERED_EMAIL, cleared_at__isnull=True).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        _reply(owner, case, body="Sending again to your corrected address.")

    assert Flag.objects.filter(kind=Flag.Kind.UNDELIVERED_EMAIL, cleared_at__isnull=True).count() == 0
    assert parseaddr(mail.outbox[-1].to[0])[1] == case.customer.email


def test_the_celery_tasks_send_and_sweep(owner, case, django_capture_on_commit_callbacks):
    from correspondence import tasks

    with django_capture_on_commit_callbacks(execute=False):
        first = OutboundEmail.objects.get(message=_reply(owner, case, body="One."))
        OutboundEmail.objects.get(message=_reply(owner, case, body="Two."))

    assert tasks.send_email.apply(args=[first.pk]).get() == "sent"
    assert tasks.send_email.apply(args=[first.pk]).get() == "skipped"  # a redelivered task sends nothing
    assert tasks.send_waiting_email.apply().get() == {"reclaimed": 0, "sent": 1, "retried": 0, "failed": 0}
    assert len(mail.outbox) == 2
