"""Staff may see every case, so what they read is filtered by nothing else: no
`case_id IN (SELECT id FROM cases_case)` that reads every case to learn nothing."""

import pytest
from django.utils import timezone

from cases import selectors
from cases.models import Flag
from tests.query_plans import plan_of, scans_whole


@pytest.mark.parametrize("who", ["owner", "manager", "head"])
def test_the_flags_queue_of_staff_does_not_read_every_case(cast, who):
    user = getattr(cast, who)
    plan = plan_of(selectors.flags_waiting_for(user))
    assert not scans_whole(plan, "cases_case"), plan


def test_staff_still_see_case_flags_and_only_their_own_case_less_ones(cast, other_agent):
    def flag(case, kind, assignee, key):
        return Flag.objects.create(
            case=case, kind=kind, assignee=assignee, subject_key=key, summary="x", raised_at=timezone.now()
        )

    on_case = flag(cast.case, Flag.Kind.HELP_REQUESTED, other_agent, "help:1")
    mine = flag(None, Flag.Kind.EMERGING_INCIDENT, cast.manager, "incident:1")
    theirs = flag(None, Flag.Kind.EMERGING_INCIDENT, other_agent, "incident:2")
    seen = set(selectors.flags_visible_to(cast.manager))
    assert {on_case, mine} <= seen
    assert theirs not in seen
