"""case_resolve, case_confirm, case_reject_resolution and case_reopen: a resolution waits
for the customer's answer, and "it is still broken" reopens the case and flags the owner."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from cases.models import Case, Flag, TimelineDepartment, TimelineEvent
from cases.services import (
    case_confirm,
    case_reject_resolution,
    case_reopen,
    case_resolve,
    flag_raise,
)
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import close_by_confirmation, resolve

# --- resolving ------------------------------------------------------------------------------------


def test_resolve_sets_dates_and_asks_the_customer(owner: User, case: Case, settings: Settings) -> None:
    settings.CONFIRMATION_WINDOW_DAYS = 5
    with events_written() as events:
        resolved = case_resolve(actor=owner, case=case, summary=" Socket installed; speed tested. ")
    resolved.refresh_from_db()
    assert resolved.status == Case.Status.RESOLVED
    assert resolved.resolution_summary == "Socket installed; speed tested."
    assert resolved.confirmation_due_at - resolved.resolved_at == timedelta(days=5)
    assert resolved.confirmation_reminder_sent_at is None
    event = events.one(TimelineEvent.Kind.RESOLVED)
    # "Is it fixed?" goes to the customer in the way they prefer.
    assert events.kinds() == [TimelineEvent.Kind.RESOLVED, TimelineEvent.Kind.CUSTOMER_INFORMED]
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.SUPPORT
    assert event.actor == owner
    assert "Socket installed" in event.summary and "confirm" in event.summary


def test_resolve_requires_a_summary(owner: User, case: Case) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_resolve(actor=owner, case=case, summary="  ")
    assert refused.value.field == "summary"
    assert "what was done to resolve the case" in refused.value.message


def test_resolving_twice_is_refused(owner: User, case: Case) -> None:
    resolve(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        resolve(case, owner)
    assert refused.value.field == "status"


def test_closed_case_cannot_be_resolved_again(owner: User, case: Case) -> None:
    close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        resolve(case, owner)
    assert refused.value.code == "closed"


def test_outsiders_cannot_resolve(case: Case, other_agent: User, delegate: User, contractor_user: User) -> None:
    for outsider in (other_agent, case.customer.user, delegate, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            resolve(case, outsider)


# --- confirming -----------------------------------------------------------------------------------


def test_customer_confirms_and_the_case_closes(owner: User, case: Case, customer: Customer) -> None:
    resolve(case, owner)
    with events_written() as events:
        closed = case_confirm(actor=customer.user, case=case)
    closed.refresh_from_db()
    assert closed.status == Case.Status.CLOSED
    assert closed.close_reason == Case.CloseReason.CONFIRMED
    assert closed.closed_at is not None
    event = events.one(TimelineEvent.Kind.CONFIRMED)
    assert event.customer_visible is True
    assert event.actor_label == "Jeanne Martin"
    assert event.department == TimelineDepartment.SUPPORT


def test_delegate_confirms_on_behalf_of_the_customer(owner: User, case: Case, delegate: User) -> None:
    resolve(case, owner)
    with events_written() as events:
        case_confirm(actor=delegate, case=case)
    assert events.one(TimelineEvent.Kind.CONFIRMED).actor_label == "Paul Martin, on behalf of Jeanne Martin"


def test_staff_working_on_the_case_may_record_the_customers_confirmation(owner: User, case: Case) -> None:
    resolve(case, owner)
    case_confirm(actor=owner, case=case)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED


def test_unrelated_staff_cannot_close_a_case_by_recording_a_confirmation(
    owner: User, other_agent: User, case: Case
) -> None:
    resolve(case, owner)
    with pytest.raises(NotAllowed):
        case_confirm(actor=other_agent, case=case)
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED


def test_confirmation_clears_the_unconfirmed_resolution_flag(owner: User, case: Case, customer: Customer) -> None:
    resolve(case, owner)
    flag = flag_raise(
        kind=Flag.Kind.UNCONFIRMED_RESOLUTION, subject_key=f"case:{case.pk}", summary="Waiting", case=case
    )
    with events_written() as events:
        case_confirm(actor=customer.user, case=case)
    flag.refresh_from_db()
    assert flag.cleared_at is not None
    assert TimelineEvent.Kind.FLAG_CLEARED in events.kinds()


def test_only_a_resolved_case_can_be_confirmed(owner: User, case: Case, customer: Customer) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_confirm(actor=customer.user, case=case)
    assert refused.value.field == "status"
    close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation):
        case_confirm(actor=customer.user, case=case)


def test_another_customer_or_a_contractor_cannot_confirm(
    owner: User, case: Case, other_customer: Customer, contractor_user: User
) -> None:
    resolve(case, owner)
    for outsider in (other_customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            case_confirm(actor=outsider, case=case)


# --- the customer says it is not fixed --------------------------------------------------------------


def test_rejection_reopens_and_flags_the_owner(owner: User, case: Case, customer: Customer) -> None:
    resolve(case, owner)
    with events_written() as events:
        reopened = case_reject_resolution(actor=customer.user, case=case, reason="The heating still leaks")
    reopened.refresh_from_db()
    assert reopened.status == Case.Status.IN_PROGRESS
    assert reopened.resolved_at is None and reopened.confirmation_due_at is None
    assert reopened.reopen_count == 1
    event = events.one(TimelineEvent.Kind.REOPENED)
    assert event.customer_visible is True
    assert event.actor_label == "Jeanne Martin"
    assert "The heating still leaks" in event.summary
    assert event.rejected_resolution is True
    flag = Flag.objects.get(kind=Flag.Kind.REJECTED_RESOLUTION, case=case, cleared_at__isnull=True)
    assert flag.assignee == owner
    assert flag.level == 1
    raised = events.one(TimelineEvent.Kind.FLAG_RAISED)
    assert raised.customer_visible is False
    assert raised.department == TimelineDepartment.SYSTEM


def test_rejection_needs_a_reason(owner: User, case: Case, customer: Customer) -> None:
    resolve(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_reject_resolution(actor=customer.user, case=case, reason="")
    assert refused.value.field == "reason"
    assert "what is still wrong" in refused.value.message


def test_rejection_only_when_waiting_for_confirmation(case: Case, customer: Customer) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_reject_resolution(actor=customer.user, case=case, reason="Broken")
    assert refused.value.field == "status"


def test_only_the_customer_side_can_reject(
    owner: User, case: Case, other_agent: User, other_customer: Customer, contractor_user: User
) -> None:
    resolve(case, owner)
    for outsider in (owner, other_agent, other_customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            case_reject_resolution(actor=outsider, case=case, reason="Broken")


def test_each_rejection_gets_its_own_flag(owner: User, case: Case, delegate: User) -> None:
    for attempt in range(2):
        resolve(case, owner, summary=f"Attempt {attempt}")
        case_reject_resolution(actor=delegate, case=case, reason="Still broken")
    assert Flag.objects.filter(kind=Flag.Kind.REJECTED_RESOLUTION, case=case, cleared_at__isnull=True).count() == 2


# --- staff reopen -------------------------------------------------------------------------------------


def test_staff_reopen_a_resolved_case(owner: User, case: Case) -> None:
    resolve(case, owner)
    with events_written() as events:
        case_reopen(actor=owner, case=case, reason="Customer called: no dial tone")
    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS
    assert case.reopen_count == 1
    event = events.one(TimelineEvent.Kind.REOPENED)
    assert event.customer_visible is True
    assert event.summary == "Reopened: Customer called: no dial tone"
    # Staff reopening is not the customer rejecting the resolution: the reports count only those.
    assert event.rejected_resolution is False


def test_reopen_needs_a_reason(owner: User, case: Case) -> None:
    resolve(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_reopen(actor=owner, case=case, reason=" ")
    assert refused.value.field == "reason"


def test_closed_case_is_not_reopened_but_gets_a_follow_up(owner: User, case: Case) -> None:
    close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_reopen(actor=owner, case=case, reason="Again")
    assert refused.value.field == "status"
    assert "follow-up" in refused.value.message


def test_outsiders_cannot_reopen(owner: User, case: Case, other_agent: User, contractor_user: User) -> None:
    resolve(case, owner)
    for outsider in (other_agent, case.customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            case_reopen(actor=outsider, case=case, reason="Again")
