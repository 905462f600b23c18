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
from cases.services.flags import flag_raise
from cases.services.handoff import handoff_subject
from cases.services.timeline import RECENT_FORMAT, Sentence, moment, person_name
from cases.watchers.base import ScanResult, scan_due

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
    case = handoff.case
    # Marked but not flagged: nobody can act on a closed case, and a case handed on since has a
    # newer handoff of its own (case_handoff empties the due date; this guards rows it missed).
    if case.status == Case.Status.CLOSED or case.owner_id != handoff.to_user_id:
        return True
    flag = flag_raise(
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
        now=now,
    )
    result.raised += flag is not None
    return True


def watch_unacknowledged_handoffs(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    now = now or timezone.now()
    return scan_due(
        result=ScanResult("unacknowledged_handoffs"),
        due=lambda: unacknowledged_handoffs(now),
        handle=_flag_unacknowledged,
        now=now,
        size=batch_size,
    )
