"""The conversation with the customer: unanswered messages and silent cases.

Unanswered: Case.reply_due_at is set by the message services when the oldest unanswered
customer message arrives (per priority, tighter for vulnerable customers, counted in working
time by cases/deadlines.py) and emptied by a
reply or a call that reached the customer, which also clears the flag. No case status
pauses it: waiting on the customer does not answer a message the customer is waiting on.

Silent: an open case with no outbound contact (reply or call that reached the customer)
for SILENT_CASE_DAYS working days of the owner's department (round the clock for vulnerable
customers and urgent cases), counted from the last contact or, if none, from the opening.
Contact clears the flag.
"""

from datetime import datetime

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases import deadlines
from cases.models import REPLY_UNFLAGGED, SILENT_NEVER_CONTACTED, SILENT_SINCE_CONTACT, Case, Flag
from cases.services.flags import FlagToRaise, flag_raise, flags_raise_many
from cases.services.timeline import RECENT_FORMAT, Sentence, moment
from cases.watchers.base import ScanResult, claim_rows, scan_due

# The customer too: whether they are vulnerable chooses the calendar of the flag's escalation.
_LADDER = ("customer", "owner__staff_profile__manager", "owner__staff_profile__department__head")


# --- unanswered customer messages ----------------------------------------------------------


def unanswered_cases(now: datetime) -> QuerySet[Case]:
    """Cases whose reply deadline passed and was not flagged yet (index case_reply_due_unflagged)."""
    return Case.objects.filter(REPLY_UNFLAGGED, reply_due_at__lte=now).select_related(*_LADDER).order_by("reply_due_at")


def _flag_unanswered(case: Case, now: datetime, result: ScanResult) -> bool:
    due = case.reply_due_at
    claimed = Case.objects.filter(REPLY_UNFLAGGED, pk=case.pk, reply_due_at=due).update(reply_flagged_due_at=due)
    if not claimed:
        return False
    flag = flag_raise(
        kind=Flag.Kind.UNANSWERED_MESSAGE, subject_key=f"case:{case.pk}", case=case, summary=_unanswered(case), now=now
    )
    result.raised += flag is not None
    return True


def _unanswered(case: Case) -> Sentence:
    due = case.reply_due_at
    assert due is not None, "REPLY_UNFLAGGED selects only cases with a reply due"
    return Sentence(
        gettext_noop("%(case)s: the customer has waited since %(since)s for a reply (due %(due)s)"),
        {
            "case": case.reference,
            "since": moment(case.awaiting_reply_since or due, RECENT_FORMAT),
            "due": moment(due, RECENT_FORMAT),
        },
    )


def _flag_unanswered_set(cases: list[Case], now: datetime, result: ScanResult) -> set[int]:
    claimed = claim_rows(Case.objects.filter(REPLY_UNFLAGGED), cases, reply_flagged_due_at=F("reply_due_at"))
    items = [FlagToRaise(Flag.Kind.UNANSWERED_MESSAGE, f"case:{c.pk}", _unanswered(c), c) for c in claimed]
    result.raised += len(flags_raise_many(items=items, now=now))
    return {c.pk for c in cases} - {c.pk for c in claimed}


def watch_unanswered_messages(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    now = now or timezone.now()
    return scan_due(
        result=ScanResult("unanswered_messages"),
        due=lambda: unanswered_cases(now),
        handle=_flag_unanswered,
        handle_set=_flag_unanswered_set,
        now=now,
        size=batch_size,
    )


# --- silent cases ------------------------------------------------------------------------------


def silent_cases_never_contacted(now: datetime) -> QuerySet[Case]:
    """Open cases nobody has contacted the customer about since opening (case_silent_never_contacted)."""
    return (
        Case.objects.filter(SILENT_NEVER_CONTACTED, deadlines.silence_over("created_at", now))
        .select_related(*_LADDER)
        .order_by("created_at")
    )


def silent_cases_since_contact(now: datetime) -> QuerySet[Case]:
    """Open cases whose last contact is too old and not flagged yet (case_silent_since_contact)."""
    return (
        Case.objects.filter(SILENT_SINCE_CONTACT, deadlines.silence_over("last_outbound_at", now))
        .select_related(*_LADDER)
        .order_by("last_outbound_at")
    )


def _flag_silent(case: Case, now: datetime, result: ScanResult) -> bool:
    still_silent = SILENT_SINCE_CONTACT if case.last_outbound_at else SILENT_NEVER_CONTACTED
    claimed = Case.objects.filter(still_silent, pk=case.pk, last_outbound_at=case.last_outbound_at).update(
        silent_flagged_at=now
    )
    if not claimed:
        return False
    flag = flag_raise(
        kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", case=case, summary=_silent(case), now=now
    )
    result.raised += flag is not None
    return True


def _silent(case: Case) -> Sentence:
    since = case.last_outbound_at or case.created_at
    said = (
        gettext_noop("%(case)s: nobody has contacted the customer since the last contact (%(since)s)")
        if case.last_outbound_at
        else gettext_noop("%(case)s: nobody has contacted the customer since the case was opened (%(since)s)")
    )
    return Sentence(said, {"case": case.reference, "since": moment(since, RECENT_FORMAT)})


def _flag_silent_set(cases: list[Case], now: datetime, result: ScanResult) -> set[int]:
    contacted = [c for c in cases if c.last_outbound_at]
    claimed = claim_rows(Case.objects.filter(SILENT_SINCE_CONTACT), contacted, silent_flagged_at=now) + claim_rows(
        Case.objects.filter(SILENT_NEVER_CONTACTED), [c for c in cases if not c.last_outbound_at], silent_flagged_at=now
    )
    items = [FlagToRaise(Flag.Kind.SILENT_CASE, f"case:{c.pk}", _silent(c), c) for c in claimed]
    result.raised += len(flags_raise_many(items=items, now=now))
    return {c.pk for c in cases} - {c.pk for c in claimed}


def watch_silent_cases(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    now = now or timezone.now()
    result = ScanResult("silent_cases")
    scan_due(
        result=result,
        due=lambda: silent_cases_never_contacted(now),
        handle=_flag_silent,
        handle_set=_flag_silent_set,
        now=now,
        size=batch_size,
    )
    return scan_due(
        result=result,
        due=lambda: silent_cases_since_contact(now),
        handle=_flag_silent,
        handle_set=_flag_silent_set,
        now=now,
        size=batch_size,
    )
