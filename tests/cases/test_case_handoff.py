"""case_handoff and handoff_acknowledge: ownership changes only by a handoff with a summary,
every handoff is on the timeline, and the customer is told the new owner's name (invariant 2)."""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Case, Flag, Handoff, TimelineDepartment, TimelineEvent
from cases.services import case_handoff, flag_raise, handoff_acknowledge, specialist_add
from portal.errors import Conflict, NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import close_by_confirmation
from tests.factories import make_staff

SUMMARY = "Pipe drilled on 3 March; insurer file open; customer is 89, call before 18:00."


def _handoff(actor: User, case: Case, to_user: User, **overrides: object) -> Handoff:
    arguments = {"reason": "Needs claims expertise", "summary": SUMMARY, **overrides}
    return case_handoff(actor=actor, case=case, to_user=to_user, **arguments)


def test_handoff_changes_owner_and_writes_handoff_row_and_two_events(
    owner: User, other_agent: User, case: Case
) -> None:
    with events_written() as events:
        handoff = _handoff(owner, case, other_agent)
    case.refresh_from_db()
    assert case.owner == other_agent
    assert (handoff.from_user, handoff.to_user, handoff.created_by) == (owner, other_agent, owner)
    assert handoff.summary == SUMMARY
    assert handoff.reason == "Needs claims expertise"
    assert handoff.acknowledged_at is None
    assert events.kinds() == [
        TimelineEvent.Kind.HANDOFF,
        TimelineEvent.Kind.HANDOFF,
        TimelineEvent.Kind.CUSTOMER_INFORMED,  # told the new owner's name, in the way she prefers
    ]
    internal, told_customer, notice = events
    assert all(event.department == TimelineDepartment.SUPPORT for event in events)
    assert all(event.actor_label == "Olivia Owner (Customer relations)" for event in events)
    assert internal.subject_key == told_customer.subject_key == f"handoff:{handoff.pk}"
    assert notice.subject_key.startswith("notice:") and not notice.customer_visible
    assert internal.customer_visible is False
    assert "Olivia Owner" in internal.summary and "Adam Agent" in internal.summary
    assert internal.data == {
        "from_user_id": owner.pk,
        "to_user_id": other_agent.pk,
        "sentence": internal.data["sentence"],
    }
    assert told_customer.customer_visible is True
    assert told_customer.summary.startswith("Adam Agent (Customer relations) now looks after your case")


def test_owners_manager_and_head_of_department_may_hand_off(
    manager: User, head: User, owner: User, other_agent: User, case: Case
) -> None:
    _handoff(manager, case, other_agent)
    _handoff(head, case, owner)
    case.refresh_from_db()
    assert case.owner == owner
    assert case.handoffs.count() == 2


def test_open_level_one_flags_follow_the_case_to_its_new_owner(owner: User, other_agent: User, case: Case) -> None:
    flag = flag_raise(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", summary="Silent", case=case)
    assert flag.assignee == owner
    _handoff(owner, case, other_agent)
    flag.refresh_from_db()
    assert flag.assignee == other_agent


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"summary": ""}, "summary", "summary the next owner will read"),
        ({"summary": "  \n "}, "summary", "summary the next owner will read"),
        ({"reason": ""}, "reason", "why you are handing the case off"),
        ({"reason": "r" * 201}, "reason", "under 200 characters"),
    ],
)
def test_handoff_requires_summary_and_reason(
    owner: User, other_agent: User, case: Case, changes: dict, field: str, words: str
) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _handoff(owner, case, other_agent, **changes)
    assert refused.value.field == field
    assert words in refused.value.message


def test_handoff_refuses_inactive_receiver(owner: User, other_agent: User, case: Case) -> None:
    User.objects.filter(pk=other_agent.pk).update(is_active=False)
    other_agent.refresh_from_db()
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _handoff(owner, case, other_agent)
    assert refused.value.field == "to_user"
    assert "no longer active" in refused.value.message


def test_handoff_refuses_receiver_who_is_not_staff(
    owner: User, case: Case, delegate: User, contractor_user: User
) -> None:
    for outsider in (case.customer.user, delegate, contractor_user):
        with nothing_written(), pytest.raises(RuleViolation) as refused:
            _handoff(owner, case, outsider)
        assert refused.value.field == "to_user"
        assert "not a member of staff" in refused.value.message


