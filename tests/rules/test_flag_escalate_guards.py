"""Rules on flag_escalate, each checked on a stale copy of the flag (the row a worker read before
someone else changed it), in one process so they run on SQLite as well as PostgreSQL:

- an acknowledged flag never climbs, even through a copy read before the acknowledgement;
- a flag another worker already moved up is not moved again from the old level;
- a cleared flag never climbs;
- level 3 is the top: the service refuses by itself, without asking the database (whose
  CHECK constraint is the last line, not the rule).
"""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, Flag
from cases.services import flag_acknowledge, flag_escalate, flag_raise, flags_clear
from tests.cases.dbstate import nothing_written


@pytest.fixture
def flag(case: Case, manager: User, head: User) -> Flag:
    return flag_raise(kind=Flag.Kind.STALE_PROMISE, subject_key="promise:1", summary="Back Monday", case=case)


def _copy(flag: Flag) -> Flag:
    return Flag.objects.select_related("case").get(pk=flag.pk)


def test_an_acknowledged_flag_is_not_escalated_through_a_stale_copy(flag: Flag, owner: User) -> None:
    stale = _copy(flag)
    flag_acknowledge(flag=_copy(flag), actor=owner)
    assert stale.acknowledged_at is None  # what the escalating worker still believes

    with nothing_written():
        assert flag_escalate(flag=stale) is False

    fresh = _copy(flag)
    assert (fresh.level, fresh.assignee) == (1, owner)


def test_a_flag_moved_up_by_another_worker_is_not_moved_again_from_the_old_level(flag: Flag, manager: User) -> None:
    first, second = _copy(flag), _copy(flag)
    assert flag_escalate(flag=first) is True

    with nothing_written():
        assert flag_escalate(flag=second) is False

    fresh = _copy(flag)
    assert (fresh.level, fresh.assignee) == (2, manager)


def test_a_cleared_flag_is_not_escalated_through_a_stale_copy(flag: Flag) -> None:
    stale = _copy(flag)
    flags_clear(kind=flag.kind, subject_key=flag.subject_key, note="promise kept")

    with nothing_written():
        assert flag_escalate(flag=stale) is False
    assert _copy(flag).level == 1


def test_a_level_3_flag_is_refused_by_the_service_without_touching_the_database(flag: Flag, head: User) -> None:
    flag_escalate(flag=_copy(flag))
    flag_escalate(flag=_copy(flag))
    top = _copy(flag)
    assert (top.level, top.assignee) == (3, head)

    with nothing_written(), CaptureQueriesContext(connection) as queries:
        assert flag_escalate(flag=top) is False
    assert [query["sql"] for query in queries.captured_queries] == []
    assert _copy(flag).level == 3
