"""Four queues: every task has its route, its time limits, and late acknowledgement only where a
redelivered message cannot do anything twice; beat's periodic tasks land where their task routes."""

import re
import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from correspondence.services.outbox import MAX_RETRY_DELAY
from portal.celery import app

ROOT = Path(settings.BASE_DIR)
QUEUES = {"default", "watchers", "outbound", "slow"}

# Task name → (queue, acknowledged late). A new task must be added here, with its reasons.
EXPECTED = {
    "cases.run_watcher": ("watchers", True),
    "cases.send_flag_notifications": ("outbound", False),  # e-mail is not idempotent
    "correspondence.send_email": ("outbound", False),  # an e-mail handed over cannot be taken back
    "correspondence.outbox_sweep": ("outbound", True),
    "cases.apply_retention": ("slow", True),
    "correspondence.poll_mailbox": ("slow", False),
    "webhooks.deliver_due": ("outbound", False),  # a post cannot be taken back; receivers dedupe by id
    "cases.tell_alert": ("slow", True),  # tells only those not yet told: a redelivery tells nobody twice
    "cases.tell_pending_alerts": ("slow", True),  # the same, for tellings whose task was lost
}


def project_tasks() -> dict:
    app.loader.import_default_modules()  # a test process has not necessarily imported every tasks module
    # celery.* are Celery's own; tests.* are probes some test modules register.
    return {name: task for name, task in app.tasks.items() if not name.startswith(("celery.", "tests."))}


def queue_of(task_name: str, options: dict | None = None) -> str:
    return app.amqp.router.route(dict(options or {}), task_name)["queue"].name


def test_every_registered_task_is_expected_here():
    assert set(project_tasks()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_task_is_routed_to_its_queue(name):
    assert queue_of(name) == EXPECTED[name][0]
    assert settings.CELERY_TASK_ROUTES[name] == {"queue": EXPECTED[name][0]}


def test_only_the_four_queues_exist_and_unrouted_work_goes_to_default():
    assert settings.CELERY_TASK_DEFAULT_QUEUE == "default"
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {"default"} == QUEUES
    assert queue_of("some.task_nobody_routed") == "default"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_task_has_a_soft_limit_below_its_hard_limit(name):
    task = project_tasks()[name]
    assert task.soft_time_limit and task.time_limit
    assert task.soft_time_limit < task.time_limit


def test_time_limits_per_queue():
    tasks = project_tasks()
    assert (tasks["cases.run_watcher"].soft_time_limit, tasks["cases.run_watcher"].time_limit) == (240, 300)
    for name in ("cases.send_flag_notifications", "correspondence.send_email", "correspondence.outbox_sweep"):
        assert (tasks[name].soft_time_limit, tasks[name].time_limit) == (60, 90)
    assert tasks["cases.apply_retention"].time_limit > tasks["cases.run_watcher"].time_limit


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_late_acknowledgement_only_for_idempotent_tasks(name):
    task = project_tasks()[name]
    assert bool(task.acks_late) is EXPECTED[name][1]
    if task.acks_late:
        assert task.reject_on_worker_lost  # a lost worker's message goes back to the queue


def test_beats_periodic_tasks_name_no_queue_and_route_by_task_name(beat_schedule):
    periodic = list(PeriodicTask.objects.filter(enabled=True))
    assert {p.task for p in periodic} >= {"cases.run_watcher", "correspondence.outbox_sweep", "cases.apply_retention"}
    for row in periodic:
        entry = ModelEntry(row, app=app)
        assert "queue" not in entry.options, row.name  # a queue set in the admin site would override the route
        assert queue_of(entry.task, entry.options) == EXPECTED[entry.task][0], row.name


def test_bin_start_runs_one_worker_on_every_queue():
    start = (ROOT / "bin/start").read_text()
    queues = re.search(r"celery -A portal worker [^\n]*-Q (\S+)", start)
    assert queues is not None
    assert set(queues.group(1).split(",")) == QUEUES


def settings_with(monkeypatch, **environ: str) -> dict:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "portal/settings.py"))


def test_on_redis_a_delayed_message_is_not_redelivered_before_it_is_due(monkeypatch):
    loaded = settings_with(monkeypatch, CELERY_BROKER_URL="redis://redis.invalid:6379/0")
    timeout = loaded["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
    # The longest delays a task is queued with: an e-mail's retry, and the digest's countdown.
    assert timeout > MAX_RETRY_DELAY.total_seconds()
    assert timeout > loaded["NOTIFICATION_DIGEST_DELAY_SECONDS"]


def test_the_embedded_broker_keeps_its_folders_and_no_visibility_timeout(monkeypatch):
    loaded = settings_with(monkeypatch, CELERY_BROKER_URL="filesystem://localhost/")
    options = loaded["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert "visibility_timeout" not in options
    assert options["data_folder_in"]
