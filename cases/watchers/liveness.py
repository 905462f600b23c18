"""Whether the watchers are running: each run that finishes records the moment, and a watcher
that has not finished one for WATCHER_STALE_MINUTES is stale. Beat runs every watcher every
minute, so a stale one means the worker or beat is down (or stuck), and flags come late.

Managers see a banner on the staff pages; /health/watchers/ tells a monitor (portal/health.py).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from cases.models import WatcherHeartbeat


def record_completed_run(name: str, *, now: datetime | None = None) -> None:
    """One upsert: two workers finishing the same watcher at once both succeed."""
    WatcherHeartbeat.objects.bulk_create(
        [WatcherHeartbeat(name=name, last_completed_at=now or timezone.now())],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["last_completed_at"],
    )


@dataclass(frozen=True)
class Liveness:
    """Every known watcher's last completed run (None: never) against the staleness limit."""

    last_completed: dict[str, datetime | None]
    stale_before: datetime

    @property
    def stale(self) -> list[str]:
        return [name for name, last in self.last_completed.items() if last is None or last < self.stale_before]

    @property
    def is_stale(self) -> bool:
        return bool(self.stale)

    @property
    def ever_ran(self) -> bool:
        return any(last is not None for last in self.last_completed.values())

    @property
    def stale_since(self) -> datetime | None:
        """The oldest last run among the stale watchers that ran at all."""
        runs = [last for name in self.stale if (last := self.last_completed[name]) is not None]
        return min(runs, default=None)


def watcher_liveness(*, now: datetime | None = None) -> Liveness:
    """One query over the heartbeats of the watchers beat is meant to run."""
    from cases.watchers import WATCHERS  # the registry imports every watcher module, this one too

    now = now or timezone.now()
    recorded = dict(WatcherHeartbeat.objects.filter(name__in=WATCHERS).values_list("name", "last_completed_at"))
    return Liveness(
        last_completed={name: recorded.get(name) for name in WATCHERS},
        stale_before=now - timedelta(minutes=settings.WATCHER_STALE_MINUTES),
    )
