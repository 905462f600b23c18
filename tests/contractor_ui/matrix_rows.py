"""The role-matrix rows of the contractor pages (issue 6), added to tests/role_matrix.py's table.

Only users of a company a job is assigned or shared to reach its pages: in the matrix's world
the "contractor_user" works for the cast's job's company, and "other_contractor_user" for
another one, who gets a 404 for every job, photo and report of it (the same answer as for one
that does not exist), and reaches only their own jobs list and team. Staff, customers,
delegates and the administrator get a 404 on contractor pages; anonymous visitors sign in.
Two exceptions: photos follow the job policy (staff see them, to judge the damage), and the
scorecard is a staff page. Only company administrators invite technicians; the cast's
contractor users are not administrators, so their invitations are refused (403).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from contractors.models import IncidentReport, JobPhoto, Prerequisite
from contractors.services import job_update_status
from tests.role_matrix import (
    ACCEPTED,
    DENIED,
    HIDDEN,
    LOGIN,
    NOT_ALLOWED,
    OK,
    PNG,
    Expectations,
    Outcome,
    Row,
    World,
    every,
)


def company_only(ours: Outcome, *, other_company: Outcome = HIDDEN) -> Expectations:
    """`ours` for the job's company's user, `other_company` for another company's; 404 for
    everyone else, sign-in for anonymous visitors."""
    return every(HIDDEN, contractor_user=ours, other_contractor_user=other_company, anonymous=LOGIN)


READ = company_only(OK)
POST_ONLY = company_only(NOT_ALLOWED)
CHANGE = company_only(ACCEPTED)
OWN_COMPANY_READ = company_only(OK, other_company=OK)


def _when(days: float) -> str:
    return timezone.localtime(timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _job(world: World) -> int:
    return world.cast.job.pk


def _incident(world: World) -> int:
    return IncidentReport.objects.filter(job=world.cast.job).order_by("pk").first().pk


def _photo(world: World) -> int:
    return JobPhoto.objects.filter(job=world.cast.job).order_by("pk").first().pk


def _own_prerequisite(world: World) -> int:
    """A prerequisite the contractor must do (the cast's job has only the operator's); the
    test's savepoint takes it away again."""
    return Prerequisite.objects.create(
        job=world.cast.job, description="Bring a 20 m cable", responsible_party=Prerequisite.Party.CONTRACTOR
    ).pk


def on_job(name: str, *more: Callable[[World], object]) -> Callable[[World], str]:
    return lambda world: reverse(f"contractor:{name}", args=[_job(world), *(arg(world) for arg in more)])


def named(name: str, *args: Callable[[World], object]) -> Callable[[World], str]:
    return lambda world: reverse(f"contractor:{name}", args=[arg(world) for arg in args])


def _payload(**fields: object) -> Callable[[World, User | None], dict[str, object]]:
    return lambda world, user: dict(fields)


def _outcome_payload(world: World, user: User | None) -> dict[str, object]:
    """Reporting the outcome needs the technician on site first (undone by the savepoint)."""
    job, tech = world.cast.job, world.cast.contractor_user
    job_update_status(actor=tech, job=job, status="on_site", override_reason="Cabinet checked by phone")
    return {
        "outcome-outcome": "completed",
        "outcome-outcome_report": "Socket installed and tested",
        "outcome-photos": [SimpleUploadedFile("socket.png", PNG, content_type="image/png")],
    }


def _incident_payload(world: World, user: User | None) -> dict[str, object]:
    return {
        "incident-what": "Scratched the skirting board",
        "incident-location": "Hall",
        "incident-affects": ["power"],
        "incident-photos": [SimpleUploadedFile("board.png", PNG, content_type="image/png")],
    }


def _invite_payload(world: World, user: User | None) -> dict[str, object]:
    return {"invite-first_name": "Nadia", "invite-last_name": "Roux", "invite-email": "nadia.roux@matrix.example"}


def _change_row(
    name: str, payload: Callable[[World, User | None], dict[str, object]], *more: Callable[[World], object]
) -> Row:
    return Row(f"contractor:{name}", on_job(name, *more), get=POST_ONLY, post=CHANGE, payload=payload)


CONTRACTOR_ROWS: list[Row] = [
    Row("contractor:jobs", lambda world: reverse("contractor:jobs"), get=OWN_COMPANY_READ),
    Row("contractor:job", on_job("job"), get=READ, post=company_only(NOT_ALLOWED)),
    _change_row("job_on_the_way", _payload()),
    _change_row("job_start", _payload(**{"start-override_reason": "Mrs Martin asked us to fit the socket"})),
    _change_row("job_cancel", _payload(**{"cancel-reason": "no_access", "cancel-note": "Gate locked"})),
    _change_row("job_outcome", _outcome_payload),
    _change_row("prerequisite_done", _payload(), _own_prerequisite),
    _change_row(
        "job_promise",
        lambda world, user: {"promise-text": "Back Monday with two workers", "promise-due_at": _when(3)},
    ),
    Row("contractor:incident_new", on_job("incident_new"), get=READ, post=CHANGE, payload=_incident_payload),
    # A filed report takes no changes: only corrections, appended.
    Row("contractor:incident", named("incident", _incident), get=READ, post=company_only(NOT_ALLOWED)),
    Row(
        "contractor:incident_correct",
        named("incident_correct", _incident),
        get=POST_ONLY,
        post=CHANGE,
        payload=_payload(**{"correction-text": "It was the hot-water pipe."}),
    ),
    Row(
        "contractor:photo",
        named("photo", _photo),
        get=every(HIDDEN, staff=OK, manager=OK, colleague=OK, contractor_user=OK, administrator=OK, anonymous=LOGIN),
    ),
    Row(
        "contractor:team",
        lambda world: reverse("contractor:team"),
        get=OWN_COMPANY_READ,
        post=company_only(DENIED, other_company=DENIED),
        payload=_invite_payload,
    ),
    # A link that was never sent: everyone is told it no longer works, and nothing is set.
    Row(
        "contractor:invitation_accept",
        lambda world: reverse("contractor:invitation_accept", args=["MA", "no-such-token"]),
        get=every(OK),
        post=every(OK),
        payload=_payload(new_password1="Fresh-steward-pass-42", new_password2="Fresh-steward-pass-42"),
    ),
    Row(
        "contractor:scorecard",
        lambda world: reverse("contractor:scorecard"),
        get=every(HIDDEN, staff=OK, manager=OK, colleague=OK, anonymous=LOGIN),
    ),
]
