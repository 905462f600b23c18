"""One id per request, in every log line it causes, on the web side and in the tasks it queues.

The id comes from the X-Request-ID header when a proxy or load balancer set a sane one (so that
its logs and ours meet), or is made here; it goes back in the response's X-Request-ID header. It
lives in a context variable, which the logging filter reads, and travels to Celery in the task
message's headers (portal.task_request_id).
"""

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # this module loads with portal.celery, before Django is set up
    from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Anything else (too long, spaces, quotes, control characters) could forge or break log lines.
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_or_new(given: str | None) -> str:
    """The given id when it is sane, else a new one."""
    if given and _SANE.fullmatch(given):
        return given
    return new_request_id()


def current_request_id() -> str | None:
    return _current.get()


def use_request_id(request_id: str | None) -> Token[str | None]:
    """Make `request_id` the current one; give the token back to `forget_request_id`."""
    return _current.set(request_id)


def forget_request_id(token: Token[str | None]) -> None:
    _current.reset(token)


class RequestIdMiddleware:
    """First in MIDDLEWARE, so that every log line of the request, redirects included, has the id."""

    def __init__(self, get_response: "Callable[[HttpRequest], HttpResponse]") -> None:
        self.get_response = get_response

    def __call__(self, request: "HttpRequest") -> "HttpResponse":
        request_id = sane_or_new(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = use_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            forget_request_id(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` ("-" outside a request or task), for the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True
