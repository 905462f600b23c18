"""case_set_status: a working case moves between working states, each move on the timeline."""

import pytest
from django.contrib.auth.models import User

from cases.models import Case, TimelineDepartment, TimelineEvent
from cases.services import case_set_status, specialist_add
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import close_by_confirmation, resolve
from tests.factories import make_staff


def test_status_change_is_saved_and_shown_to_the_customer(owner: User, case: Case) -> None:
    with events_written() as events:
        changed = case_set_status(actor=owner, case=case, status=Case.Status.WAITING_CONTRACTOR)
    changed.refresh_from_db()
    assert changed.status == Case.Status.WAITING_CONTRACTOR
    event = events.one(TimelineEvent.Kind.STATUS_CHANGED)
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.SUPPORT
    assert event.actor_label == "Olivia Owner (Customer relations)"
    assert event.summary == "Status: New → Waiting for the contractor"
    assert event.data == {"status": "waiting_contractor", "sentence": event.data["sentence"]}


def test_setting_the_same_status_writes_nothing(owner: User, case: Case) -> None:
    with nothing_written():
        case_set_status(actor=owner, case=case, status=Case.Status.NEW)


def test_specialist_and_manager_may_change_status(owner: User, manager: User, case: Case) -> None:
    specialist = make_staff("specialist", department=owner.staff_profile.department)
    specialist_add(actor=owner, case=case, user=specialist)
    case_set_status(actor=specialist, case=case, status=Case.Status.IN_PROGRESS)
    case_set_status(actor=manager, case=case, status=Case.Status.WAITING_INSURER)
    case.refresh_from_db()
    assert case.status == Case.Status.WAITING_INSURER


@pytest.mark.parametrize("status", ["lost", ""])
def test_status_outside_the_working_states_is_refused(owner: User, case: Case, status: str) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_set_status(actor=owner, case=case, status=status)
    assert refused.value.field == "status"
    assert "not a valid working status" in refused.value.message


@pytest.mark.parametrize(
    ("status", "explains"),
    [
        ("closed", "it closes when the customer confirms it is fixed"),
        ("resolved", "resolve it, and the customer is asked to confirm it is fixed"),
    ],
)
def test_resolving_or_closing_by_status_says_how_a_case_gets_there(
    owner: User, case: Case, status: str, explains: str
) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_set_status(actor=owner, case=case, status=status)
    assert refused.value.field == "status"
    assert refused.value.code == "not_by_hand"
    assert explains in refused.value.message


def test_resolved_case_must_be_reopened_before_status_changes(owner: User, case: Case) -> None:
    resolve(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_set_status(actor=owner, case=case, status=Case.Status.IN_PROGRESS)
    assert refused.value.field == "status"
    assert "reopen it first" in refused.value.message


def test_closed_case_status_cannot_change(owner: User, case: Case) -> None:
    close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_set_status(actor=owner, case=case, status=Case.Status.IN_PROGRESS)
    assert refused.value.code == "closed"


def test_outsiders_cannot_change_status(
    case: Case, other_agent: User, delegate: User, contractor_user: User, other_customer: Customer
) -> None:
    for outsider in (other_agent, case.customer.user, delegate, contractor_user, other_customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            case_set_status(actor=outsider, case=case, status=Case.Status.IN_PROGRESS)
