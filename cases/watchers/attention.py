"""The clock's part of the worklist's attention order: a case whose earliest open promise falls
due while nobody touches it moves up the owner's worklist within a minute.

Every other change to the attention is counted by the service that makes it
(cases.services.attention); this watcher reads only the cases whose earliest open promise is
past due and not yet counted (index case_attention_due), so a run with nothing due costs one
index probe. Counting again takes a case out of that set, so two runs do nothing twice.
"""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from cases.models import ATTENTION_DUE_UNCOUNTED, Case
from cases.services.attention import refresh_attention
from cases.watchers.base import ScanResult, scan_due


def attention_due(now: datetime) -> QuerySet[Case]:
    """Cases whose earliest open promise fell due since their attention was last counted."""
    return Case.objects.filter(ATTENTION_DUE_UNCOUNTED, promise_due_at__lt=now).order_by("promise_due_at").only("pk")


def _count_again(case: Case, now: datetime, result: ScanResult) -> bool:
    result.acted += refresh_attention([case.pk], now=now)
    return True


def _count_again_set(cases: list[Case], now: datetime, result: ScanResult) -> set[int]:
    result.acted += refresh_attention([case.pk for case in cases], now=now)
    return set()


def watch_attention_due(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    now = now or timezone.now()
    return scan_due(
        result=ScanResult("attention_due"),
        due=lambda: attention_due(now),
        handle=_count_again,
        handle_set=_count_again_set,
        now=now,
        size=batch_size,
    )
