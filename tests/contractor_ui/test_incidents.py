"""Damage reports: one click from the job page, on the case timeline at once, the owner
flagged, never edited afterwards (corrections are appended)."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases import policies
from cases.models import Flag, TimelineEvent
from contractors.models import IncidentCorrection, IncidentReport, Job, JobPhoto
from contractors.services import incident_report
from people.models import Customer
from tests.cases.dbstate import nothing_written
from tests.contractor_ui.conftest import PDF

Photo = Callable[..., SimpleUploadedFile]


def _report(photo: Photo, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "incident-what": "Drilled into a heating pipe while running the cable",
        "incident-location": "Living room, behind the radiator",
        "incident-immediate_action": "Water shut off at the main valve; towels under the leak.",
        "incident-affects": ["water", "heating"],
        "incident-photos": [photo("leak.png")],
    }
    data.update(changes)
    return data


def test_damage_is_reported_one_click_from_the_job_page(tech_client: Client, job: Job) -> None:
    page = tech_client.get(reverse("contractor:job", args=[job.pk])).content.decode()
    link = reverse("contractor:incident_new", args=[job.pk])
    assert f'href="{link}"' in page
    form = tech_client.get(link)
    assert form.status_code == 200
    assert "File the damage report" in form.content.decode()


def test_a_damage_report_lands_on_the_case_at_once_and_flags_the_owner(
    tech_client: Client, job: Job, owner: User, customer: Customer, photo: Photo
) -> None:
    response = tech_client.post(reverse("contractor:incident_new", args=[job.pk]), _report(photo))
    incident = IncidentReport.objects.get(job=job)
    assert response.status_code == 302 and response["Location"] == reverse("contractor:incident", args=[incident.pk])
    assert (incident.affects_water, incident.affects_power, incident.affects_heating) == (True, False, True)
    assert incident.immediate_action == "Water shut off at the main valve; towels under the leak."
    assert [p.original_name for p in incident.photos.all()] == ["leak.png"]

    event = TimelineEvent.objects.get(case=job.case, kind=TimelineEvent.Kind.INCIDENT)
    assert "Living room, behind the radiator" in event.summary and "Affects water, heating" in event.summary
    # The customer sees it on her own case, as she lives with the damage.
    assert policies.timeline_for(customer.user, job.case).filter(pk=event.pk).exists()
    flag = Flag.objects.get(kind=Flag.Kind.INCIDENT, case=job.case, cleared_at__isnull=True)
    assert flag.assignee == owner

    page = tech_client.get(response["Location"]).content.decode()
    assert "Drilled into a heating pipe" in page and "water heating" in page


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"incident-what": "   "}, "Write what was damaged."),
        ({"incident-location": ""}, "This field is required."),
    ],
)
def test_a_report_without_what_or_where_is_refused(
    tech_client: Client, job: Job, photo: Photo, changes: dict[str, str], words: str
) -> None:
    with nothing_written():
        response = tech_client.post(reverse("contractor:incident_new", args=[job.pk]), _report(photo, **changes))
    assert response.status_code == 400
    assert words in response.content.decode()


def test_a_report_with_a_photo_of_the_wrong_type_is_refused(tech_client: Client, job: Job, photo: Photo) -> None:
    with nothing_written():
        response = tech_client.post(
            reverse("contractor:incident_new", args=[job.pk]),
            _report(photo, **{"incident-photos": [photo("leak.png", PDF, "image/png")]}),
        )
    assert response.status_code == 400
    assert "is not a file type we accept" in response.content.decode()


@pytest.fixture
def incident(job: Job, contractor_user: User, photo: Photo) -> IncidentReport:
    return incident_report(
        actor=contractor_user, job=job, what="Scratched the parquet", location="Hall", photos=[photo()]
    )


def test_a_correction_is_appended_and_the_report_stays_as_filed(
    tech_client: Client, incident: IncidentReport, contractor_user: User
) -> None:
    before = IncidentReport.objects.values().get(pk=incident.pk)
    response = tech_client.post(
        reverse("contractor:incident_correct", args=[incident.pk]), {"correction-text": "Two scratches, not one."}
    )
    assert response.status_code == 302
    assert IncidentReport.objects.values().get(pk=incident.pk) == before
    correction = IncidentCorrection.objects.get(incident=incident)
    assert (correction.text, correction.written_by) == ("Two scratches, not one.", contractor_user)
    assert TimelineEvent.objects.filter(summary="Correction to the damage report: Two scratches, not one.").exists()
    page = tech_client.get(reverse("contractor:incident", args=[incident.pk])).content.decode()
    assert page.index("Scratched the parquet") < page.index("Two scratches, not one.")


def test_an_empty_correction_is_refused(tech_client: Client, incident: IncidentReport) -> None:
    with nothing_written():
        response = tech_client.post(
            reverse("contractor:incident_correct", args=[incident.pk]), {"correction-text": "  "}
        )
    assert response.status_code == 400
    assert "Write the correction." in response.content.decode()


def test_a_filed_report_cannot_be_edited(tech_client: Client, incident: IncidentReport) -> None:
    """There is no edit page: the report's own URL takes no changes."""
    with nothing_written():
        response = tech_client.post(
            reverse("contractor:incident", args=[incident.pk]), {"incident-what": "Nothing happened"}
        )
    assert response.status_code == 405
    assert JobPhoto.objects.filter(incident=incident).count() == 1
