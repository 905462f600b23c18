"""A request id from the X-Request-ID header (or a new one) is on the response, on every log
record of the request, and in the tasks the request runs or queues."""

import logging
import re

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from portal.celery import app
from portal.request_id import (
    RequestIdFilter,
    RequestIdMiddleware,
    current_request_id,
    forget_request_id,
    use_request_id,
)
from portal.task_request_id import clear_request_id, put_request_id_in_headers, restore_request_id

NEW_ID = re.compile(r"[0-9a-f]{32}")
logger = logging.getLogger("tests.ops_celery")


@app.task(name="tests.ops_celery.request_id_probe", bind=True)
def request_id_probe(self) -> str | None:
    logger.info("task ran")
    return current_request_id()


@pytest.fixture
def request_ids_in_caplog(caplog):
    """caplog's handler filtered like the console handler of LOGGING."""
    request_id_filter = RequestIdFilter()
    caplog.handler.addFilter(request_id_filter)
    caplog.set_level(logging.INFO)
    yield caplog
    caplog.handler.removeFilter(request_id_filter)


def test_the_console_handler_adds_the_request_id_and_the_middleware_comes_first():
    assert settings.MIDDLEWARE[0] == "portal.request_id.RequestIdMiddleware"
    assert "request_id" in settings.LOGGING["handlers"]["console"]["filters"]
    assert settings.LOGGING["filters"]["request_id"]["()"] == "portal.request_id.RequestIdFilter"


def test_a_sane_request_id_comes_back_in_the_response(client, db):
    response = client.get("/health/watchers/", headers={"X-Request-ID": "lb-1234.abc_DEF"})
    assert response["X-Request-ID"] == "lb-1234.abc_DEF"


@pytest.mark.parametrize(
    "given",
    ["x" * 65, "has space", 'quote"d', "semi;colon", "é", ""],
    ids=["too-long", "space", "quote", "semicolon", "non-ascii", "empty"],
)
def test_a_request_id_that_is_not_sane_is_replaced_by_a_new_one(client, db, given):
    response = client.get("/health/watchers/", headers={"X-Request-ID": given})
    assert NEW_ID.fullmatch(response["X-Request-ID"])


def test_without_a_header_each_request_gets_its_own_id(client, db):
    first = client.get("/health/watchers/")["X-Request-ID"]
    second = client.get("/health/watchers/")["X-Request-ID"]
    assert NEW_ID.fullmatch(first) and NEW_ID.fullmatch(second) and first != second


def test_64_characters_are_kept(client, db):
    given = "a" * 64
    assert client.get("/health/watchers/", headers={"X-Request-ID": given})["X-Request-ID"] == given


def run_through_middleware(view, request_id: str) -> HttpResponse:
    request = RequestFactory().get("/", headers={"X-Request-ID": request_id})
    return RequestIdMiddleware(view)(request)


def test_log_records_of_the_request_carry_its_id_and_none_after(request_ids_in_caplog):
    def view(request):
        logger.info("inside the view")
        return HttpResponse("ok")

    run_through_middleware(view, "req-42")
    logger.info("after the request")

    inside, after = request_ids_in_caplog.records[-2:]
    assert (inside.getMessage(), inside.request_id) == ("inside the view", "req-42")
    assert (after.getMessage(), after.request_id) == ("after the request", "-")
    assert current_request_id() is None


def test_the_id_survives_an_error_in_the_view_being_forgotten(request_ids_in_caplog):
    def view(request):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_through_middleware(view, "req-err")
    assert current_request_id() is None


def test_a_task_run_eagerly_inside_a_request_logs_with_the_requests_id(request_ids_in_caplog, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seen = {}

    def view(request):
        seen["in_task"] = request_id_probe.apply().get()
        seen["after_task"] = current_request_id()
        return HttpResponse("ok")

    run_through_middleware(view, "req-7")

    assert seen == {"in_task": "req-7", "after_task": "req-7"}
    task_record = next(r for r in request_ids_in_caplog.records if r.getMessage() == "task ran")
    assert task_record.request_id == "req-7"


def test_a_task_queued_outside_any_request_uses_its_own_task_id():
    result = request_id_probe.apply()
    assert result.get() == result.id
    assert current_request_id() is None


def test_the_id_rides_in_the_message_headers_and_is_restored_in_the_worker():
    # What the worker side sees: publishing in one context, running in another.
    token = use_request_id("req-99")
    headers: dict = {"id": "task-1", "task": "cases.run_watcher"}
    try:
        put_request_id_in_headers(sender="cases.run_watcher", headers=headers, body=())
    finally:
        forget_request_id(token)
    assert headers["request_id"] == "req-99"
    assert current_request_id() is None

    class Worker:  # a task whose request carries the message's custom header, as Celery gives it
        request = type("Request", (), {"request_id": headers["request_id"]})()

    restore_request_id(task_id="task-1", task=Worker())
    assert current_request_id() == "req-99"
    clear_request_id(task_id="task-1")
    assert current_request_id() is None


def test_publishing_outside_a_request_adds_nothing_and_the_task_falls_back_to_its_id():
    headers: dict = {"id": "task-2"}
    put_request_id_in_headers(sender="cases.run_watcher", headers=headers, body=())
    assert "request_id" not in headers

    class Worker:
        request = type("Request", (), {"headers": None})()

    restore_request_id(task_id="task-2", task=Worker())
    assert current_request_id() == "task-2"
    clear_request_id(task_id="task-2")
    assert current_request_id() is None


def test_a_header_given_to_apply_reaches_the_task():
    assert request_id_probe.apply(headers={"request_id": "from-header"}).get() == "from-header"
