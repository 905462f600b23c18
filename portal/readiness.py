"""What /health/ready/ checks before a load balancer or a deploy sends this process traffic.

Each check is a django-health-check `HealthCheck`: the package's own database (SELECT 1) and
storage (write, read, delete a tiny file through the default storage) checks, and ours for the
cache, the Celery broker and the watchers. They run one after another in the request's thread,
so they use the request's database connection and never leave one open in another thread;
each bounds its own wait (short socket timeouts, one connection attempt).

Only "ok" or "failing" leaves this module: what went wrong (a host name, a driver's message)
goes to the log, never into the answer.
"""

import dataclasses
import logging
import uuid

from django.core.cache import cache
from health_check.base import HealthCheck
from health_check.checks import Database, Storage
from health_check.exceptions import HealthCheckException, ServiceUnavailable

from cases.watchers.liveness import watcher_liveness

logger = logging.getLogger(__name__)

# Seconds a broker or cache server may take to answer before the check says failing.
CONNECT_TIMEOUT_SECONDS = 2


@dataclasses.dataclass
class CacheRoundTrip(HealthCheck):
    """Set, read back and delete a key of its own (the package's check is async only)."""

    def run(self) -> None:
        key = f"health-check:{uuid.uuid4().hex}"
        cache.set(key, "ok", timeout=10)
        try:
            if cache.get(key) != "ok":
                raise ServiceUnavailable("cache did not return the value just set")
        finally:
            cache.delete(key)


@dataclasses.dataclass
class BrokerConnection(HealthCheck):
    """One connection attempt to the Celery broker, not a task round trip: whether a worker is
    up is the watchers' check. The embedded file-system broker passes when its folders exist."""

    def run(self) -> None:
        from portal.celery import app

        options = {
            **(app.conf.broker_transport_options or {}),
            # Redis transport; other transports ignore them.
            "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "socket_timeout": CONNECT_TIMEOUT_SECONDS,
        }
        with app.connection_for_write(connect_timeout=CONNECT_TIMEOUT_SECONDS, transport_options=options) as conn:
            conn.ensure_connection(max_retries=0, timeout=CONNECT_TIMEOUT_SECONDS)


@dataclasses.dataclass
class WatcherFreshness(HealthCheck):
    """Every watcher finished a run within WATCHER_STALE_MINUTES (one indexed query)."""

    def run(self) -> None:
        if watcher_liveness().is_stale:
            raise ServiceUnavailable("a watcher has not finished a run lately")


def readiness_checks() -> dict[str, HealthCheck]:
    return {
        "database": Database(),
        "cache": CacheRoundTrip(),
        "broker": BrokerConnection(),
        "storage": Storage(),
        "watchers": WatcherFreshness(),
    }


def run_checks() -> dict[str, bool]:
    """Each check's name and whether it passed; a check that raises anything has failed."""
    results = {}
    for name, check in readiness_checks().items():
        try:
            check.run()
        except HealthCheckException as failed:
            logger.warning("Readiness check %s failed: %s", name, failed)
            results[name] = False
        except Exception:
            logger.warning("Readiness check %s failed", name, exc_info=True)
            results[name] = False
        else:
            results[name] = True
    return results
