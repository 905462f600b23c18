"""delegate_grant and delegate_revoke: a son, a carer or a social worker may act for the
customer on all their cases or on chosen ones, and the grant is on each case's timeline."""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from cases import policies
from cases.models import Case, TimelineDepartment, TimelineEvent
from cases.services import delegate_grant, delegate_revoke, message_receive
from people.models import Customer, Delegate
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.factories import UserFactory, make_case, make_staff


@pytest.fixture
def carer(db: None) -> User:
    return UserFactory(username="carer", first_name="Claire", last_name="Carer")


@pytest.fixture
def second_case(customer: Customer, owner: User) -> Case:
    return make_case(customer=customer, owner=owner, subject="Heating pipe leak")


def test_customer_grants_a_delegate_on_all_cases(
    case: Case, second_case: Case, customer: Customer, carer: User
) -> None:
    with events_written() as events:
        grant = delegate_grant(actor=customer.user, customer=customer, user=carer, relationship=" carer ")
    assert grant.relationship == "carer" and grant.all_cases is True
    assert grant.authorised_by == customer.user
    assert {event.case_id for event in events} == {case.pk, second_case.pk}
    for event in events:
        assert event.kind == TimelineEvent.Kind.ACCESS
        assert event.customer_visible is True
        assert event.department == TimelineDepartment.SUPPORT
        assert event.actor_label == "Jeanne Martin"
        assert event.summary == "Claire Carer (carer) may now see and act on this case."
    assert policies.is_customer_side(carer, case) and policies.is_customer_side(carer, second_case)
    # A case opened later is covered too.
    later_case = make_case(customer=customer, owner=case.owner, subject="Later")
    assert policies.can_view_case(carer, later_case)


def test_staff_grant_a_delegate_on_chosen_cases_only(
    owner: User, case: Case, second_case: Case, customer: Customer, carer: User
) -> None:
    with events_written() as events:
        grant = delegate_grant(actor=owner, customer=customer, user=carer, relationship="social worker", cases=[case])
    assert grant.all_cases is False
    assert [event.case_id for event in events] == [case.pk]
    assert policies.can_view_case(carer, case)
    assert not policies.can_view_case(carer, second_case)


def test_delegates_message_is_labelled_on_behalf_of_the_customer(case: Case, delegate: User) -> None:
    message = message_receive(actor=delegate, case=case, body="Mum asks when the technician comes.")
    assert message.author_label == "Paul Martin, on behalf of Jeanne Martin"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"relationship": ""}, "relationship", "how they are related"),
        ({"relationship": "r" * 101}, "relationship", "under 100 characters"),
        ({"cases": []}, "cases", "at least one case"),
    ],
)
def test_bad_grant_is_refused(
    owner: User, case: Case, customer: Customer, carer: User, changes: dict, field: str, words: str
) -> None:
    arguments = {"actor": owner, "customer": customer, "user": carer, "relationship": "carer", **changes}
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        delegate_grant(**arguments)
    assert refused.value.field == field
    assert words in refused.value.message


def test_grant_on_another_customers_case_is_refused(
    owner: User, customer: Customer, other_case: Case, carer: User
) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        delegate_grant(actor=owner, customer=customer, user=carer, relationship="carer", cases=[other_case])
    assert refused.value.field == "cases"


def test_unsuitable_delegates_are_refused(
    owner: User, other_agent: User, customer: Customer, contractor_user: User, delegate: User, carer: User
) -> None:
    User.objects.filter(pk=carer.pk).update(is_active=False)
    carer.refresh_from_db()
    for unsuitable, words in (
        (customer.user, "already sees their own cases"),
        (other_agent, "cannot be delegates"),
        (contractor_user, "cannot be delegates"),
        (carer, "not active"),
        (delegate, "already a delegate"),
    ):
        with nothing_written(), pytest.raises(RuleViolation) as refused:
            delegate_grant(actor=owner, customer=customer, user=unsuitable, relationship="friend")
        assert refused.value.field == "user"
        assert words in refused.value.message