def test_handoff_refuses_none_as_receiver(owner: User, case: Case) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _handoff(owner, case, None)
    assert refused.value.field == "to_user"


def test_handoff_to_the_current_owner_is_refused(owner: User, manager: User, case: Case) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _handoff(manager, case, owner)
    assert refused.value.field == "to_user"
    assert "already owns" in refused.value.message


def test_closed_case_cannot_be_handed_off(owner: User, other_agent: User, case: Case) -> None:
    case = close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _handoff(owner, case, other_agent)
    assert refused.value.code == "closed"


def test_other_agent_specialist_customer_and_contractor_cannot_hand_off(
    owner: User, other_agent: User, case: Case, delegate: User, contractor_user: User
) -> None:
    specialist = make_staff("specialist", department=owner.staff_profile.department)
    specialist_add(actor=owner, case=case, user=specialist)
    receiver = make_staff("receiver", department=owner.staff_profile.department)
    for outsider in (other_agent, specialist, case.customer.user, delegate, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            _handoff(outsider, case, receiver)
    case.refresh_from_db()
    assert case.owner == owner


def test_handoff_after_someone_else_handed_off_is_a_conflict(
    owner: User, manager: User, other_agent: User, case: Case
) -> None:
    # The manager hands the case off while the owner still has the old page open.
    _handoff(manager, case, other_agent)
    receiver = make_staff("receiver", department=owner.staff_profile.department)
    with nothing_written(), pytest.raises(Conflict) as refused:
        _handoff(manager, case, receiver, expected_owner=owner)
    assert refused.value.field == "to_user"
    assert "Adam Agent" in refused.value.message
    case.refresh_from_db()
    assert case.owner == other_agent


def test_handoff_with_matching_expected_owner_goes_through(owner: User, other_agent: User, case: Case) -> None:
    _handoff(owner, case, other_agent, expected_owner=owner)
    case.refresh_from_db()
    assert case.owner == other_agent


def test_every_handoff_is_on_the_timeline(owner: User, other_agent: User, manager: User, case: Case) -> None:
    _handoff(owner, case, other_agent)
    _handoff(manager, case, owner)
    handoffs = list(case.handoffs.all())
    for handoff in handoffs:
        events = TimelineEvent.objects.filter(
            case=case, kind=TimelineEvent.Kind.HANDOFF, subject_key=f"handoff:{handoff.pk}"
        )
        assert events.filter(customer_visible=True).count() == 1
        assert events.filter(customer_visible=False).count() == 1


# --- acknowledging --------------------------------------------------------------------------------


def test_receiver_acknowledges_the_handoff(owner: User, other_agent: User, case: Case) -> None:
    handoff = _handoff(owner, case, other_agent)
    with events_written() as events:
        acknowledged = handoff_acknowledge(actor=other_agent, handoff=handoff)
    assert acknowledged.acknowledged_at is not None
    event = events.one(TimelineEvent.Kind.HANDOFF_ACKNOWLEDGED)
    assert event.customer_visible is False
    assert event.department == TimelineDepartment.SUPPORT
    assert event.actor_label == "Adam Agent (Customer relations)"
    assert event.subject_key == f"handoff:{handoff.pk}"


def test_acknowledging_twice_writes_one_event(owner: User, other_agent: User, case: Case) -> None:
    handoff = _handoff(owner, case, other_agent)
    handoff_acknowledge(actor=other_agent, handoff=handoff)
    with nothing_written():
        again = handoff_acknowledge(actor=other_agent, handoff=handoff)
    assert again.acknowledged_at is not None


def test_only_the_receiver_may_acknowledge(owner: User, other_agent: User, manager: User, case: Case) -> None:
    handoff = _handoff(owner, case, other_agent)
    for outsider in (owner, manager, case.customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            handoff_acknowledge(actor=outsider, handoff=handoff)


def test_acknowledging_a_handoff_that_was_passed_on_is_a_conflict(
    owner: User, other_agent: User, manager: User, case: Case
) -> None:
    first = _handoff(owner, case, other_agent)
    _handoff(manager, case, owner)
    # `first` is the page's stale copy: it still shows Adam as the case's owner.
    with nothing_written(), pytest.raises(Conflict):
        handoff_acknowledge(actor=other_agent, handoff=first)


# --- the database's half of invariant 2 -----------------------------------------------------------


def _raw_handoff(case: Case, from_user: User, to_user: User, **fields: object) -> Handoff:
    values = {"reason": "Expertise", "summary": SUMMARY, **fields}
    return Handoff.objects.create(case=case, from_user=from_user, to_user=to_user, created_by=from_user, **values)


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [({"summary": ""}, "handoff_summary_required"), ({"reason": ""}, "handoff_reason_required")],
)
def test_database_refuses_handoff_without_summary_or_reason(
    owner: User, other_agent: User, case: Case, fields: dict, constraint: str
) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        _raw_handoff(case, owner, other_agent, **fields)


def test_database_refuses_blanking_the_summary_of_a_recorded_handoff(
    owner: User, other_agent: User, case: Case
) -> None:
    handoff = _handoff(owner, case, other_agent)
    with pytest.raises(IntegrityError, match="handoff_summary_required"), transaction.atomic():
        Handoff.objects.filter(pk=handoff.pk).update(summary="")
    handoff.refresh_from_db()
    assert handoff.summary == SUMMARY


def test_database_refuses_handoff_to_oneself(owner: User, case: Case) -> None:
    with pytest.raises(IntegrityError, match="handoff_to_someone_else"), transaction.atomic():
        _raw_handoff(case, owner, owner)


def test_database_refuses_handoff_without_receiver(owner: User, case: Case) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Handoff.objects.create(
            case=case,
            from_user=owner,
            to_user=None,
            reason="r",
            summary="s",
            created_by=owner,
            created_at=timezone.now(),
        )


def test_handoff_reads_the_receivers_account_as_it_is_now(owner: User, other_agent: User, case: Case) -> None:
    # The page was loaded before the receiver's account was deactivated: the service must not
    # trust that copy, or a deactivation running at the same moment leaves an inactive owner.
    User.objects.filter(pk=other_agent.pk).update(is_active=False)
    assert other_agent.is_active
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _handoff(owner, case, other_agent)
    assert refused.value.field == "to_user"
    assert "no longer active" in refused.value.message


def test_escalated_flags_move_up_the_new_owners_ladder(owner: User, case: Case, head: User) -> None:
    from cases.models import Flag
    from cases.services import flag_escalate, flag_raise
    from people.models import Department
    from tests.factories import make_staff

    sales = Department.objects.create(code="sales", name="Sales")
    sales_head = make_staff("saleshead", department=sales)
    sales.head = sales_head
    sales.save(update_fields=["head"])
    sales_manager = make_staff("salesmanager", department=sales, manager=sales_head)
    seller = make_staff("seller", department=sales, manager=sales_manager)
    flag = flag_raise(kind=Flag.Kind.STALE_PROMISE, subject_key="promise:1", summary="Late", case=case)
    flag_escalate(flag=flag)
    case_handoff(actor=owner, case=case, to_user=seller, reason="Sales question", summary="Wants a new plan.")
    flag.refresh_from_db()
    assert (flag.level, flag.assignee) == (2, sales_manager)


def test_a_flag_at_the_top_of_the_ladder_moves_to_the_new_head_of_department(owner: User, case: Case) -> None:
    """Level 3 is the last rung: a handoff must move those flags too, not only levels 1 and 2."""
    from cases.services import flag_escalate
    from people.models import Department

    sales = Department.objects.create(code="sales", name="Sales")
    sales_head = make_staff("saleshead", department=sales)
    sales.head = sales_head
    sales.save(update_fields=["head"])
    sales_manager = make_staff("salesmanager", department=sales, manager=sales_head)
    seller = make_staff("seller", department=sales, manager=sales_manager)
    flag = flag_raise(kind=Flag.Kind.STALE_PROMISE, subject_key="promise:1", summary="Late", case=case)
    flag_escalate(flag=flag)
    flag.refresh_from_db()
    flag_escalate(flag=flag)
    flag.refresh_from_db()
    assert flag.level == 3
    case_handoff(actor=owner, case=case, to_user=seller, reason="Sales question", summary="Wants a new plan.")
    flag.refresh_from_db()
    assert (flag.level, flag.assignee) == (3, sales_head)
