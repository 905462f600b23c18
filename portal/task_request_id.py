"""The request id follows the work into Celery (portal.request_id).

Publishing a task puts the current id in the message's headers; the worker makes it current
while the task runs, so the task's log lines carry the id of the request that queued it. A task
queued outside any request (beat's periodic runs) uses its own task id. Connected in portal.celery.
"""

from typing import Any

from celery import Task

from portal.request_id import current_request_id, forget_request_id, use_request_id

HEADER = "request_id"

# The token of each running task, to give the id that was current before back at its end (a task
# run eagerly inside a request must leave the request's id in place).
_tokens: dict[str, Any] = {}


def put_request_id_in_headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """before_task_publish: the current id, if any, rides along in the message headers."""
    request_id = current_request_id()
    if headers is not None and request_id and not headers.get(HEADER):
        headers[HEADER] = request_id


def request_id_of(task: Task) -> str | None:
    """The id a task's message carried; Celery gives custom headers as attributes of the request."""
    request = task.request
    carried = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)
    return carried if isinstance(carried, str) else None


def restore_request_id(task_id: str | None = None, task: Task | None = None, **_: Any) -> None:
    """task_prerun: the carried id, else (eager run inside a request) the current one, else the task id."""
    request_id = (task and request_id_of(task)) or current_request_id() or task_id
    if task_id:
        _tokens[task_id] = use_request_id(request_id)


def clear_request_id(task_id: str | None = None, **_: Any) -> None:
    """task_postrun: back to whatever id was current before the task."""
    token = _tokens.pop(task_id, None) if task_id else None
    if token is None:
        return
    try:
        forget_request_id(token)
    except ValueError:
        use_request_id(None)  # set in another context (a pool's thread): nothing to give back
