from datetime import timedelta

from django.utils import timezone

from cases.models import Flag, InsuranceClaim
from cases.services import claim_file, claim_update
from cases.watchers import watch_stalled_claims
from cases.watchers.base import start_of_day
from tests.watchers.conftest import open_flags

STALLED = Flag.Kind.STALLED_CLAIM


def _claim(case: object, owner: object, clock: object, in_days: int = 2) -> InsuranceClaim:
    return claim_file(
        actor=owner,
        case=case,
        insurer="Maison Sûre Assurances",
        policy_holder=InsuranceClaim.PolicyHolder.CUSTOMER,
        next_action="Expert visit to assess the water damage",
        next_action_due=timezone.localdate(clock.now) + timedelta(days=in_days),
    )


def test_claim_is_flagged_the_day_after_its_next_action_date_with_no_update(case, owner, clock):
    claim = _claim(case, owner, clock)
    due_day = start_of_day(claim.next_action_due)

    assert watch_stalled_claims(now=due_day + timedelta(hours=23)).raised == 0  # the date itself is not over
    assert watch_stalled_claims(now=due_day + timedelta(days=1, minutes=1)).raised == 1
    [flag] = open_flags(STALLED)
    assert (flag.subject_key, flag.assignee) == (f"claim:{claim.pk}", owner)
    assert watch_stalled_claims(now=due_day + timedelta(days=2)).examined == 0  # checked once per date


def test_any_update_clears_the_flag(case, owner, clock):
    claim = _claim(case, owner, clock)
    clock.now = start_of_day(claim.next_action_due) + timedelta(days=1, hours=9)
    watch_stalled_claims(now=clock.now)

    claim_update(actor=owner, claim=claim, note="Called the insurer: the expert comes on the 14th")

    assert open_flags(STALLED) == []


def test_a_claim_updated_on_or_after_its_date_is_not_stalled(case, owner, clock):
    claim = _claim(case, owner, clock)
    clock.now = start_of_day(claim.next_action_due) + timedelta(hours=10)
    claim_update(actor=owner, claim=claim, status=InsuranceClaim.Status.ACKNOWLEDGED)

    assert watch_stalled_claims(now=clock.now + timedelta(days=2)).raised == 0


def test_a_new_next_action_date_is_watched_again(case, owner, clock):
    claim = _claim(case, owner, clock, in_days=1)
    clock.now = start_of_day(claim.next_action_due) + timedelta(days=1, hours=9)
    watch_stalled_claims(now=clock.now)
    new_date = timezone.localdate(clock.now) + timedelta(days=3)
    claim_update(actor=owner, claim=claim, next_action="Send the plumber's quote", next_action_due=new_date)
    assert open_flags(STALLED) == []

    assert watch_stalled_claims(now=start_of_day(new_date) + timedelta(hours=12)).raised == 0
    assert watch_stalled_claims(now=start_of_day(new_date) + timedelta(days=1, minutes=1)).raised == 1
