"""The job page shows what the job needs, and nothing else of the case: no sale, no claim, no
conversation, no other internal note, no other job, no other customer."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.services import claim_file, message_receive, message_reply, note_add, promise_make, sale_record
from contractors.models import ContractorCompany, Job
from contractors.services import incident_correct, incident_report, job_request, job_schedule
from people.models import Customer
from tests.factories import make_contractor_user, make_job

SECRETS = {
    "sale": "Fibre Premium 2 Gb/s",
    "offer": "TV half price",
    "claim": "Mutuelle Habitat",
    "claim number": "MH-7731",
    "internal note": "She may sue us: careful what you write",
    "customer message": "My son will call you about the bill",
    "reply": "We refund the first month",
    "case description": "Sold on the phone with her son present",
    "other job": "Plumbing repair by Other Works",
    "vulnerability": "89 years old",
    "email": "jeanne.secret@example.test",
    "phone": "+33 6 12 34 56 78",
}


@pytest.fixture
def full_case(
    case: Case, job: Job, owner: User, customer: Customer, other_company: ContractorCompany, other_customer: Customer
) -> Case:
    """The cast's case with a record of every kind a contractor must not see."""
    Customer.objects.filter(pk=customer.pk).update(
        email=SECRETS["email"],
        phone=SECRETS["phone"],
        address="12 rue des Lilas\nLyon",
        access_notes="Ring twice; she is slow to reach the door.",
    )
    Case.objects.filter(pk=case.pk).update(description=SECRETS["case description"])
    Job.objects.filter(pk=job.pk).update(
        description="Run the cable along the living-room wall.", contact_window="Mornings; call her son Paul first."
    )
    sale_record(
        actor=owner,
        case=case,
        product=SECRETS["sale"],
        advisor=owner,
        monthly_price=Decimal("39.90"),
        pending_offers=SECRETS["offer"],
    )
    claim_file(
        actor=owner, case=case, insurer=SECRETS["claim"], policy_holder="customer", claim_number=SECRETS["claim number"]
    )
    note_add(actor=owner, case=case, body=SECRETS["internal note"])
    note_add(actor=owner, case=case, body="Bring the long drill bit: the wall is thick.", for_contractor=True)
    message_receive(actor=customer.user, case=case, body=SECRETS["customer message"])
    message_reply(actor=owner, case=case, body=SECRETS["reply"])
    make_job(case=case, company=other_company, actor=owner, title=SECRETS["other job"])
    return case


def _page(client: Client, job: Job) -> str:
    response = client.get(reverse("contractor:job", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_job_page_shows_what_the_job_needs(tech_client: Client, full_case: Case, job: Job) -> None:
    page = _page(tech_client, job)
    for needed in (
        "Jeanne Martin",
        "12 rue des Lilas<br>Lyon",
        "Ring twice; she is slow to reach the door.",
        "Mornings; call her son Paul first.",
        "Run the cable along the living-room wall.",
        "Operator connection at the street cabinet",
        "to be done by the network operator",
        "Bring the long drill bit: the wall is thick.",
        "Olivia Owner",  # whom to call at Steward
    ):
        assert needed in page, needed
    assert timezone.localtime(job.window_start).strftime("%H:%M") in page


def test_the_job_page_never_shows_the_rest_of_the_case(tech_client: Client, full_case: Case, job: Job) -> None:
    page = _page(tech_client, job)
    for what, secret in SECRETS.items():
        assert secret not in page, f"the {what} leaked onto the contractor's job page"
    assert full_case.reference not in page


def test_a_job_without_a_contact_window_says_whom_to_ask(tech_client: Client, job: Job) -> None:
    assert "Not given: ask the case owner" in _page(tech_client, job)


def test_the_job_page_shows_what_was_reported(
    tech_client: Client, job: Job, contractor_user: User, photo: Callable[..., SimpleUploadedFile]
) -> None:
    incident = incident_report(
        actor=contractor_user, job=job, what="Scratched the parquet", location="Hall", photos=[photo()]
    )
    incident_correct(actor=contractor_user, incident=incident, text="Two scratches, not one.")
    page = _page(tech_client, job)
    assert "Scratched the parquet" in page
    assert "1 correction added" in page
    assert reverse("contractor:photo", args=[incident.photos.get().pk]) in page
    assert "/media/" not in page  # photos go through the policy, never a public URL


def test_a_colleagues_job_is_readable_but_offers_no_report_forms(
    tech_client: Client, case: Case, company: ContractorCompany, owner: User
) -> None:
    colleague = make_contractor_user(company, "colleague", admin=False)
    colleague.first_name, colleague.last_name = "Colin", "Colleague"
    colleague.save()
    job = job_request(actor=owner, case=case, company=company, title="Colleague's visit")
    start = timezone.now() + timezone.timedelta(days=2)
    job_schedule(
        actor=owner, job=job, window_start=start, window_end=start + timezone.timedelta(hours=2), technician=colleague
    )
    page = _page(tech_client, job)
    assert "assigned to Colin Colleague" in page
    assert reverse("contractor:job_start", args=[job.pk]) not in page


def _queries(client: Client, job: Job) -> int:
    with CaptureQueriesContext(connection) as captured:
        _page(client, job)
    return len(captured)


def test_query_count_does_not_grow_with_the_jobs_records(
    tech_client: Client, job: Job, owner: User, contractor_user: User, photo: Callable[..., SimpleUploadedFile]
) -> None:
    def add_records(count: int) -> None:
        for n in range(count):
            note_add(actor=owner, case=job.case, body=f"Note {n} for the technician", for_contractor=True)
            incident = incident_report(
                actor=contractor_user, job=job, what=f"Damage {n}", location="Hall", photos=[photo(), photo("b.png")]
            )
            incident_correct(actor=contractor_user, incident=incident, text=f"Correction {n}")
            promise_make(
                actor=contractor_user,
                case=job.case,
                job=job,
                text=f"Back on day {n}",
                due_at=timezone.now() + timedelta(days=n + 1),
            )

    add_records(1)
    with_one = _queries(tech_client, job)
    add_records(5)
    assert _queries(tech_client, job) == with_one
