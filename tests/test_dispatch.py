"""portal.dispatch: work queued by task name, after the commit, never failing the request."""

from unittest import mock

import pytest
from celery import Celery
from kombu.exceptions import OperationalError

from cases.notifications import DIGEST_TASK
from correspondence.services.outbox import SEND_TASK
from portal import dispatch
from portal.celery import app

pytestmark = pytest.mark.django_db

REFUSED = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
ran: list[tuple] = []


@app.task(name="tests.dispatch_probe")
def dispatch_probe(*args, fail: bool = False) -> str:
    if fail:
        raise RuntimeError("the probe failed")
    ran.append(args)
    return "done"


@pytest.fixture(autouse=True)
def _fresh_probe():
    ran.clear()
    yield
    ran.clear()


@pytest.fixture
def broker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # production: through the broker
    with mock.patch.object(Celery, "send_task") as send_task:
        yield send_task


@pytest.mark.parametrize("name", [DIGEST_TASK, SEND_TASK])
def test_the_names_the_services_queue_are_registered_tasks(name: str) -> None:
    """A renamed task must not leave a service queueing a name no worker knows."""
    app.loader.import_default_modules()

    assert name in app.tasks


def test_queued_after_the_commit_by_name_without_retrying_the_broker(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        dispatch.queue_after_commit("correspondence.send_email", args=[7], countdown=30)
        assert not broker.called  # nothing leaves inside the transaction

    assert len(callbacks) == 1
    broker.assert_called_once_with("correspondence.send_email", args=(7,), kwargs={}, countdown=30, retry=False)


def test_nothing_is_queued_for_a_transaction_that_rolled_back(broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dispatch.queue_after_commit("correspondence.send_email", args=[7])

    assert len(callbacks) == 1 and not broker.called


def test_a_broker_that_is_down_is_logged_and_the_request_goes_on(broker, django_capture_on_commit_callbacks, caplog):
    broker.side_effect = REFUSED

    with django_capture_on_commit_callbacks(execute=True):
        dispatch.queue_after_commit("correspondence.send_email", args=[7])

    assert broker.called
    assert "Could not reach the Celery broker to queue correspondence.send_email [7]" in caplog.text
    assert dispatch.queue_or_log("correspondence.send_email", args=[7]) is False
    with pytest.raises(OperationalError):
        dispatch.queue_now("correspondence.send_email", args=[7])


def test_in_process_the_registered_task_runs_at_once(settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with (
        mock.patch.object(Celery, "send_task") as send_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        dispatch.queue_after_commit("tests.dispatch_probe", args=["a", 1], countdown=60)

    assert ran == [("a", 1)]
    assert not send_task.called  # send_task ignores CELERY_TASK_ALWAYS_EAGER and would need a broker


def test_in_process_a_failing_task_is_logged_not_raised(settings, caplog):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    assert dispatch.queue_or_log("tests.dispatch_probe", kwargs={"fail": True}) is False
    assert "Task tests.dispatch_probe failed in process" in caplog.text
    with pytest.raises(RuntimeError, match="the probe failed"):
        dispatch.queue_now("tests.dispatch_probe", kwargs={"fail": True})
