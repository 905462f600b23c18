"""The Celery side: thin tasks, safe acknowledgement settings, and beat's schedule in the database."""

import json

import pytest
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from cases import tasks
from cases.watchers import WATCHERS, run_watcher
from portal.celery import app


def test_every_watcher_and_the_digest_are_scheduled_every_minute_in_the_database(beat_schedule):
    scheduled = {json.loads(t.args)[0]: t for t in PeriodicTask.objects.filter(task="cases.run_watcher")}
    assert set(scheduled) == set(WATCHERS)
    digest = PeriodicTask.objects.get(task="cases.send_flag_notifications")
    for task in [*scheduled.values(), digest]:
        assert task.enabled
        assert (task.interval.every, task.interval.period) == (1, IntervalSchedule.MINUTES)
        assert task.expire_seconds  # a tick queued while no worker listened is dropped, not piled up
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"


def test_scheduled_task_names_are_registered_with_the_celery_app():
    assert {"cases.run_watcher", "cases.send_flag_notifications"} <= set(app.tasks)


def test_only_idempotent_tasks_acknowledge_late():
    assert tasks.run_watcher.acks_late is True
    assert tasks.send_flag_notifications.acks_late is False  # e-mail is not idempotent
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True


def test_the_task_returns_what_the_watcher_did(db):
    outcome = tasks.run_watcher.apply(args=["stale_promises"]).get()
    assert outcome == {"watcher": "stale_promises", "examined": 0, "raised": 0, "acted": 0, "failed": 0, "batches": 0}


def test_an_unknown_watcher_name_is_refused_clearly(db):
    with pytest.raises(ValueError, match="No watcher called 'stale'"):
        run_watcher("stale")