def test_another_customer_a_delegate_or_a_contractor_cannot_grant(
    case: Case, customer: Customer, other_customer: Customer, contractor_user: User, delegate: User, carer: User
) -> None:
    for outsider in (other_customer.user, contractor_user, delegate):
        with nothing_written(), pytest.raises(NotAllowed):
            delegate_grant(actor=outsider, customer=customer, user=carer, relationship="friend")


# --- revoking ------------------------------------------------------------------------------------


def test_revoking_removes_access_and_is_on_the_timeline(case: Case, customer: Customer, delegate: User) -> None:
    grant = Delegate.objects.get(user=delegate, customer=customer)
    with events_written() as events:
        revoked = delegate_revoke(actor=customer.user, delegate=grant)
    assert revoked.revoked_at is not None
    event = events.one(TimelineEvent.Kind.ACCESS)
    assert event.customer_visible is True
    assert event.summary == "Paul Martin may no longer see this case."
    assert not policies.can_view_case(delegate, case)
    with nothing_written(), pytest.raises(NotAllowed):
        message_receive(actor=delegate, case=case, body="Still here?")


def test_revoking_a_per_case_grant_removes_it(owner: User, case: Case, customer: Customer, carer: User) -> None:
    grant = delegate_grant(actor=owner, customer=customer, user=carer, relationship="carer", cases=[case])
    delegate_revoke(actor=owner, delegate=grant)
    assert not policies.can_view_case(carer, case)


def test_revoking_twice_writes_nothing(customer: Customer, delegate: User) -> None:
    grant = Delegate.objects.get(user=delegate, customer=customer)
    delegate_revoke(actor=customer.user, delegate=grant)
    with nothing_written():
        delegate_revoke(actor=customer.user, delegate=grant)


def test_a_revoked_delegate_can_be_granted_again(owner: User, case: Case, customer: Customer, delegate: User) -> None:
    delegate_revoke(actor=owner, delegate=Delegate.objects.get(user=delegate, customer=customer))
    delegate_grant(actor=owner, customer=customer, user=delegate, relationship="son")
    assert policies.can_view_case(delegate, case)
    assert Delegate.objects.filter(user=delegate, customer=customer).count() == 2


def test_outsiders_cannot_revoke(
    customer: Customer, delegate: User, other_customer: Customer, contractor_user: User
) -> None:
    grant = Delegate.objects.get(user=delegate, customer=customer)
    for outsider in (other_customer.user, contractor_user, delegate):
        with nothing_written(), pytest.raises(NotAllowed):
            delegate_revoke(actor=outsider, delegate=grant)


# --- the database's half ------------------------------------------------------------------------


def test_database_refuses_two_active_grants_for_the_same_person(customer: Customer, delegate: User) -> None:
    # Unique violations are reported by column on SQLite and by index name on PostgreSQL.
    with pytest.raises(IntegrityError), transaction.atomic():
        Delegate.objects.create(user=delegate, customer=customer, relationship="son")


def test_database_refuses_a_grant_without_relationship(customer: Customer, carer: User) -> None:
    with pytest.raises(IntegrityError, match="delegate_relationship_required"), transaction.atomic():
        Delegate.objects.create(user=carer, customer=customer, relationship="")


def test_staff_member_of_another_department_may_grant(customer: Customer, case: Case, carer: User) -> None:
    sales = make_staff("sales_agent")
    delegate_grant(actor=sales, customer=customer, user=carer, relationship="neighbour")
    assert policies.can_view_case(carer, case)


def test_revoking_a_per_case_delegate_writes_only_on_the_granted_cases(
    case: Case, second_case: Case, customer: Customer, owner: User, carer: User
) -> None:
    delegate = delegate_grant(actor=owner, customer=customer, user=carer, relationship="carer", cases=[case])
    delegate_revoke(actor=owner, delegate=delegate)
    revoked = TimelineEvent.objects.filter(kind=TimelineEvent.Kind.ACCESS, summary__contains="no longer")
    assert list(revoked.values_list("case_id", flat=True)) == [case.pk]
    assert not policies.can_view_case(carer, case)
