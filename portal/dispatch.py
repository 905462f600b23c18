"""Queueing Celery work by task name, so the modules that write never import the tasks.

Tasks and watchers call the services; a service that wants work done later names the task
(`@shared_task(name=...)`) instead of importing it, which keeps the dependency one way
(tests/test_import_graph.py). This module imports nothing of the apps.

The broker being down must never fail or block the web request that wrote the rows: the
message is sent with `retry=False` (kombu would otherwise retry the connection for a long while)
and a refusal is logged; every such task has a periodic run that picks up what is waiting.
"""

import logging
from collections.abc import Sequence
from typing import Any

from celery import Task
from django.db import transaction

from portal.celery import app

logger = logging.getLogger(__name__)


def tasks_run_in_process() -> bool:
    """True when there is no broker to go through (tests, set-ups run with CELERY_TASK_ALWAYS_EAGER)."""
    return bool(app.conf.task_always_eager)


def _registered(task_name: str) -> Task:
    if task_name not in app.tasks:
        # A web process has not imported the tasks modules (only a worker does, at start-up).
        app.loader.import_default_modules()
    return app.tasks[task_name]


def queue_now(
    task_name: str, *, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None, countdown: float | None = None
) -> None:
    """Send the task to the broker now. Raises when the broker cannot be reached.

    `send_task` does not honour CELERY_TASK_ALWAYS_EAGER, so in-process mode runs the registered
    task here, as `apply_async` would (at once, whatever the countdown), and raises its error."""
    if tasks_run_in_process():
        _registered(task_name).apply(args=args, kwargs=kwargs, throw=True)
        return
    app.send_task(task_name, args=args, kwargs=kwargs, countdown=countdown, retry=False)


def queue_or_log(
    task_name: str, *, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None, countdown: float | None = None
) -> bool:
    """Send the task now; never raises. Returns whether it was sent (or, in process, ran)."""
    try:
        queue_now(task_name, args=args, kwargs=kwargs, countdown=countdown)
    except Exception:
        if tasks_run_in_process():
            logger.exception("Task %s failed in process; its periodic run will retry the work.", task_name)
        else:
            logger.warning(
                "Could not reach the Celery broker to queue %s %s; its periodic run will do the work.",
                task_name,
                list(args),
                exc_info=True,
            )
        return False
    return True


def queue_after_commit(
    task_name: str, *, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None, countdown: float | None = None
) -> None:
    """Ask a worker to run the task once the current transaction has committed (at once outside
    one), so it never sees rows that are not there yet. Never raises; see queue_or_log."""
    args = tuple(args)
    kwargs = dict(kwargs or {})
    transaction.on_commit(
        lambda: queue_or_log(task_name, args=args, kwargs=kwargs, countdown=countdown),
        robust=True,
    )
