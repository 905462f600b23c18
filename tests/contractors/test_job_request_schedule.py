"""job_request and job_schedule: a job is asked of an active company with its prerequisites,
then given a visit window the customer sees."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Case, TimelineDepartment, TimelineEvent
from cases.services.timeline import person_name
from contractors.models import ContractorCompany, Job, Prerequisite
from contractors.services import job_cancel, job_request, job_schedule
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import close_by_confirmation
from tests.factories import make_contractor_user, make_job

PREREQUISITES = (("Operator connection at the street cabinet", "operator"), ("Clear the attic", "customer"))


def _window(days: float = 1, hours: float = 4) -> tuple:
    start = timezone.now() + timedelta(days=days)
    return start, start + timedelta(hours=hours)


def test_job_request_writes_job_prerequisites_and_event(owner: User, case: Case, company: ContractorCompany) -> None:
    with events_written() as events:
        job = job_request(
            actor=owner, case=case, company=company, title=" Install fibre socket ", prerequisites=PREREQUISITES
        )
    assert job.status == Job.Status.REQUESTED
    assert job.title == "Install fibre socket"
    assert job.created_by == owner
    assert list(job.prerequisites.values_list("description", "responsible_party", "state")) == [
        ("Operator connection at the street cabinet", "operator", "open"),
        ("Clear the attic", "customer", "open"),
    ]
    event = events.one(TimelineEvent.Kind.JOB_REQUESTED)
    assert event.department == TimelineDepartment.FIELD
    assert event.customer_visible is True
    assert event.actor_label == "Olivia Owner (Customer relations)"
    assert event.summary == f"Job {job.reference} requested from FibreCo Installations: Install fibre socket"
    assert event.subject_key == f"job:{job.pk}"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"title": ""}, "title", "what the job is"),
        ({"title": "t" * 201}, "title", "under 200 characters"),
        ({"prerequisites": (("", "operator"),)}, "prerequisites", "each prerequisite"),
        ({"prerequisites": (("Street cabinet", "the council"),)}, "prerequisites", "not a valid responsible party"),
    ],
)
def test_bad_job_request_is_refused(
    owner: User, case: Case, company: ContractorCompany, changes: dict, field: str, words: str
) -> None:
    arguments = {"actor": owner, "case": case, "company": company, "title": "Install", **changes}
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_request(**arguments)
    assert refused.value.field == field
    assert words in refused.value.message


def test_inactive_company_gets_no_jobs(owner: User, case: Case, company: ContractorCompany) -> None:
    ContractorCompany.objects.filter(pk=company.pk).update(is_active=False)
    company.refresh_from_db()
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_request(actor=owner, case=case, company=company, title="Install")
    assert refused.value.field == "company"
    assert "not an active contractor" in refused.value.message


def test_no_job_on_a_closed_case(owner: User, case: Case, company: ContractorCompany) -> None:
    close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_request(actor=owner, case=case, company=company, title="Install")
    assert refused.value.code == "closed"


def test_outsiders_cannot_request_jobs(
    case: Case, company: ContractorCompany, other_agent: User, contractor_user: User, customer: Customer
) -> None:
    for outsider in (other_agent, contractor_user, customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            job_request(actor=outsider, case=case, company=company, title="Install")


# --- scheduling ----------------------------------------------------------------------------------


def test_contractor_schedules_the_visit_with_a_technician(
    owner: User, case: Case, company: ContractorCompany, contractor_user: User
) -> None:
    job = make_job(case=case, company=company, actor=owner, scheduled=False)
    start, end = _window()
    with events_written() as events:
        job = job_schedule(
            actor=contractor_user, job=job, window_start=start, window_end=end, technician=contractor_user
        )
    job.refresh_from_db()
    assert (job.status, job.window_start, job.window_end, job.technician) == (
        Job.Status.SCHEDULED,
        start,
        end,
        contractor_user,
    )
    event = events.one(TimelineEvent.Kind.JOB_SCHEDULED)
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.FIELD
    assert event.actor_label == f"{person_name(contractor_user)} (FibreCo Installations)"
    assert event.summary.startswith("Visit scheduled (FibreCo Installations)")


def test_rescheduling_says_so(owner: User, job: Job) -> None:
    start, end = _window(days=3)
    with events_written() as events:
        job_schedule(actor=owner, job=job, window_start=start, window_end=end)
    assert events.one(TimelineEvent.Kind.JOB_SCHEDULED).summary.startswith("Visit rescheduled")


def test_a_cancelled_visit_can_be_rescheduled(owner: User, job: Job, contractor_user: User) -> None:
    job_cancel(actor=contractor_user, job=job, reason=Job.CancellationReason.NO_ACCESS)
    start, end = _window(days=2)
    job = job_schedule(actor=owner, job=job, window_start=start, window_end=end)
    assert job.status == Job.Status.SCHEDULED


@pytest.mark.parametrize(
    ("window", "field", "words"),
    [
        ((None, None), "window_start", "start and end"),
        (
            (timezone.now() + timedelta(days=1), timezone.now() + timedelta(hours=2)),
            "window_end",
            "end after it starts",
        ),
        ((timezone.now() - timedelta(days=2), timezone.now() - timedelta(days=1)), "window_start", "in the past"),
    ],
)
def test_bad_window_is_refused(owner: User, job: Job, window: tuple, field: str, words: str) -> None:
    start, end = window
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_schedule(actor=owner, job=job, window_start=start, window_end=end)
    assert refused.value.field == field
    assert words in refused.value.message


def test_technician_must_work_for_the_jobs_company(
    owner: User, job: Job, other_contractor_user: User, other_agent: User
) -> None:
    start, end = _window()
    for wrong in (other_contractor_user, other_agent):
        with nothing_written(), pytest.raises(RuleViolation) as refused:
            job_schedule(actor=owner, job=job, window_start=start, window_end=end, technician=wrong)
        assert refused.value.field == "technician"


def test_outsiders_cannot_schedule(
    job: Job, other_contractor_user: User, other_agent: User, customer: Customer
) -> None:
    start, end = _window()
    for outsider in (other_contractor_user, other_agent, customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            job_schedule(actor=outsider, job=job, window_start=start, window_end=end)


def test_a_technician_of_a_deactivated_company_loses_access(company: ContractorCompany, job: Job) -> None:
    technician = make_contractor_user(company, "tech2")
    ContractorCompany.objects.filter(pk=company.pk).update(is_active=False)
    technician = User.objects.get(pk=technician.pk)
    start, end = _window()
    with nothing_written(), pytest.raises(NotAllowed):
        job_schedule(actor=technician, job=job, window_start=start, window_end=end)


# --- the database's half --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"status": "lost"}, "job_status_valid"),
        ({"window_start": None, "window_end": None}, "job_scheduled_has_window"),
        ({"window_end": timezone.now() - timedelta(days=30)}, "job_window_valid"),
        ({"window_end": None}, "job_window_valid"),
        ({"status": "cancelled"}, "job_cancelled_has_reason"),
        ({"status": "completed"}, "job_completed_has_date"),
        ({"last_cancellation_reason": "weather"}, "job_cancellation_reason_valid"),
    ],
)
def test_database_refuses_invalid_jobs(job: Job, changes: dict, constraint: str) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Job.objects.filter(pk=job.pk).update(**changes)


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"responsible_party": "council"}, "prerequisite_party_valid"),
        # An unknown state breaks both rules; databases report whichever they check first.
        ({"state": "maybe"}, "prerequisite_state_valid|prerequisite_done_has_date"),
        ({"state": "done"}, "prerequisite_done_has_date"),
        ({"done_at": timezone.now()}, "prerequisite_done_has_date"),
    ],
)
def test_database_refuses_invalid_prerequisites(job: Job, changes: dict, constraint: str) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Prerequisite.objects.filter(job=job).update(**changes)


def test_a_contact_window_of_200_characters_is_kept_and_one_more_is_refused(
    owner: User, case: Case, company: ContractorCompany
) -> None:
    longest = "Mornings before 11:00, ring twice; " * 5 + "x" * 25
    assert len(longest) == 200
    job = job_request(actor=owner, case=case, company=company, title="Socket", contact_window=longest)
    assert Job.objects.get(pk=job.pk).contact_window == longest
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_schedule(
            actor=owner, job=job, window_start=_window()[0], window_end=_window()[1], contact_window=longest + "!"
        )
    assert refused.value.field == "contact_window"
