"""At the soft time limit a batch job stops between batches: what was committed stays, the batch
under way rolls back, and the next run takes the rest. Nothing is filed as failed on the way."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from cases.models import Flag, Message, Promise
from cases.services import message_reply, promise_make
from cases.services import retention as retention_module
from cases.services.flags import flags_raise_many
from cases.watchers import ScanResult, watch_stale_promises
from cases.watchers.base import scan_due
from correspondence.models import OutboundEmail
from correspondence.services.outbox import SendResult, outbox_send, outbox_sweep

Status = OutboundEmail.Status


@pytest.fixture
def five_overdue(case, owner, settings):
    settings.WATCHER_BATCH_SIZE = 2
    due = timezone.now() + timedelta(hours=1)
    for n in range(5):
        promise_make(actor=owner, case=case, text=f"Call back {n}", due_at=due)
    return due + timedelta(minutes=1)


def test_a_watcher_stops_between_batches_and_the_next_run_takes_the_rest(five_overdue, caplog):
    calls = []

    def second_batch_times_out(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise SoftTimeLimitExceeded()
        return flags_raise_many(**kwargs)

    with mock.patch("cases.watchers.promises.flags_raise_many", side_effect=second_batch_times_out):
        result = watch_stale_promises(now=five_overdue)

    assert (result.batches, result.examined, result.raised, result.failed) == (1, 2, 2, 0)
    assert result.out_of_time is True
    assert "time limit reached" in caplog.text
    assert Flag.objects.count() == 2
    assert Promise.objects.filter(overdue_flagged_at__isnull=True).count() == 3  # the second batch rolled back

    rest = watch_stale_promises(now=five_overdue)
    assert (rest.raised, rest.failed, rest.out_of_time) == (3, 0, False)
    assert Flag.objects.count() == 5


def test_a_second_scan_of_a_run_that_ran_out_of_time_reads_nothing(db):
    result = ScanResult("silent_cases", out_of_time=True)
    due = mock.Mock()
    assert scan_due(result=result, due=due, handle=mock.Mock(), now=timezone.now()) is result
    due.assert_not_called()


def test_the_task_result_keeps_its_shape():
    assert ScanResult("x", out_of_time=True).as_dict() == {
        "watcher": "x",
        "examined": 0,
        "raised": 0,
        "acted": 0,
        "failed": 0,
        "batches": 0,
    }


def test_retention_stops_at_the_step_that_ran_out_of_time():
    with (
        mock.patch.object(retention_module, "drop_raw_inbound_emails", return_value=3),
        mock.patch.object(retention_module, "drop_outbox_bodies", side_effect=SoftTimeLimitExceeded()),
        mock.patch.object(retention_module, "erase_customers_of_closed_cases") as erase,
    ):
        outcome = retention_module.retention_apply()
    assert outcome == {"raw_emails": 3, "outbox_bodies": 0, "customers_erased": 0}
    erase.assert_not_called()


def queued_emails(owner, case, count: int) -> list[OutboundEmail]:
    emails = []
    with mock.patch("correspondence.services.outbox.queue_after_commit"):  # left queued for the sweep
        for n in range(count):
            message = message_reply(actor=owner, case=case, body=f"Answer {n}.", channel=Message.Channel.EMAIL)
            emails.append(OutboundEmail.objects.get(message=message))
    return emails


def test_an_email_caught_by_the_time_limit_stays_claimed_for_the_reclaim(owner, case):
    (email,) = queued_emails(owner, case, 1)
    connection = mock.Mock()
    connection.send_messages.side_effect = SoftTimeLimitExceeded()

    with pytest.raises(SoftTimeLimitExceeded):
        outbox_send(email.pk, connection=connection)

    email.refresh_from_db()
    # It may have reached the server: not retried at once, not failed; the sweep retakes it later.
    assert (email.status, email.failure_reason) == (Status.SENDING, "")


def test_the_outbox_sweep_stops_between_emails(owner, case, caplog):
    caplog.set_level(logging.WARNING)
    queued_emails(owner, case, 3)
    results = [SendResult("sent"), SoftTimeLimitExceeded()]

    with mock.patch("correspondence.services.outbox.outbox_send", side_effect=results) as send:
        swept = outbox_sweep()

    assert send.call_count == 2
    assert (swept.sent, swept.retried, swept.failed) == (1, 0, 0)
    assert "Outbox sweep: time limit reached" in caplog.text
