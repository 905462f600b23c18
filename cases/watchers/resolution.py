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
from cases.services.lifecycle import (
    case_close,
    case_send_confirmation_reminder,
    confirmation_reminders_prepare,
    confirmation_reminders_send,
)
from cases.services.timeline import SHORT_DATE_FORMAT, Sentence, moment
from cases.watchers.base import ScanResult, SetHandler, scan_due

# The reminders are rendered before the transaction, which only inserts them. A closing is
# still one case at a time (case_close writes the survey to its customer, tens of milliseconds
# each): few per transaction keeps SQLite's write lock short.
_REMINDERS_PER_TRANSACTION = 25
_CLOSINGS_PER_TRANSACTION = 5

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


def _prepare_reminders(cases: list[Case], now: datetime) -> SetHandler[Case]:
    """Render the batch's reminders before its transaction; the returned handler writes them,
    with their flags, for the cases still due."""
    reminders = confirmation_reminders_prepare(cases=cases, now=now)
    flags = {
        r.case.pk: FlagToRaise(Flag.Kind.UNCONFIRMED_RESOLUTION, f"case:{r.case.pk}", _unconfirmed(r.case), r.case)
        for r in reminders
    }

    def write(rows: list[Case], now: datetime, result: ScanResult) -> set[int]:
        held = {case.pk for case in rows}
        reminded = confirmation_reminders_send(prepared=[r for r in reminders if r.case.pk in held], now=now)
        result.acted += len(reminded)
        result.raised += len(flags_raise_many(items=[flags[case.pk] for case in reminded], now=now))
        return held - {case.pk for case in reminded}  # reminded by another worker a moment ago

    return write


def _close_set(cases: list[Case], now: datetime, result: ScanResult) -> set[int]:
    for case in cases:
        case_close(actor=None, case=case, now=now)
        result.acted += 1
    return set()


def watch_unconfirmed_resolutions(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    now = now or timezone.now()
    result = ScanResult("unconfirmed_resolutions")
    scan_due(
        result=result,
        due=lambda: resolutions_past_window(now).filter(confirmation_reminder_sent_at__isnull=True),
        handle=_follow_up,
        prepare=_prepare_reminders,
        write_size=_REMINDERS_PER_TRANSACTION,
        now=now,
        size=batch_size,
    )
    # After the reminders: a case reminded just now has a renewed window, and is not closed.
    return scan_due(
        result=result,
        due=lambda: resolutions_past_window(now).filter(confirmation_reminder_sent_at__isnull=False),
        handle=_follow_up,
        handle_set=_close_set,
        write_size=_CLOSINGS_PER_TRANSACTION,
        now=now,
        size=batch_size,
    )
