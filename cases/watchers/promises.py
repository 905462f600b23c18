"""Stale promises: an open promise past its due date flags the owner.

The due date is never moved, so a promise is flagged once; the flag clears when the promise
is kept, withdrawn, or marked broken by a person (services in cases/services/promises.py).
"""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases.models import PROMISE_OVERDUE_UNFLAGGED, Flag, Promise
from cases.services.flags import FlagToRaise, flag_raise, flags_raise_many
from cases.services.timeline import RECENT_FORMAT, Sentence, moment
from cases.watchers.base import ScanResult, claim_rows, scan_due

# What flag_raise needs to find the person at level 1, and the customer whose vulnerability
# chooses the calendar the flag escalates in (cases/deadlines.py), read with the batch: without
# it each flag costs one more query.
_LADDER = (
    "case__customer",
    "case__owner__staff_profile__manager",
    "case__owner__staff_profile__department__head",
)


def overdue_promises(now: datetime) -> QuerySet[Promise]:
    """Open promises past due that were never flagged (index promise_overdue_unflagged)."""
    return (
        Promise.objects.filter(PROMISE_OVERDUE_UNFLAGGED, due_at__lte=now).select_related(*_LADDER).order_by("due_at")
    )


def _summary(promise: Promise) -> Sentence:
    return Sentence(
        gettext_noop("%(case)s: promise by %(who)s was due %(due)s — “%(text)s”"),
        {
            "case": promise.case.reference,
            "who": promise.made_by_label,
            "due": moment(promise.due_at, RECENT_FORMAT),
            "text": promise.text,
        },
    )


def _flag_overdue(promise: Promise, now: datetime, result: ScanResult) -> bool:
    claimed = Promise.objects.filter(PROMISE_OVERDUE_UNFLAGGED, pk=promise.pk).update(overdue_flagged_at=now)
    if not claimed:
        return False
    flag = flag_raise(
        kind=Flag.Kind.STALE_PROMISE,
        subject_key=f"promise:{promise.pk}",
        case=promise.case,
        summary=_summary(promise),
        now=now,
    )
    result.raised += flag is not None
    return True


def _flag_overdue_set(promises: list[Promise], now: datetime, result: ScanResult) -> set[int]:
    claimed = claim_rows(Promise.objects.filter(PROMISE_OVERDUE_UNFLAGGED), promises, overdue_flagged_at=now)
    items = [FlagToRaise(Flag.Kind.STALE_PROMISE, f"promise:{p.pk}", _summary(p), p.case) for p in claimed]
    result.raised += len(flags_raise_many(items=items, now=now))
    return {p.pk for p in promises} - {p.pk for p in claimed}


def watch_stale_promises(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    now = now or timezone.now()
    return scan_due(
        result=ScanResult("stale_promises"),
        due=lambda: overdue_promises(now),
        handle=_flag_overdue,
        handle_set=_flag_overdue_set,
        now=now,
        size=batch_size,
    )
