"""Stalled insurance claims: the next-action date has passed and nobody updated the claim
since that date began. Any claim update clears the flag (claim_update)."""

from datetime import datetime

from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases.models import CLAIM_STALL_UNCHECKED, Flag, InsuranceClaim
from cases.services.flags import FlagToRaise, flag_raise, flags_raise_many
from cases.services.timeline import SHORT_DATE_FORMAT, Sentence, day
from cases.watchers.base import ScanResult, claim_rows, scan_due, start_of_day

# The customer is not joined here: on PostgreSQL that join turns the scan away from its partial
# index (tests/watchers/test_incremental.py); it is read per flagged claim instead.
_LADDER = (
    "case__owner__staff_profile__manager",
    "case__owner__staff_profile__department__head",
)


def claims_past_next_action(now: datetime) -> QuerySet[InsuranceClaim]:
    """Open claims whose next-action date is over and not checked yet (index claim_stall_unchecked)."""
    today = timezone.localdate(now)
    return (
        InsuranceClaim.objects.filter(CLAIM_STALL_UNCHECKED, next_action_due__lt=today)
        .select_related(*_LADDER)
        .order_by("next_action_due")
    )


def _check_claim(claim: InsuranceClaim, now: datetime, result: ScanResult) -> bool:
    due = claim.next_action_due
    checked = InsuranceClaim.objects.filter(CLAIM_STALL_UNCHECKED, pk=claim.pk, next_action_due=due).update(
        stall_checked_due=due
    )
    if not checked:
        return False
    if claim.last_update_at >= start_of_day(due):
        return True  # someone worked on it on or after the date: not stalled
    flag = flag_raise(
        kind=Flag.Kind.STALLED_CLAIM, subject_key=f"claim:{claim.pk}", case=claim.case, summary=_stalled(claim), now=now
    )
    result.raised += flag is not None
    return True


def _stalled(claim: InsuranceClaim) -> Sentence:
    assert claim.next_action_due is not None, "CLAIM_STALL_UNCHECKED selects only claims with a due action"
    return Sentence(
        gettext_noop("%(case)s: claim with %(insurer)s stalled — “%(action)s” was due %(due)s"),
        {
            "case": claim.case.reference,
            "insurer": claim.insurer,
            "action": claim.next_action,
            "due": day(claim.next_action_due, SHORT_DATE_FORMAT),
        },
    )


def _check_claim_set(claims: list[InsuranceClaim], now: datetime, result: ScanResult) -> set[int]:
    checked = claim_rows(
        InsuranceClaim.objects.filter(CLAIM_STALL_UNCHECKED), claims, stall_checked_due=F("next_action_due")
    )
    # Someone worked on it on or after the date: checked, not stalled.
    stalled = [c for c in checked if c.last_update_at < start_of_day(c.next_action_due)]
    items = [FlagToRaise(Flag.Kind.STALLED_CLAIM, f"claim:{c.pk}", _stalled(c), c.case) for c in stalled]
    result.raised += len(flags_raise_many(items=items, now=now))
    return {c.pk for c in claims} - {c.pk for c in checked}


def watch_stalled_claims(*, now: datetime | None = None, batch_size: int | None = None) -> ScanResult:
    now = now or timezone.now()
    return scan_due(
        result=ScanResult("stalled_claims"),
        due=lambda: claims_past_next_action(now),
        handle=_check_claim,
        handle_set=_check_claim_set,
        now=now,
        size=batch_size,
    )
