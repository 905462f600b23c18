"""The watchers (DESIGN.md section 5): plain functions that read the database and raise,
escalate and clear flags. Celery tasks in cases/tasks.py only call them; tests and the
benchmark call them directly, with an explicit `now`.

Every watcher takes keyword-only `now` and `batch_size`, reads only rows that became due
(through partial indexes or a cursor), and is safe to run twice or on two workers at once.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from cases.watchers.attention import watch_attention_due
from cases.watchers.base import ScanResult
from cases.watchers.claims import watch_stalled_claims
from cases.watchers.conversation import watch_silent_cases, watch_unanswered_messages
from cases.watchers.emerging import watch_emerging_incidents
from cases.watchers.escalation import watch_escalations
from cases.watchers.handoffs import watch_unacknowledged_handoffs
from cases.watchers.jobs import watch_incidents, watch_job_cancellations
from cases.watchers.promises import watch_stale_promises
from cases.watchers.resolution import watch_unconfirmed_resolutions

Watcher = Callable[..., ScanResult]

run_log = logging.getLogger("steward.watchers")

# Name → watcher; the names are what the periodic tasks pass to cases.run_watcher.
# Escalation runs last so that a run raises before it escalates.
WATCHERS: dict[str, Watcher] = {
    "stale_promises": watch_stale_promises,
    "unanswered_messages": watch_unanswered_messages,
    "silent_cases": watch_silent_cases,
    "job_cancellations": watch_job_cancellations,
    "incidents": watch_incidents,
    "stalled_claims": watch_stalled_claims,
    "unconfirmed_resolutions": watch_unconfirmed_resolutions,
    "emerging_incidents": watch_emerging_incidents,
    "unacknowledged_handoffs": watch_unacknowledged_handoffs,
    "escalations": watch_escalations,
    # After the watchers that raise and escalate: those count the cases they flag themselves.
    "attention_due": watch_attention_due,
}


def run_watcher(name: str, *, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    try:
        watcher = WATCHERS[name]
    except KeyError:
        raise ValueError(f"No watcher called {name!r}; known: {', '.join(WATCHERS)}") from None
    started = time.monotonic()
    result = watcher(now=now, batch_size=batch_size)
    _log_run(result, duration_ms=round((time.monotonic() - started) * 1000))
    return result


def _log_run(result: ScanResult, *, duration_ms: int) -> None:
    """One line per run, its numbers as fields of the JSON log (LOG_FORMAT=json) for dashboards."""
    fields = {**result.as_dict(), "out_of_time": result.out_of_time, "duration_ms": duration_ms}
    run_log.info(
        "Watcher %(watcher)s: examined %(examined)s, raised %(raised)s, acted %(acted)s, failed %(failed)s, "
        "%(batches)s batches in %(duration_ms)s ms",
        fields,
        extra=fields,
    )


def run_all(*, now: datetime | None = None) -> list[ScanResult]:
    """Every watcher once, in order (the demo, tests and the benchmark use it)."""
    now = now or timezone.now()
    return [watcher(now=now) for watcher in WATCHERS.values()]


__all__ = [
    "WATCHERS",
    "ScanResult",
    "run_all",
    "run_watcher",
    "watch_attention_due",
    "watch_emerging_incidents",
    "watch_escalations",
    "watch_incidents",
    "watch_job_cancellations",
    "watch_silent_cases",
    "watch_stale_promises",
    "watch_stalled_claims",
    "watch_unacknowledged_handoffs",
    "watch_unanswered_messages",
    "watch_unconfirmed_resolutions",
]
