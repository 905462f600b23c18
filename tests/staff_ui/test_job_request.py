"""Contractor jobs from the case page: request a job with its prerequisites (and its visit
window when already agreed), confirm our own prerequisites, reschedule, cancel with a reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, TimelineEvent
from contractors.models import ContractorCompany, Job, Prerequisite
from tests.cases.dbstate import nothing_written
from tests.conftest import Cast
from tests.staff_ui.pages import assert_field_error, case_url, folded_form, html, text


def when(**delta: float) -> str:
    return timezone.localtime(timezone.now() + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


def request_job(client, case: Case, **fields: str):
    return client.post(case_url(case, "staff:job_request"), {f"job-{name}": value for name, value in fields.items()})


def refused(client, case: Case, **fields: str):
    with nothing_written():
        response = request_job(client, case, **fields)
    assert response.status_code == 400
    assert "Nothing was saved" in text(response)
    return response


def test_the_case_page_offers_the_request_form_with_three_empty_prerequisite_rows(owner_client, case: Case) -> None:
    assert "Request a contractor job" in html(owner_client.get(case_url(case)))
    page = html(folded_form(owner_client, case, "job"))
    assert 'action="' + case_url(case, "staff:job_request") + '"' in page
    for row in (1, 2, 3):
        assert f'id="id_job-prerequisite_{row}"' in page
        assert f'<label for="id_job-party_{row}">Who must do prerequisite {row}</label>' in page
    assert 'id="id_job-prerequisite_4"' not in page
    assert "<legend>Prerequisites</legend>" in page


def test_a_job_is_requested_with_its_prerequisites(owner_client, case: Case, company: ContractorCompany) -> None:
    response = request_job(
        owner_client,
        case,
        company=str(company.pk),
        title="Install the fibre socket",
        description="Ground-floor flat: living-room wall.",
        contact_window="Weekdays after 5 pm",
        prerequisite_1="Operator connection at the street cabinet",
        party_1="operator",
        prerequisite_2="",
        party_2="",
        prerequisite_3="Confirm the appointment with the customer",
        party_3="us",
    )
    assert response.status_code == 302 and response.url == case_url(case) + "#jobs"
    job = Job.objects.get(case=case, title="Install the fibre socket")
    assert (job.company, job.status, job.contact_window) == (company, Job.Status.REQUESTED, "Weekdays after 5 pm")
    assert job.description == "Ground-floor flat: living-room wall."
    assert [(p.description, p.responsible_party) for p in job.prerequisites.order_by("pk")] == [
        ("Operator connection at the street cabinet", "operator"),
        ("Confirm the appointment with the customer", "us"),
    ]
    event = TimelineEvent.objects.get(case=case, kind=TimelineEvent.Kind.JOB_REQUESTED, subject_key=f"job:{job.pk}")
    assert event.customer_visible
    followed = owner_client.get(response.url)
    assert f"Job {job.reference} requested from FibreCo Installations." in text(followed)


def test_a_job_is_requested_and_scheduled_at_once(owner_client, case: Case, company: ContractorCompany) -> None:
    response = request_job(
        owner_client,
        case,
        company=str(company.pk),
        title="Repair the pipe",
        window_start=when(days=2),
        window_end=when(days=2, hours=3),
    )
    assert response.status_code == 302
    job = Job.objects.get(case=case, title="Repair the pipe")
    assert job.status == Job.Status.SCHEDULED and job.window_start is not None
    kinds = set(TimelineEvent.objects.filter(subject_key=f"job:{job.pk}").values_list("kind", flat=True))
    assert {TimelineEvent.Kind.JOB_REQUESTED, TimelineEvent.Kind.JOB_SCHEDULED} <= kinds
    assert "with its visit window" in text(owner_client.get(response.url))


def test_a_refused_window_leaves_no_job_behind(owner_client, case: Case, company: ContractorCompany) -> None:
    start = when(days=2)
    response = refused(
        owner_client,
        case,
        company=str(company.pk),
        title="Repair the pipe",
        window_start=start,
        window_end=when(days=1),
    )
    assert_field_error(response, "id_job-window_end", "The window must end after it starts.")
    assert f'value="{start}"' in html(response) and 'value="Repair the pipe"' in html(response)
    assert not Job.objects.filter(title="Repair the pipe").exists()


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"title": "Repair"}, "id_job-company", "This field is required."),
        ({"title": "  "}, "id_job-title", "what the job is"),
        ({"title": "Repair", "prerequisite_1": "Shut the water"}, "id_job-party_1", "Say who must do this"),
        ({"title": "Repair", "party_2": "customer"}, "id_job-prerequisite_2", "Say what must be done"),
        ({"title": "Repair", "window_start": when(days=1)}, "id_job-window_end", "Give the end of the visit window"),
    ],
)
def test_incomplete_requests_are_refused_on_their_field(
    owner_client, case: Case, company: ContractorCompany, fields: dict, field_id: str, message: str
) -> None:
    if field_id != "id_job-company":
        fields = {"company": str(company.pk), **fields}
    response = refused(owner_client, case, **fields)
    assert_field_error(response, field_id, message)
    assert 'id="job-form" open' in html(response)


def test_an_inactive_company_is_not_offered(owner_client, case: Case, company: ContractorCompany) -> None:
    ContractorCompany.objects.filter(pk=company.pk).update(is_active=False)
    response = refused(owner_client, case, company=str(company.pk), title="Repair")
    assert_field_error(response, "id_job-company", "Select a valid choice.")


def test_a_colleague_who_may_only_read_cannot_request(other_agent, case: Case, company: ContractorCompany) -> None:
    from tests.staff_ui.conftest import signed_in

    client = signed_in(other_agent)
    assert "Request a contractor job" not in html(client.get(case_url(case)))
    with nothing_written():
        response = request_job(client, case, company=str(company.pk), title="Repair")
    assert response.status_code in (403, 404)


def test_the_owner_marks_a_prerequisite_done(owner_client, job: Job) -> None:
    prerequisite = job.prerequisites.get()
    page = html(owner_client.get(case_url(job.case)))
    assert case_url(job.case, "staff:prerequisite_done", prerequisite.pk) in page
    response = owner_client.post(case_url(job.case, "staff:prerequisite_done", prerequisite.pk))
    assert response.status_code == 302 and response.url == case_url(job.case) + f"#job-{job.pk}"
    prerequisite.refresh_from_db()
    assert prerequisite.state == Prerequisite.State.DONE and prerequisite.done_by == job.case.owner
    followed = owner_client.get(response.url)
    assert "Marked done: Operator connection at the street cabinet." in text(followed)
    assert case_url(job.case, "staff:prerequisite_done", prerequisite.pk) not in html(followed)


def test_a_prerequisite_already_done_says_so(owner_client, job: Job) -> None:
    prerequisite = job.prerequisites.get()
    owner_client.post(case_url(job.case, "staff:prerequisite_done", prerequisite.pk))
    with nothing_written():
        response = owner_client.post(case_url(job.case, "staff:prerequisite_done", prerequisite.pk), follow=True)
    assert "This prerequisite is already done." in text(response)


def test_a_prerequisite_of_another_case_is_not_found(owner_client, cast: Cast) -> None:
    prerequisite = cast.job.prerequisites.get()
    from cases.services import specialist_add

    specialist_add(actor=cast.other_agent, case=cast.other_case, user=cast.owner)
    response = owner_client.post(case_url(cast.other_case, "staff:prerequisite_done", prerequisite.pk))
    assert response.status_code == 404
    prerequisite.refresh_from_db()
    assert prerequisite.state == Prerequisite.State.OPEN


def test_a_requested_job_is_rescheduled_then_cancelled_with_a_reason(owner_client, job: Job) -> None:
    key = f"schedule-{job.pk}"
    page = html(owner_client.get(case_url(job.case)))
    assert "Reschedule the visit" in page and "Cancel the visit" in page
    response = owner_client.post(
        case_url(job.case, "staff:job_schedule", job.pk),
        {f"{key}-window_start": when(days=3), f"{key}-window_end": when(days=3, hours=2)},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.SCHEDULED
    response = owner_client.post(
        case_url(job.case, "staff:job_cancel", job.pk),
        {f"cancel-{job.pk}-reason": "customer_request", f"cancel-{job.pk}-note": "Away that week"},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED and job.last_cancellation_reason == "customer_request"
