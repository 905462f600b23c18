"""Reporting a visit from the job page: on the way, on site (blocked by an open prerequisite
unless a reason is given, which flags the owner), cancelled with a reason, done or failed with
photos; a contractor's own prerequisite marked done. Bad input gets a clear error and changes
nothing."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Flag, TimelineEvent
from contractors.models import ContractorCompany, Job, JobCancellation, JobPhoto, Prerequisite
from contractors.services import job_request, job_schedule, job_update_status, prerequisite_complete
from tests.cases.dbstate import nothing_written
from tests.contractor_ui.conftest import JPEG, PDF, signed_in
from tests.factories import make_contractor_user

Status = Job.Status


def _url(name: str, job: Job, *more: int) -> str:
    return reverse(f"contractor:{name}", args=[job.pk, *more])


def _fresh(job: Job) -> Job:
    return Job.objects.get(pk=job.pk)


def _refused(response: HttpResponse, words: str) -> None:
    assert response.status_code == 400
    assert words in response.content.decode()
    assert "Nothing was saved" in response.content.decode()


def _on_site(job: Job, technician: User) -> Job:
    for prerequisite in job.prerequisites.all():
        prerequisite_complete(actor=job.case.owner, prerequisite=prerequisite)  # the operator's, confirmed by staff
    return job_update_status(actor=technician, job=job, status=Status.ON_SITE)


# --- on the way, on site ----------------------------------------------------------------


def test_on_the_way_is_on_the_case(tech_client: Client, job: Job) -> None:
    response = tech_client.post(_url("job_on_the_way", job))
    assert response.status_code == 302 and response["Location"] == _url("job", job)
    assert _fresh(job).status == Status.ON_THE_WAY
    assert TimelineEvent.objects.filter(case=job.case, summary__startswith="Technician on the way").exists()


def test_starting_with_a_prerequisite_open_needs_a_reason(tech_client: Client, job: Job) -> None:
    page = tech_client.get(_url("job", job)).content.decode()
    assert "Not ready:" in page and "Operator connection at the street cabinet" in page
    with nothing_written():
        response = tech_client.post(_url("job_start", job), {"start-override_reason": "   "})
    _refused(response, "Prerequisites still open: Operator connection at the street cabinet")
    assert _fresh(job).status == Status.SCHEDULED


def test_the_override_reason_is_recorded_and_flags_the_owner(tech_client: Client, job: Job, owner: User) -> None:
    reason = "Mrs Martin asked us to fit the indoor socket meanwhile"
    response = tech_client.post(_url("job_start", job), {"start-override_reason": reason})
    assert response.status_code == 302
    assert _fresh(job).status == Status.ON_SITE
    flag = Flag.objects.get(kind=Flag.Kind.PREREQUISITE_OVERRIDE, case=job.case)
    assert flag.assignee == owner and reason in flag.summary
    assert TimelineEvent.objects.filter(case=job.case, summary__contains=reason).exists()


def test_with_every_prerequisite_done_the_visit_starts_without_a_reason(
    tech_client: Client, job: Job, owner: User
) -> None:
    prerequisite_complete(actor=owner, prerequisite=job.prerequisites.get())
    page = tech_client.get(_url("job", job)).content.decode()
    assert "Not ready:" not in page
    assert tech_client.post(_url("job_start", job)).status_code == 302
    assert _fresh(job).status == Status.ON_SITE
    assert not Flag.objects.filter(kind=Flag.Kind.PREREQUISITE_OVERRIDE).exists()


def test_a_status_that_skips_a_step_is_refused(tech_client: Client, job: Job, photo: Callable) -> None:
    """A scheduled visit cannot be reported done without anyone on site."""
    with nothing_written():
        response = tech_client.post(
            _url("job_outcome", job),
            {"outcome-outcome": "completed", "outcome-outcome_report": "All done", "outcome-photos": [photo()]},
        )
    _refused(response, "A job that is scheduled can only become")
    assert _fresh(job).status == Status.SCHEDULED


def test_a_requested_job_cannot_be_started(
    tech_client: Client, case: Case, company: ContractorCompany, owner: User
) -> None:
    requested = job_request(actor=owner, case=case, company=company, title="Not dated yet")
    with nothing_written():
        response = tech_client.post(_url("job_start", requested), {"start-override_reason": "Why not"})
    _refused(response, "A job that is requested can only become")


def test_action_urls_take_only_post(tech_client: Client, job: Job) -> None:
    for name in ("job_on_the_way", "job_start", "job_cancel", "job_outcome", "job_promise"):
        assert tech_client.get(_url(name, job)).status_code == 405


# --- cancellation -----------------------------------------------------------------------


def test_cancelling_records_the_reason_and_what_happened(tech_client: Client, job: Job) -> None:
    response = tech_client.post(
        _url("job_cancel", job),
        {"cancel-reason": "prerequisite_missing", "cancel-note": "No fibre at the street cabinet."},
    )
    assert response.status_code == 302
    job = _fresh(job)
    assert (job.status, job.last_cancellation_reason) == (Status.CANCELLED, "prerequisite_missing")
    cancellation = JobCancellation.objects.get(job=job)
    assert cancellation.note == "No fibre at the street cabinet."
    assert Flag.objects.filter(kind=Flag.Kind.MISSING_PREREQUISITE, case=job.case).exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"cancel-note": "Gate locked"}, "Choose why the visit is cancelled."),
        ({"cancel-reason": "no_access", "cancel-note": ""}, "Say what happened"),
        ({"cancel-reason": "aliens", "cancel-note": "Gate locked"}, "Select a valid choice"),
    ],
)
def test_a_cancellation_without_a_reason_is_refused(
    tech_client: Client, job: Job, data: dict[str, str], words: str
) -> None:
    with nothing_written():
        response = tech_client.post(_url("job_cancel", job), data)
    _refused(response, words)


# --- outcome with photos ----------------------------------------------------------------


def test_the_outcome_report_keeps_its_photos(
    tech_client: Client, job: Job, contractor_user: User, photo: Callable[..., SimpleUploadedFile]
) -> None:
    _on_site(job, contractor_user)
    response = tech_client.post(
        _url("job_outcome", job),
        {
            "outcome-outcome": "completed",
            "outcome-outcome_report": "Socket fitted and tested at 1 Gb/s.",
            "outcome-photos": [photo("socket.png"), photo("router.jpg", JPEG, "image/jpeg")],
        },
    )
    assert response.status_code == 302
    job = _fresh(job)
    assert job.status == Status.COMPLETED and job.outcome_report == "Socket fitted and tested at 1 Gb/s."
    photos = JobPhoto.objects.filter(job=job).order_by("pk")
    assert [(p.original_name, p.content_type, p.incident_id) for p in photos] == [
        ("socket.png", "image/png", None),
        ("router.jpg", "image/jpeg", None),
    ]
    page = tech_client.get(_url("job", job)).content.decode()
    assert "Last outcome reported" in page and reverse("contractor:photo", args=[photos[0].pk]) in page


def test_a_failed_visit_is_reported_with_photos(
    tech_client: Client, job: Job, contractor_user: User, photo: Callable[..., SimpleUploadedFile]
) -> None:
    _on_site(job, contractor_user)
    response = tech_client.post(
        _url("job_outcome", job),
        {"outcome-outcome": "failed", "outcome-outcome_report": "Wall too thick.", "outcome-photos": [photo()]},
    )
    assert response.status_code == 302
    assert _fresh(job).status == Status.FAILED
    assert JobPhoto.objects.filter(job=job).count() == 1


def test_a_photo_of_the_wrong_type_is_refused(
    tech_client: Client, job: Job, contractor_user: User, photo: Callable[..., SimpleUploadedFile]
) -> None:
    _on_site(job, contractor_user)
    disguised = photo("socket.png", PDF, "image/png")  # a PDF named like a photo
    with nothing_written():
        response = tech_client.post(
            _url("job_outcome", job),
            {"outcome-outcome": "completed", "outcome-outcome_report": "Done", "outcome-photos": [photo(), disguised]},
        )
    _refused(response, "is not a file type we accept")
    assert _fresh(job).status == Status.ON_SITE


def test_an_oversized_photo_is_refused(
    tech_client: Client, job: Job, contractor_user: User, photo: Callable[..., SimpleUploadedFile], settings
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024
    _on_site(job, contractor_user)
    huge = photo("huge.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096)
    with nothing_written():
        response = tech_client.post(
            _url("job_outcome", job),
            {"outcome-outcome": "completed", "outcome-outcome_report": "Done", "outcome-photos": [huge]},
        )
    _refused(response, "files may be at most")


def test_more_than_ten_photos_are_refused(
    tech_client: Client, job: Job, contractor_user: User, photo: Callable[..., SimpleUploadedFile]
) -> None:
    _on_site(job, contractor_user)
    with nothing_written():
        response = tech_client.post(
            _url("job_outcome", job),
            {
                "outcome-outcome": "completed",
                "outcome-outcome_report": "Done",
                "outcome-photos": [photo(f"{n}.png") for n in range(11)],
            },
        )
    _refused(response, "Send at most 10 photos")


def test_an_empty_outcome_report_is_refused(tech_client: Client, job: Job, contractor_user: User) -> None:
    _on_site(job, contractor_user)
    with nothing_written():
        response = tech_client.post(
            _url("job_outcome", job), {"outcome-outcome": "completed", "outcome-outcome_report": "  "}
        )
    _refused(response, "Write what was done on the visit.")


# --- someone else's job -----------------------------------------------------------------


@pytest.fixture
def colleagues_job(case: Case, company: ContractorCompany, owner: User) -> Job:
    colleague = make_contractor_user(company, "colleague")
    job = job_request(actor=owner, case=case, company=company, title="Colleague's visit")
    start = timezone.now() + timedelta(days=2)
    return job_schedule(
        actor=owner, job=job, window_start=start, window_end=start + timedelta(hours=3), technician=colleague
    )


def test_a_report_on_a_colleagues_job_is_refused(tech_client: Client, colleagues_job: Job) -> None:
    with nothing_written():
        response = tech_client.post(
            _url("job_cancel", colleagues_job), {"cancel-reason": "no_access", "cancel-note": "Gate locked"}
        )
    assert response.status_code == 403
    assert "only they or your company&#x27;s administrator can report on it" in response.content.decode()


def test_the_company_administrator_may_report_on_any_of_its_jobs(
    colleagues_job: Job, company: ContractorCompany
) -> None:
    boss = signed_in(make_contractor_user(company, "boss", admin=True))
    response = boss.post(_url("job_cancel", colleagues_job), {"cancel-reason": "no_access", "cancel-note": "Gate"})
    assert response.status_code == 302
    assert _fresh(colleagues_job).status == Status.CANCELLED


# --- prerequisites ----------------------------------------------------------------------


def test_the_technician_marks_the_contractors_own_prerequisite_done(
    tech_client: Client, job: Job, contractor_user: User
) -> None:
    own = Prerequisite.objects.create(job=job, description="Bring a 20 m cable", responsible_party="contractor")
    page = tech_client.get(_url("job", job)).content.decode()
    assert _url("prerequisite_done", job, own.pk) in page
    assert _url("prerequisite_done", job, job.prerequisites.get(responsible_party="operator").pk) not in page
    response = tech_client.post(_url("prerequisite_done", job, own.pk))
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.state == Prerequisite.State.DONE and own.done_by == contractor_user


def test_the_technician_cannot_tick_off_the_operators_prerequisite(tech_client: Client, job: Job) -> None:
    operators = job.prerequisites.get()
    with nothing_written():
        response = tech_client.post(_url("prerequisite_done", job, operators.pk))
    assert response.status_code == 403
    assert "only the case owner can mark it done" in response.content.decode()


def test_a_prerequisite_of_another_job_is_not_found(
    tech_client: Client, job: Job, other_case: Case, other_agent: User
) -> None:
    other_job = job_request(
        actor=other_agent,
        case=other_case,
        company=job.company,
        title="Elsewhere",
        prerequisites=[("Their own thing", "contractor")],
    )
    with nothing_written():
        response = tech_client.post(_url("prerequisite_done", job, other_job.prerequisites.get().pk))
    assert response.status_code == 404
