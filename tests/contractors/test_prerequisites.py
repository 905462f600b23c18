"""prerequisite_complete: marking what had to be done before the visit; the missing-prerequisite
flag clears only when none is left open."""

import pytest
from django.contrib.auth.models import User

from cases.models import Case, Flag, TimelineDepartment, TimelineEvent
from contractors.models import ContractorCompany, Job, Prerequisite
from contractors.services import job_cancel, job_request, prerequisite_complete
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.factories import make_job


@pytest.fixture
def two_step_job(case: Case, company: ContractorCompany, owner: User) -> Job:
    return make_job(
        case=case,
        company=company,
        actor=owner,
        title="Connect the building",
        prerequisites=(("Street cabinet connection", "operator"), ("Access to the basement", "customer")),
    )


def test_done_prerequisite_is_dated_and_on_the_timeline(job: Job, owner: User) -> None:
    prerequisite = job.prerequisites.get()
    with events_written() as events:
        done = prerequisite_complete(actor=owner, prerequisite=prerequisite)
    assert done.state == Prerequisite.State.DONE
    assert done.done_at is not None and done.done_by == owner
    event = events.one(TimelineEvent.Kind.PREREQUISITE)
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.FIELD
    assert event.summary == f"Prerequisite done for job {job.reference}: Operator connection at the street cabinet"


def test_missing_prerequisite_flag_clears_only_when_all_are_done(
    owner: User, two_step_job: Job, contractor_user: User
) -> None:
    job_cancel(actor=contractor_user, job=two_step_job, reason=Job.CancellationReason.PREREQUISITE_MISSING)
    first, second = two_step_job.prerequisites.all()
    prerequisite_complete(actor=owner, prerequisite=first)
    assert Flag.objects.filter(kind=Flag.Kind.MISSING_PREREQUISITE, cleared_at__isnull=True).exists()
    with events_written() as events:
        prerequisite_complete(actor=owner, prerequisite=second)
    assert not Flag.objects.filter(kind=Flag.Kind.MISSING_PREREQUISITE, cleared_at__isnull=True).exists()
    assert events.kinds() == [TimelineEvent.Kind.PREREQUISITE, TimelineEvent.Kind.FLAG_CLEARED]


def test_done_twice_is_refused(job: Job, owner: User) -> None:
    prerequisite = job.prerequisites.get()
    prerequisite_complete(actor=owner, prerequisite=prerequisite)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        prerequisite_complete(actor=owner, prerequisite=prerequisite)
    assert refused.value.field == "state"
    assert "already done" in refused.value.message


def test_outsiders_cannot_mark_prerequisites(
    job: Job, other_contractor_user: User, other_agent: User, customer: Customer
) -> None:
    prerequisite = job.prerequisites.get()
    for outsider in (other_contractor_user, other_agent, customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            prerequisite_complete(actor=outsider, prerequisite=prerequisite)


def test_a_contractor_ticks_off_only_what_the_contractor_must_do(
    owner: User, case: Case, company: ContractorCompany, contractor_user: User
) -> None:
    job = job_request(
        actor=owner,
        case=case,
        company=company,
        title="Connect the building",
        prerequisites=(("Street cabinet connection", "operator"), ("Bring a 30 m cable", "contractor")),
    )
    operators, own = job.prerequisites.order_by("pk")
    with nothing_written(), pytest.raises(NotAllowed, match="Only network operator"):
        prerequisite_complete(actor=contractor_user, prerequisite=operators)
    assert prerequisite_complete(actor=contractor_user, prerequisite=own).state == Prerequisite.State.DONE
