"""Rule: a flag is acknowledged once. Two people (or two tabs) holding a copy read before either
acknowledged it write one acknowledgement: the second call neither overwrites who acknowledged
it nor adds a second "Flag acknowledged" to the timeline; a copy read before the flag was cleared
is refused. One process, on SQLite too."""

import pytest
from django.contrib.auth.models import User

from cases.models import Case, Flag, TimelineEvent
from cases.services import flag_acknowledge, flag_raise, flags_clear
from portal.errors import RuleViolation
from tests.cases.dbstate import nothing_written


def test_a_stale_copy_acknowledged_again_writes_nothing(case: Case, owner: User, manager: User) -> None:
    flag = flag_raise(kind=Flag.Kind.STALE_PROMISE, subject_key="promise:1", summary="Back Monday", case=case)
    first, second = Flag.objects.get(pk=flag.pk), Flag.objects.get(pk=flag.pk)

    flag_acknowledge(flag=first, actor=owner)
    with nothing_written():
        answered = flag_acknowledge(flag=second, actor=manager)

    assert answered.acknowledged_by == owner
    fresh = Flag.objects.get(pk=flag.pk)
    assert fresh.acknowledged_by == owner
    assert TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.FLAG_ACKNOWLEDGED).count() == 1


def test_a_stale_copy_of_a_cleared_flag_is_refused_and_writes_nothing(case: Case, owner: User) -> None:
    flag = flag_raise(kind=Flag.Kind.STALE_PROMISE, subject_key="promise:1", summary="Back Monday", case=case)
    stale = Flag.objects.get(pk=flag.pk)
    flags_clear(kind=flag.kind, subject_key=flag.subject_key, note="promise kept")

    with nothing_written(), pytest.raises(RuleViolation, match="already been cleared"):
        flag_acknowledge(flag=stale, actor=owner)
    assert Flag.objects.get(pk=flag.pk).acknowledged_at is None
