"""case_open: a case has a named, active staff owner from its first minute (invariant 1),
a unique sequential reference, and an opening event on the timeline."""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Case, ReferenceCounter, TimelineDepartment, TimelineEvent
from cases.services import case_open
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.factories import ServiceFactory, UserFactory


def test_open_writes_case_with_owner_and_customer_visible_opening_event(owner: User, customer: Customer) -> None:
    service = ServiceFactory(code="fibre")
    with events_written() as events:
        case = case_open(
            actor=owner,
            customer=customer,
            owner=owner,
            subject="  No heating since the visit ",
            description="Pipe drilled",
            priority=Case.Priority.URGENT,
            human_impact="no heating",
            service=service,
            department=TimelineDepartment.FIELD,
        )
    case.refresh_from_db()
    assert case.owner == owner
    assert case.subject == "No heating since the visit"
    assert case.status == Case.Status.NEW
    assert case.priority == Case.Priority.URGENT
    assert case.created_by == owner
    assert case.last_activity_at is not None
    opened = events.one(TimelineEvent.Kind.CASE_OPENED)
    assert events.kinds() == [TimelineEvent.Kind.CASE_OPENED]
    assert opened.case == case
    assert opened.department == TimelineDepartment.FIELD
    assert opened.customer_visible is True
    assert opened.actor == owner
    assert opened.actor_label == "Olivia Owner (Customer relations)"
    assert "Olivia Owner" in opened.summary


def test_customer_opens_own_case_labelled_with_their_name(owner: User, customer: Customer) -> None:
    with events_written() as events:
        case = case_open(actor=customer.user, customer=customer, owner=owner, subject="Internet down")
    assert case.created_by == customer.user
    assert events.one(TimelineEvent.Kind.CASE_OPENED).actor_label == "Jeanne Martin"


def test_system_open_without_actor_is_labelled_steward(owner: User, customer: Customer) -> None:
    with events_written() as events:
        case_open(actor=None, customer=customer, owner=owner, subject="E-mail from the gateway")
    assert events.one(TimelineEvent.Kind.CASE_OPENED).actor_label == "Steward"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"subject": ""}, "subject", "Write a subject"),
        ({"subject": "   "}, "subject", "Write a subject"),
        ({"subject": "x" * 201}, "subject", "under 200 characters"),
        ({"priority": "whenever"}, "priority", "not a valid priority"),
        ({"department": "marketing"}, "department", "not a valid department"),
        ({"owner": None}, "owner", "Choose a member of staff"),
    ],
)
def test_open_refuses_bad_input_and_writes_nothing(
    owner: User, customer: Customer, changes: dict, field: str, words: str
) -> None:
    arguments = {"actor": owner, "customer": customer, "owner": owner, "subject": "Fibre", **changes}
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_open(**arguments)
    assert refused.value.field == field
    assert words in refused.value.message


def test_open_refuses_an_inactive_owner(owner: User, other_agent: User, customer: Customer) -> None:
    User.objects.filter(pk=other_agent.pk).update(is_active=False)
    other_agent.refresh_from_db()
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_open(actor=owner, customer=customer, owner=other_agent, subject="Fibre")
    assert refused.value.field == "owner"
    assert "no longer active" in refused.value.message


def test_open_refuses_an_owner_who_is_not_staff(owner: User, customer: Customer, contractor_user: User) -> None:
    for outsider in (customer.user, contractor_user):
        with nothing_written(), pytest.raises(RuleViolation) as refused:
            case_open(actor=owner, customer=customer, owner=outsider, subject="Fibre")
        assert refused.value.field == "owner"
        assert "not a member of staff" in refused.value.message


def test_another_customer_or_a_contractor_cannot_open_a_case_for_the_customer(
    owner: User, customer: Customer, other_customer: Customer, contractor_user: User
) -> None:
    for outsider in (other_customer.user, contractor_user, UserFactory(username="stranger")):
        with nothing_written(), pytest.raises(NotAllowed):
            case_open(actor=outsider, customer=customer, owner=owner, subject="Fibre")


def test_references_are_sequential_and_unique(owner: User, customer: Customer) -> None:
    cases = [case_open(actor=owner, customer=customer, owner=owner, subject=f"Case {n}") for n in range(3)]
    numbers = [int(case.reference.rsplit("-", 1)[1]) for case in cases]
    assert numbers[1] == numbers[0] + 1 and numbers[2] == numbers[1] + 1
    year = cases[0].created_at.year
    assert all(case.reference.startswith(f"CS-{year}-") for case in cases)
    assert ReferenceCounter.objects.get(year=year).last_number == numbers[2]
    assert len({case.reference for case in cases}) == 3


def test_a_refused_open_draws_no_reference(owner: User, customer: Customer) -> None:
    first = case_open(actor=owner, customer=customer, owner=owner, subject="First")
    with pytest.raises(RuleViolation):
        case_open(actor=owner, customer=customer, owner=customer.user, subject="Refused")
    second = case_open(actor=owner, customer=customer, owner=owner, subject="Second")
    assert int(second.reference.rsplit("-", 1)[1]) == int(first.reference.rsplit("-", 1)[1]) + 1


# --- the database's half of invariant 1 and of unique references ---------------------------------


def test_database_refuses_a_case_without_owner(case: Case) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(owner=None)
    case.refresh_from_db()
    assert case.owner_id is not None


def test_database_refuses_to_create_an_ownerless_case(customer: Customer) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(
            reference="CS-TEST-1", customer=customer, subject="No owner", last_activity_at=timezone.now()
        )


def test_database_refuses_a_duplicate_reference(case: Case, other_case: Case) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=other_case.pk).update(reference=case.reference)


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"status": "lost"}, "case_status_valid"),
        ({"priority": "asap"}, "case_priority_valid"),
        ({"subject": ""}, "case_subject_required"),
        ({"reference": ""}, "case_reference_required"),
        ({"status": "resolved"}, "case_resolved_has_dates"),
    ],
)
def test_database_refuses_invalid_case_states(case: Case, changes: dict, constraint: str) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(**changes)


def test_open_reads_the_owners_account_as_it_is_now(owner: User, other_agent: User, customer: Customer) -> None:
    # A stale copy of a deactivated account must not become the owner of a new case.
    User.objects.filter(pk=other_agent.pk).update(is_active=False)
    assert other_agent.is_active
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_open(actor=owner, customer=customer, owner=other_agent, subject="Fibre")
    assert refused.value.field == "owner"
