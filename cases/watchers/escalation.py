"""The escalation ladder: an open flag nobody acknowledged goes up one level when its
escalate_at passes — 1 the owner, 2 the owner's manager, 3 the head of department — after
the delays in FLAG_ESCALATION_MINUTES, counted in working time (cases/deadlines.py).
flag_escalate moves it with a conditional update, so two workers cannot move it twice, and
notifies the person at the new level."""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from cases.models import Flag
from cases.services.flags import flag_escalate, flags_escalate_many
from cases.watchers.base import ScanResult, scan_due


def flags_due_for_escalation(now: datetime) -> QuerySet[Flag]:
    """Unacknowledged open flags past their escalate_at (index flag_escalation_due)."""
    return (
        Flag.objects.filter(cleared_at__isnull=True, acknowledged_at__isnull=True, escalate_at__lte=now)
        .select_related(
            "case__customer",  # a vulnerable customer's flags climb round the clock (cases/deadlines.py)
            "case__owner__staff_profile__manager",
            "case__owner__staff_profile__department__head",
        )
        .order_by("escalate_at")
    )


def _escalate(flag: Flag, now: datetime, result: ScanResult) -> bool:
    if not flag_escalate(flag=flag, now=now):
        return False
    result.acted += 1
    return True


def _escalate_set(flags: list[Flag], now: datetime, result: ScanResult) -> set[int]:
    moved = flags_escalate_many(flags=flags, now=now)
    result.acted += len(moved)
    return {flag.pk for flag in flags} - {flag.pk for flag in moved}


def watch_escalations(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    now = now or timezone.now()
    return scan_due(
        result=ScanResult("escalations"),
        due=lambda: flags_due_for_escalation(now),
        handle=_escalate,
        handle_set=_escalate_set,
        now=now,
        size=batch_size,
    )
