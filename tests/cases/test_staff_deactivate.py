"""staff_deactivate: nobody leaves while owning open cases; they hand them off first (invariant 4)."""

import pytest
from django.contrib.auth.models import User

from cases.models import Case
from cases.services import case_handoff, case_open, staff_deactivate
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import nothing_written
from tests.cases.steps import close_by_confirmation, resolve


def test_owner_of_open_cases_cannot_be_deactivated(manager: User, owner: User, case: Case) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        staff_deactivate(actor=manager, user=owner)
    assert refused.value.code == "owns_open_cases"
    assert case.reference in refused.value.message
    assert "Hand them off first" in refused.value.message
    owner.refresh_from_db()
    assert owner.is_active


def test_a_resolved_case_still_counts_as_open(manager: User, owner: User, case: Case) -> None:
    resolve(case, owner)
    with nothing_written(), pytest.raises(RuleViolation):
        staff_deactivate(actor=manager, user=owner)


def test_deactivation_is_allowed_after_handoff(manager: User, owner: User, other_agent: User, case: Case) -> None:
    case_handoff(actor=owner, case=case, to_user=other_agent, reason="Leaving", summary="See timeline")
    deactivated = staff_deactivate(actor=manager, user=owner)
    assert deactivated.is_active is False
    owner.refresh_from_db()
    assert owner.is_active is False


def test_closed_cases_do_not_block_deactivation(manager: User, owner: User, case: Case) -> None:
    close_by_confirmation(case, owner)
    staff_deactivate(actor=manager, user=owner)
    owner.refresh_from_db()
    assert owner.is_active is False
    case.refresh_from_db()
    assert case.owner == owner  # history keeps its owner's name


def test_message_lists_at_most_ten_cases(manager: User, owner: User, customer: Customer) -> None:
    for n in range(11):
        case_open(actor=owner, customer=customer, owner=owner, subject=f"Case {n}")
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        staff_deactivate(actor=manager, user=owner)
    assert refused.value.message.count("CS-") == 10
    assert "and more" in refused.value.message


def test_a_deactivated_person_cannot_receive_cases(
    manager: User, owner: User, other_agent: User, other_case: Case
) -> None:
    case_handoff(actor=other_agent, case=other_case, to_user=owner, reason="r", summary="s")
    case_handoff(actor=owner, case=other_case, to_user=other_agent, reason="r", summary="s")
    staff_deactivate(actor=manager, user=owner)
    owner.refresh_from_db()
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_handoff(actor=other_agent, case=other_case, to_user=owner, reason="r", summary="s")
    assert refused.value.field == "to_user"


def test_already_inactive_is_refused(manager: User, other_agent: User, other_case: Case, owner: User) -> None:
    case_handoff(actor=other_agent, case=other_case, to_user=owner, reason="r", summary="s")
    staff_deactivate(actor=manager, user=other_agent)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        staff_deactivate(actor=manager, user=other_agent)
    assert "already inactive" in refused.value.message


def test_administrator_and_head_may_deactivate(
    administrator: User, head: User, manager: User, other_agent: User, other_case: Case, owner: User
) -> None:
    case_handoff(actor=other_agent, case=other_case, to_user=owner, reason="r", summary="s")
    staff_deactivate(actor=administrator, user=other_agent)
    staff_deactivate(actor=head, user=manager)
    assert not User.objects.filter(pk__in=[other_agent.pk, manager.pk], is_active=True).exists()


def test_only_a_manager_or_administrator_may_deactivate(
    owner: User, other_agent: User, other_case: Case, customer: Customer, contractor_user: User
) -> None:
    case_handoff(actor=other_agent, case=other_case, to_user=owner, reason="r", summary="s")
    for outsider in (owner, other_agent, customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            staff_deactivate(actor=outsider, user=other_agent)


def test_a_plain_save_cannot_deactivate_an_owner_of_open_cases(owner: User, case: Case) -> None:
    owner.is_active = False
    with pytest.raises(RuleViolation, match="still owns open cases"):
        owner.save()
    owner.refresh_from_db()
    assert owner.is_active
