"""Unacknowledged handoffs: the receiver of a case has not confirmed reading the handoff summary
within HANDOFF_ACK_WORKING_HOURS of their department's working time.

case_handoff sets Handoff.acknowledge_due_at (cases/deadlines.py); the flag goes to the receiver,
who owns the case, and climbs the case's ladder as every flag does, so level 2 is the receiver's
manager. Acknowledging the handoff, handing the case on again or closing it clears the flag.
"""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases.models import HANDOFF_UNACKNOWLEDGED_UNFLAGGED, Case, Flag, Handoff
from cases.services.flags import FlagToRaise, flag_raise, flags_raise_many
from cases.services.handoff import handoff_subject
from cases.services.timeline import RECENT_FORMAT, Sentence, moment, person_name
from cases.watchers.base import ScanResult, claim_rows, scan_due

# What flag_raise needs for the receiver's ladder, and the customer whose vulnerability chooses
# the calendar the flag escalates in.
_LADDER = (
    "to_user",
    "case__customer",
    "case__owner__staff_profile__manager",
    "case__owner__staff_profile__department__head",
)


def unacknowledged_handoffs(now: datetime) -> QuerySet[Handoff]:
    """Handoffs past their acknowledgement deadline, not flagged yet (index handoff_ack_due_unflagged)."""
    return (
        Handoff.objects.filter(HANDOFF_UNACKNOWLEDGED_UNFLAGGED, acknowledge_due_at__lte=now)
        .select_related(*_LADDER)
        .order_by("acknowledge_due_at")
    )


def _flag_unacknowledged(handoff: Handoff, now: datetime, result: ScanResult) -> bool:
    claimed = Handoff.objects.filter(HANDOFF_UNACKNOWLEDGED_UNFLAGGED, pk=handoff.pk).update(
        unacknowledged_flagged_at=now
    )
    if not claimed:
        return False
    if not _still_theirs(handoff):
        return True
    item = _to_raise(handoff)
    flag = flag_raise(
        kind=item.kind,
        subject_key=item.subject_key,
        case=item.case,
        assignee=item.assignee,
        summary=item.summary,
        now=now,
    )
    result.raised += flag is not None
    return True


def _still_theirs(handoff: Handoff) -> bool:
    """Marked but not flagged otherwise: nobody can act on a closed case, and a case handed on since
    has a newer handoff of its own (case_handoff empties the due date; this guards rows it missed)."""
    return handoff.case.status != Case.Status.CLOSED and handoff.case.owner_id == handoff.to_user_id


def _to_raise(handoff: Handoff) -> FlagToRaise:
    assert handoff.acknowledge_due_at is not None, (
        "HANDOFF_UNACKNOWLEDGED_UNFLAGGED selects only handoffs with a due date"
    )
    case = handoff.case
    return FlagToRaise(
        kind=Flag.Kind.HANDOFF_UNACKNOWLEDGED,
        subject_key=handoff_subject(handoff.pk),
        case=case,
        assignee=handoff.to_user,
        summary=Sentence(
            gettext_noop("%(case)s: %(name)s has not acknowledged the handoff of %(since)s (due %(due)s)"),
            {
                "case": case.reference,
                "name": person_name(handoff.to_user),
                "since": moment(handoff.created_at, RECENT_FORMAT),
                "due": moment(handoff.acknowledge_due_at, RECENT_FORMAT),
            },
        ),
    )


def _flag_unacknowledged_set(handoffs: list[Handoff], now: datetime, result: ScanResult) -> set[int]:
    claimed = claim_rows(
        Handoff.objects.filter(HANDOFF_UNACKNOWLEDGED_UNFLAGGED), handoffs, unacknowledged_flagged_at=now
    )
    items = [_to_raise(h) for h in claimed if _still_theirs(h)]
    result.raised += len(flags_raise_many(items=items, now=now))
    return {h.pk for h in handoffs} - {h.pk for h in claimed}


def watch_unacknowledged_handoffs(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    now = now or timezone.now()
    return scan_due(
        result=ScanResult("unacknowledged_handoffs"),
        due=lambda: unacknowledged_handoffs(now),
        handle=_flag_unacknowledged,
        handle_set=_flag_unacknowledged_set,
        now=now,
        size=batch_size,
    )
