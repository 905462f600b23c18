"""Unconfirmed resolutions (invariant 3): a resolved case waits for the customer.

When the confirmation window passes, the customer is reminded (case_send_confirmation_reminder
renews the window) and the owner is flagged; when the renewed window passes with no answer,
the case closes (case_close), which clears the flag. Confirming or reopening clears it too.
"""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases.models import Case, Flag
from cases.services.flags import FlagToRaise, flag_raise, flags_raise_many
from cases.services.lifecycle import case_close, case_send_confirmation_reminder
from cases.services.timeline import SHORT_DATE_FORMAT, Sentence, moment
from cases.watchers.base import ScanResult, scan_due

# Each reminder is an e-mail or letter written for its customer (correspondence), tens of
# milliseconds each: few per transaction keeps SQLite's write lock short.
_REMINDERS_PER_TRANSACTION = 5

_LADDER = ("customer", "owner__staff_profile__manager", "owner__staff_profile__department__head")


def resolutions_past_window(now: datetime) -> QuerySet[Case]:
    """Resolved cases whose confirmation window is over (index case_confirmation_due)."""
    return (
        Case.objects.filter(status=Case.Status.RESOLVED, confirmation_due_at__lte=now)
        .select_related(*_LADDER)
        .order_by("confirmation_due_at")
    )


def _follow_up(case: Case, now: datetime, result: ScanResult) -> bool:
    if case.confirmation_reminder_sent_at is not None:
        case_close(actor=None, case=case, now=now)
        result.acted += 1
        return True
    if not case_send_confirmation_reminder(case=case, now=now):
        return False  # reminded by another worker a moment ago
    result.acted += 1
    flag = flag_raise(
        kind=Flag.Kind.UNCONFIRMED_RESOLUTION,
        subject_key=f"case:{case.pk}",
        case=case,
        summary=_unconfirmed(case),
        now=now,
    )
    result.raised += flag is not None
    return True


def _unconfirmed(case: Case) -> Sentence:
    assert case.confirmation_due_at is not None, "only resolved cases awaiting confirmation are followed up"
    return Sentence(
        gettext_noop(
            "%(case)s: the customer has not confirmed the resolution; reminder sent, "
            "the case closes on %(date)s without an answer"
        ),
        {"case": case.reference, "date": moment(case.confirmation_due_at, SHORT_DATE_FORMAT)},
    )


def _follow_up_set(cases: list[Case], now: datetime, result: ScanResult) -> set[int]:
    """Closing and reminding stay one case at a time (each writes to its customer); the flags of
    the reminded cases are raised together."""
    passed_over, reminded = set(), []
    for case in cases:
        if case.confirmation_reminder_sent_at is not None:
            case_close(actor=None, case=case, now=now)
            result.acted += 1
        elif case_send_confirmation_reminder(case=case, now=now):
            result.acted += 1
            reminded.append(case)
        else:
            passed_over.add(case.pk)  # reminded by another worker a moment ago
    items = [FlagToRaise(Flag.Kind.UNCONFIRMED_RESOLUTION, f"case:{c.pk}", _unconfirmed(c), c) for c in reminded]
    result.raised += len(flags_raise_many(items=items, now=now))
    return passed_over


def watch_unconfirmed_resolutions(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    now = now or timezone.now()
    return scan_due(
        result=ScanResult("unconfirmed_resolutions"),
        due=lambda: resolutions_past_window(now),
        handle=_follow_up,
        handle_set=_follow_up_set,
        write_size=_REMINDERS_PER_TRANSACTION,
        now=now,
        size=batch_size,
    )
