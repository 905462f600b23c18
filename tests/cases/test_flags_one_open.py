"""flag_raise, flag_acknowledge and flags_clear, seen from the services that call them:
at most one open flag per kind and subject, in the service and in the database."""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Case, Flag, TimelineDepartment, TimelineEvent
from cases.services import flag_acknowledge, flag_raise, flags_clear
from cases.services.flags import FlagToRaise, flags_raise_many
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written


def _raise(case: Case, kind: str = Flag.Kind.SILENT_CASE) -> Flag | None:
    return flag_raise(kind=kind, subject_key=f"case:{case.pk}", summary="No contact for 5 days", case=case)


def test_raised_flag_goes_to_the_owner_and_is_internal(owner: User, case: Case) -> None:
    with events_written() as events:
        flag = _raise(case)
    assert flag.level == 1 and flag.assignee == owner
    assert flag.escalate_at > flag.raised_at
    event = events.one(TimelineEvent.Kind.FLAG_RAISED)
    assert event.customer_visible is False
    assert event.department == TimelineDepartment.SYSTEM
    assert event.actor_label == "Steward"
    # Integrations read the level from the event (webhooks' flag.raised): a new flag is at level 1.
    assert (event.data["flag_kind"], event.data["level"]) == (Flag.Kind.SILENT_CASE, 1)


@pytest.mark.parametrize("many", [False, True], ids=["one", "many"])
def test_a_long_summary_is_cut_on_the_flag_and_kept_whole_on_the_timeline(case: Case, many: bool) -> None:
    said = " ".join(f"w{n}" for n in range(100))  # numbered words: a cut anywhere else reads differently
    assert 300 < len(said) < 450
    if many:
        [flag] = flags_raise_many(
            items=[FlagToRaise(Flag.Kind.SILENT_CASE, f"case:{case.pk}", said, case)], now=timezone.now()
        )
    else:
        flag = flag_raise(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", summary=said, case=case)
    assert Flag.objects.get(pk=flag.pk).summary == said[:300]
    raised = TimelineEvent.objects.get(case=case, kind=TimelineEvent.Kind.FLAG_RAISED)
    assert raised.summary == f"Flag raised: {said}"


def test_a_second_raise_while_open_adds_nothing(case: Case) -> None:
    first = _raise(case)
    with nothing_written():
        assert _raise(case) is None
    assert Flag.objects.filter(kind=Flag.Kind.SILENT_CASE, cleared_at__isnull=True).get() == first


def test_another_kind_on_the_same_subject_is_a_separate_flag(case: Case) -> None:
    _raise(case)
    assert _raise(case, Flag.Kind.UNANSWERED_MESSAGE) is not None


def test_after_clearing_the_flag_may_be_raised_again(owner: User, case: Case) -> None:
    first = _raise(case)
    with events_written() as events:
        assert flags_clear(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", note="called", actor=owner) == 1
    cleared = events.one(TimelineEvent.Kind.FLAG_CLEARED)
    assert cleared.customer_visible is False and "called" in cleared.summary
    second = _raise(case)
    assert second is not None and second.pk != first.pk


def test_clearing_nothing_writes_nothing(case: Case) -> None:
    with nothing_written():
        assert flags_clear(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", note="none") == 0


def test_unknown_kind_is_refused(case: Case) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        flag_raise(kind="gut_feeling", subject_key=f"case:{case.pk}", summary="?", case=case)
    assert refused.value.field == "kind"


def test_owner_acknowledges_and_outsiders_cannot(
    owner: User, case: Case, other_agent: User, customer: Customer, contractor_user: User
) -> None:
    flag = _raise(case)
    for outsider in (other_agent, customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            flag_acknowledge(flag=flag, actor=outsider)
    with events_written() as events:
        acknowledged = flag_acknowledge(flag=flag, actor=owner)
    assert acknowledged.acknowledged_by == owner and acknowledged.acknowledged_at is not None
    assert events.one(TimelineEvent.Kind.FLAG_ACKNOWLEDGED).customer_visible is False


def test_a_cleared_flag_cannot_be_acknowledged(owner: User, case: Case) -> None:
    flag = _raise(case)
    flags_clear(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", note="done")
    flag.refresh_from_db()
    with nothing_written(), pytest.raises(RuleViolation):
        flag_acknowledge(flag=flag, actor=owner)


# --- the database's half --------------------------------------------------------------------------


def _raw_flag(case: Case | None, **fields: object) -> Flag:
    values = {"kind": Flag.Kind.SILENT_CASE, "subject_key": "case:x", "summary": "s", "raised_at": timezone.now()}
    return Flag.objects.create(case=case, **{**values, **fields})


def test_database_refuses_a_second_open_flag_per_kind_and_subject(case: Case) -> None:
    _raw_flag(case)
    # Unique violations are reported by column on SQLite and by index name on PostgreSQL.
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_flag(case)
    _raw_flag(case, kind=Flag.Kind.UNANSWERED_MESSAGE)


def test_database_refuses_reopening_a_cleared_flag_beside_an_open_one(case: Case) -> None:
    cleared = _raw_flag(case, cleared_at=timezone.now())
    _raw_flag(case)
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.filter(pk=cleared.pk).update(cleared_at=None)


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"level": 4}, "flag_level_1_to_3"),
        ({"level": 0}, "flag_level_1_to_3"),
        ({"kind": "gut_feeling"}, "flag_kind_valid"),
    ],
)
def test_database_refuses_invalid_flags(case: Case, fields: dict, constraint: str) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        _raw_flag(case, **fields)


def test_database_refuses_a_case_flag_without_case(db: None) -> None:
    with pytest.raises(IntegrityError, match="flag_has_case"), transaction.atomic():
        _raw_flag(None)
