"""specialist_add and specialist_remove: a colleague helps on one case without owning it."""

import pytest
from django.contrib.auth.models import User

from cases import policies
from cases.models import Case, TimelineDepartment, TimelineEvent
from cases.services import case_set_status, specialist_add, specialist_remove
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.factories import DepartmentFactory, make_staff


@pytest.fixture
def claims_expert(db: None) -> User:
    department = DepartmentFactory(code="claims", name="Claims")
    return make_staff("expert", department=department, first_name="Eve", last_name="Expert")


def test_specialist_may_work_but_not_own(owner: User, case: Case, claims_expert: User) -> None:
    with events_written() as events:
        specialist_add(actor=owner, case=case, user=claims_expert)
    event = events.one(TimelineEvent.Kind.ACCESS)
    assert event.customer_visible is False
    assert event.department == TimelineDepartment.SUPPORT
    assert event.summary == "Eve Expert added as a specialist on the case."
    assert policies.can_work_on_case(claims_expert, case)
    assert not policies.can_handoff(claims_expert, case)
    case_set_status(actor=claims_expert, case=case, status=Case.Status.WAITING_INSURER)
    case.refresh_from_db()
    assert case.owner == owner


def test_removed_specialist_may_no_longer_work(owner: User, case: Case, claims_expert: User) -> None:
    specialist_add(actor=owner, case=case, user=claims_expert)
    with events_written() as events:
        specialist_remove(actor=owner, case=case, user=claims_expert)
    assert events.one(TimelineEvent.Kind.ACCESS).customer_visible is False
    with nothing_written(), pytest.raises(NotAllowed):
        case_set_status(actor=claims_expert, case=case, status=Case.Status.IN_PROGRESS)


def test_unsuitable_specialists_are_refused(
    owner: User, case: Case, claims_expert: User, contractor_user: User
) -> None:
    User.objects.filter(pk=claims_expert.pk).update(is_active=False)
    claims_expert.refresh_from_db()
    for unsuitable, words in (
        (claims_expert, "no longer active"),
        (case.customer.user, "not a member of staff"),
        (contractor_user, "not a member of staff"),
        (owner, "already works on the case"),
    ):
        with nothing_written(), pytest.raises(RuleViolation) as refused:
            specialist_add(actor=owner, case=case, user=unsuitable)
        assert refused.value.field == "user"
        assert words in refused.value.message


def test_outsiders_cannot_add_or_remove_specialists(
    owner: User, case: Case, other_agent: User, claims_expert: User, contractor_user: User
) -> None:
    specialist_add(actor=owner, case=case, user=claims_expert)
    for outsider in (other_agent, case.customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            specialist_add(actor=outsider, case=case, user=other_agent)
        with nothing_written(), pytest.raises(NotAllowed):
            specialist_remove(actor=outsider, case=case, user=claims_expert)
