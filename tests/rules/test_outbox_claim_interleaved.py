"""Rule: an e-mail is sent by the one worker that claimed it. outbox_send claims with a conditional
update (queued → sending) and finishes only its own claim (same claimed_at), so a second worker,
or a sweep that took the e-mail back from a worker it believed killed, never sends it twice or
puts a sent e-mail back in the queue. One process, interleaved: runs on SQLite too
(tests/correspondence/test_outbox.py races two real workers on PostgreSQL)."""

from datetime import timedelta
from smtplib import SMTPServerDisconnected

from django.core import mail
from django.utils import timezone

from cases.services import message_reply
from correspondence.models import OutboundEmail
from correspondence.services.outbox import outbox_send, outbox_sweep

Status = OutboundEmail.Status


class SlowConnection:
    """A mail connection during whose send another worker gets to run `meanwhile`."""

    def __init__(self, meanwhile, *, fail: bool = False) -> None:
        self.meanwhile, self.fail, self.sent = meanwhile, fail, []

    def send_messages(self, messages: list) -> int:
        self.meanwhile()
        if self.fail:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        self.sent.extend(messages)
        return len(messages)


def _queued(owner, case, django_capture_on_commit_callbacks) -> OutboundEmail:
    with django_capture_on_commit_callbacks(execute=False):
        message = message_reply(actor=owner, case=case, body="The plumber comes on Monday at 9:00.")
    return OutboundEmail.objects.get(message=message)


def test_a_second_worker_skips_an_email_the_first_is_sending(owner, case, django_capture_on_commit_callbacks):
    email = _queued(owner, case, django_capture_on_commit_callbacks)
    now = timezone.now()
    second: list = []
    first = SlowConnection(lambda: second.append(outbox_send(email.pk, now=now)))

    assert outbox_send(email.pk, now=now, connection=first).outcome == "sent"

    assert [result.outcome for result in second] == ["skipped"]
    assert len(first.sent) == 1 and mail.outbox == []  # the second worker sent nothing
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 1)


def test_a_worker_taken_over_by_the_sweep_does_not_requeue_the_sent_email(
    owner, case, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_RECLAIM_MINUTES = 15
    email = _queued(owner, case, django_capture_on_commit_callbacks)
    claimed_at = timezone.now()
    # The first worker hangs so long the sweep believes it killed, sends the e-mail itself,
    # and then the first worker's connection drops.
    sweeps: list = []
    hanging = SlowConnection(lambda: sweeps.append(outbox_sweep(now=claimed_at + timedelta(minutes=16))), fail=True)

    outbox_send(email.pk, now=claimed_at, connection=hanging)

    assert [(sweep.reclaimed, sweep.sent) for sweep in sweeps] == [(1, 1)]
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.status == Status.SENT  # not queued again by the worker that lost its claim
    assert outbox_sweep(now=claimed_at + timedelta(days=1)).sent == 0
    assert len(mail.outbox) == 1
