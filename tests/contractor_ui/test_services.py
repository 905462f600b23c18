"""The service rules the contractor pages added: technician invitations (one company per
person), the contact window a job carries, photos on a failed visit, and a job given to one
technician being reported on by that technician or a company administrator."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.models import Case
from cases.services import promise_make
from contractors.models import ContractorCompany, ContractorUser, Job
from contractors.services import (
    incident_report,
    job_fail,
    job_request,
    job_schedule,
    job_share,
    job_update_status,
    technician_invite,
)
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import nothing_written
from tests.factories import CompanyFactory, make_contractor_user


def _invite(actor: User, email: str = "nadia@fibreco.example") -> ContractorUser:
    return technician_invite(actor=actor, first_name="Nadia", last_name="Roux", email=email)


def test_an_invited_technician_joins_the_administrators_company(
    company: ContractorCompany, django_capture_on_commit_callbacks
) -> None:
    boss = make_contractor_user(company, "boss", admin=True)
    with django_capture_on_commit_callbacks(execute=True):
        member = _invite(boss, " Nadia@FibreCo.example ")
    assert member.company == company and not member.is_company_admin
    assert (member.user.username, member.user.email) == ("nadia@fibreco.example", "nadia@fibreco.example")
    assert not member.user.has_usable_password()
    assert mail.outbox[0].to == ["nadia@fibreco.example"]


def test_no_invitation_mail_leaves_when_the_invitation_is_rolled_back(company: ContractorCompany) -> None:
    boss = make_contractor_user(company, "boss", admin=True)
    _invite(boss)  # the test's transaction never commits
    assert not mail.outbox


def test_only_a_company_administrator_invites(contractor_user: User, owner: User, administrator: User) -> None:
    for outsider in (contractor_user, owner, administrator):
        with nothing_written(), pytest.raises(NotAllowed):
            _invite(outsider)


def test_a_person_already_in_a_company_cannot_be_invited_into_another(
    company: ContractorCompany, other_contractor_user: User
) -> None:
    boss = make_contractor_user(company, "boss", admin=True)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _invite(boss, other_contractor_user.email.upper())
    assert refused.value.field == "email"


def test_the_contact_window_is_set_on_request_and_kept_or_replaced_on_scheduling(
    case: Case, company: ContractorCompany, owner: User
) -> None:
    job = job_request(actor=owner, case=case, company=company, title="Socket", contact_window="  Mornings  ")
    assert job.contact_window == "Mornings"
    start = timezone.now() + timedelta(days=1)
    job = job_schedule(actor=owner, job=job, window_start=start, window_end=start + timedelta(hours=2))
    assert Job.objects.get(pk=job.pk).contact_window == "Mornings"
    job = job_schedule(
        actor=owner, job=job, window_start=start, window_end=start + timedelta(hours=3), contact_window="After 14:00"
    )
    assert Job.objects.get(pk=job.pk).contact_window == "After 14:00"


def test_a_contact_window_too_long_is_refused(case: Case, company: ContractorCompany, owner: User) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_request(actor=owner, case=case, company=company, title="Socket", contact_window="x" * 201)
    assert refused.value.field == "contact_window"


def test_a_failed_visit_keeps_its_photos(
    job: Job, contractor_user: User, photo: Callable[..., SimpleUploadedFile]
) -> None:
    job_update_status(actor=contractor_user, job=job, status=Job.Status.ON_SITE, override_reason="Asked to")
    failed = job_fail(actor=contractor_user, job=job, outcome_report="Wall too thick", photos=[photo()])
    assert failed.status == Job.Status.FAILED
    assert [p.incident_id for p in failed.photos.all()] == [None]


@pytest.fixture
def assigned(case: Case, company: ContractorCompany, owner: User, contractor_user: User) -> Job:
    job = job_request(actor=owner, case=case, company=company, title="Assigned visit")
    start = timezone.now() + timedelta(days=1)
    return job_schedule(
        actor=owner, job=job, window_start=start, window_end=start + timedelta(hours=2), technician=contractor_user
    )


def test_a_colleague_cannot_report_on_a_job_given_to_another_technician(
    assigned: Job, company: ContractorCompany
) -> None:
    colleague = make_contractor_user(company, "colleague")
    with nothing_written(), pytest.raises(NotAllowed) as refused:
        incident_report(actor=colleague, job=assigned, what="Broke a tile", location="Hall")
    assert "assigned to" in refused.value.message


def test_the_assigned_technician_the_administrator_staff_and_a_sharing_company_may_report(
    assigned: Job, company: ContractorCompany, contractor_user: User, owner: User
) -> None:
    boss = make_contractor_user(company, "boss", admin=True)
    plumbers = CompanyFactory(name="Plumbers")
    plumber = make_contractor_user(plumbers, "plumber")
    job_share(actor=owner, job=assigned, company=plumbers)
    for reporter in (contractor_user, boss, owner, plumber):
        incident_report(actor=reporter, job=assigned, what=f"Seen by {reporter.username}", location="Hall")
    assert assigned.incidents.count() == 4


def test_a_colleague_may_still_promise_the_customer_a_return(assigned: Job, company: ContractorCompany) -> None:
    """Promises go through the case's own rule (anyone working on the job), not the report rule."""
    colleague = make_contractor_user(company, "colleague")
    promise = promise_make(
        actor=colleague,
        case=assigned.case,
        job=assigned,
        text="Back Monday",
        due_at=timezone.now() + timedelta(days=3),
    )
    assert promise.made_by == colleague
