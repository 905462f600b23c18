"""incident_report, incident_correct and incident_plan_repair: damage caused on site is on
the case at once and flags the owner; reports are never edited, corrections are appended;
the owner's repair plan clears the flag."""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from cases.models import Flag, TimelineDepartment, TimelineEvent
from cases.services.timeline import person_name
from contractors.models import IncidentCorrection, IncidentReport, Job, JobPhoto
from contractors.services import incident_correct, incident_plan_repair, incident_report
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import EXECUTABLE, PDF, PNG, upload

WHAT = "Drilled into a heating pipe behind the socket"


def _report(actor: User, job: Job, **overrides: object) -> IncidentReport:
    arguments = {"what": WHAT, "location": "Living room", **overrides}
    return incident_report(actor=actor, job=job, **arguments)


def test_incident_is_on_the_case_at_once_and_flags_the_owner(owner: User, job: Job, contractor_user: User) -> None:
    with events_written() as events:
        incident = _report(
            contractor_user,
            job,
            immediate_action=" Water shut off ",
            affects_water=True,
            affects_heating=True,
            photos=[upload("pipe.png", PNG)],
        )
    assert incident.reported_by == contractor_user
    assert incident.immediate_action == "Water shut off"
    photo = JobPhoto.objects.get(incident=incident)
    assert photo.job == job and photo.content_type == "image/png"
    event = events.one(TimelineEvent.Kind.INCIDENT)
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.FIELD
    assert event.actor_label == f"{person_name(contractor_user)} (FibreCo Installations)"
    assert event.summary == f"Damage reported by FibreCo Installations (Living room): {WHAT}. Affects water, heating."
    assert event.data == {"affects": ["water", "heating"], "sentence": event.data["sentence"]}
    flag = Flag.objects.get(kind=Flag.Kind.INCIDENT, subject_key=f"incident:{incident.pk}")
    assert flag.assignee == owner and flag.level == 1
    assert events.one(TimelineEvent.Kind.FLAG_RAISED).customer_visible is False


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"what": ""}, "what", "what was damaged"),
        ({"location": " "}, "location", "where it happened"),
        ({"location": "l" * 201}, "location", "under 200 characters"),
        ({"photos": [upload("report.pdf", PDF)]}, "photos", "photos (JPEG, PNG, GIF or WebP)"),
        ({"photos": [upload("pipe.jpg", EXECUTABLE)]}, "photos", "not a file type"),
    ],
)
def test_bad_incident_report_is_refused(job: Job, contractor_user: User, changes: dict, field: str, words: str) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _report(contractor_user, job, **changes)
    assert refused.value.field == field
    assert words in refused.value.message


def test_outsiders_cannot_report_damage(
    job: Job, other_contractor_user: User, other_agent: User, customer: Customer
) -> None:
    for outsider in (other_contractor_user, other_agent, customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            _report(outsider, job)


def test_the_owner_may_report_damage_too(owner: User, job: Job) -> None:
    incident = _report(owner, job)
    assert Flag.objects.filter(subject_key=f"incident:{incident.pk}").exists()


# --- corrections are appended -----------------------------------------------------------------------


def test_corrections_append_and_leave_the_report_as_written(job: Job, contractor_user: User, owner: User) -> None:
    incident = _report(contractor_user, job)
    with events_written() as events:
        incident_correct(actor=contractor_user, incident=incident, text="It was the hot-water pipe, not heating")
    incident_correct(actor=owner, incident=incident, text="Insurer informed")
    incident.refresh_from_db()
    assert incident.what == WHAT
    assert list(incident.corrections.values_list("text", flat=True)) == [
        "It was the hot-water pipe, not heating",
        "Insurer informed",
    ]
    event = events.one(TimelineEvent.Kind.INCIDENT)
    assert event.customer_visible is True
    assert event.summary == "Correction to the damage report: It was the hot-water pipe, not heating"
    assert event.subject_key == f"incident:{incident.pk}"


def test_correction_needs_text(job: Job, contractor_user: User) -> None:
    incident = _report(contractor_user, job)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        incident_correct(actor=contractor_user, incident=incident, text="")
    assert refused.value.field == "text"


def test_outsiders_cannot_correct(
    job: Job, contractor_user: User, other_contractor_user: User, customer: Customer
) -> None:
    incident = _report(contractor_user, job)
    for outsider in (other_contractor_user, customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            incident_correct(actor=outsider, incident=incident, text="Never happened")


# --- the owner plans the repair -------------------------------------------------------------------


def test_repair_plan_clears_the_incident_flag(owner: User, job: Job, contractor_user: User) -> None:
    incident = _report(contractor_user, job)
    with events_written() as events:
        incident_plan_repair(actor=owner, incident=incident, plan="Plumber booked Thursday; our insurer pays")
    assert not Flag.objects.filter(subject_key=f"incident:{incident.pk}", cleared_at__isnull=True).exists()
    planned = events.one(TimelineEvent.Kind.INCIDENT)
    assert planned.customer_visible is True
    assert planned.summary == "Repair planned for the damage: Plumber booked Thursday; our insurer pays"
    assert TimelineEvent.Kind.FLAG_CLEARED in events.kinds()


def test_repair_plan_needs_text(owner: User, job: Job, contractor_user: User) -> None:
    incident = _report(contractor_user, job)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        incident_plan_repair(actor=owner, incident=incident, plan="")
    assert refused.value.field == "plan"


def test_only_those_working_on_the_case_plan_the_repair(
    job: Job, contractor_user: User, other_agent: User, customer: Customer
) -> None:
    incident = _report(contractor_user, job)
    for outsider in (contractor_user, other_agent, customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            incident_plan_repair(actor=outsider, incident=incident, plan="We'll see")


# --- the database's half --------------------------------------------------------------------------


def test_database_refuses_an_incident_without_description(job: Job, contractor_user: User) -> None:
    with pytest.raises(IntegrityError, match="incident_what_required"), transaction.atomic():
        IncidentReport.objects.create(job=job, reported_by=contractor_user, what="", location="Hall")


def test_database_refuses_an_empty_correction(job: Job, contractor_user: User) -> None:
    incident = _report(contractor_user, job)
    with pytest.raises(IntegrityError, match="correction_text_required"), transaction.atomic():
        IncidentCorrection.objects.create(incident=incident, text="", written_by=contractor_user)


def test_database_refuses_an_empty_photo(job: Job, contractor_user: User) -> None:
    incident = _report(contractor_user, job, photos=[upload("pipe.png", PNG)])
    with pytest.raises(IntegrityError, match="photo_not_empty"), transaction.atomic():
        JobPhoto.objects.filter(incident=incident).update(size=0)


def test_an_incident_report_cannot_be_edited_or_deleted_afterwards(job, contractor_user) -> None:
    from contractors.models import IncidentReport
    from contractors.services import incident_report

    incident = incident_report(actor=contractor_user, job=job, what="Drilled into a heating pipe", location="Hall")
    incident.what = "Nothing happened"
    with pytest.raises(TypeError, match="append-only"):
        incident.save()
    with pytest.raises(TypeError, match="append-only"):
        IncidentReport.objects.filter(pk=incident.pk).update(what="Nothing happened")
    with pytest.raises(TypeError, match="append-only"):
        incident.delete()
    assert IncidentReport.objects.get(pk=incident.pk).what == "Drilled into a heating pipe"
