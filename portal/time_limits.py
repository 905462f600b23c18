"""Celery's soft time limit, for the modules that stop cleanly between batches when it fires.

Celery raises SoftTimeLimitExceeded inside the running task at its soft_time_limit (the hard
limit kills the process a little later). The batch loops of the watchers, the outbox, the
mailbox and retention catch it between batches; the `except Exception` that keeps one bad row
from stopping a batch lets it through first. Imported from here, typed, because celery ships no
type information and those modules are checked strictly.
"""

from celery import exceptions

SoftTimeLimitExceeded: type[Exception] = exceptions.SoftTimeLimitExceeded

__all__ = ["SoftTimeLimitExceeded"]
