"""Broker down: customers and staff keep writing, nothing is lost, the watchers catch up.

Services never call a task; the digest and the e-mails are queued by task name after the
commit (portal.dispatch), which swallows broker errors. Here every way of reaching the broker fails."""

from datetime import timedelta
from unittest import mock

import pytest
from celery import Celery
from celery.app.task import Task
from django.core import mail
from kombu.exceptions import OperationalError

from cases.models import Flag, Message, Notification, Promise
from cases.notifications import notifications_send_digests
from cases.services import message_receive, promise_make
from cases.watchers import run_all
from contractors.models import Job
from contractors.services import job_cancel, job_schedule

REFUSED = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def broker_down(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # production: tasks go through the broker
    with (
        mock.patch.object(Task, "apply_async", side_effect=REFUSED),
        mock.patch.object(Celery, "send_task", side_effect=REFUSED) as send_task,
    ):
        yield send_task


def test_writes_succeed_while_the_broker_is_down_and_the_watchers_catch_up(
    case, customer, owner, manager, job, contractor_user, clock, broker_down, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        message = message_receive(case=case, actor=customer.user, body="The pipe is leaking again.")
        promise = promise_make(
            actor=owner, case=case, text="Plumber tomorrow 9:00", due_at=clock.now + timedelta(hours=20)
        )
        job_cancel(actor=contractor_user, job=job, reason=Job.CancellationReason.NO_ACCESS)
        start = clock.now + timedelta(days=1)
        job = job_schedule(
            actor=owner, job=Job.objects.get(pk=job.pk), window_start=start, window_end=start + timedelta(hours=2)
        )
        job_cancel(actor=contractor_user, job=job, reason=Job.CancellationReason.NO_SHOW)

    # The flag's digest and the e-mails were attempted by task name, refused, and logged.
    assert {c.args[0] for c in broker_down.call_args_list} == {
        "cases.send_flag_notifications",
        "correspondence.send_email",
    }
    assert "Could not reach the Celery broker" in caplog.text
    assert Message.objects.filter(pk=message.pk).exists() and Promise.objects.filter(pk=promise.pk).exists()
    assert Flag.objects.filter(kind=Flag.Kind.REPEATED_CANCELLATION, cleared_at__isnull=True).count() == 1

    # The broker comes back a day later: the first periodic runs raise what became due meanwhile.
    results = {r.watcher: r for r in run_all(now=clock.now + timedelta(days=1))}
    assert results["stale_promises"].raised == 1 and results["unanswered_messages"].raised == 1
    assert results["escalations"].acted == 1  # the cancellation flag, unacknowledged for a day
    assert notifications_send_digests() == 2
    to_owner = next(m for m in mail.outbox if m.to == [owner.email])
    assert to_owner.subject == "Steward: 3 flags need your attention"
    assert next(m for m in mail.outbox if m.to == [manager.email]).subject.endswith("Job cancelled again")
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
