"""Simulated outages shared by the tests of fail-safe behaviour (issue 15)."""

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from django.db import OperationalError, connections

# Django's Redis backend pointed at a port nobody listens on: the errors a stopped Redis gives,
# raised by the real client. One refused connection is enough to know (no retries with back-off).
REDIS_STOPPED = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"retry": None, "socket_connect_timeout": 0.5},
    }
}


@contextmanager
def database_down() -> Iterator[None]:
    """Every query fails as it does when PostgreSQL is stopped (the test's transaction stays open
    underneath, so the rows written before are still there afterwards)."""
    refused = OperationalError('connection to server at "db" (10.0.0.5), port 5432 failed: Connection refused')
    with mock.patch.object(connections["default"], "cursor", side_effect=refused):
        yield
