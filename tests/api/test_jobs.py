"""Contractor jobs through the API: a contractor's own software sees its company's jobs, with
the minimum of the case, and reports visits, prerequisites, damage and promises."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.models import Flag, Promise, TimelineEvent
from contractors.models import IncidentReport, Job, JobPhoto, Prerequisite
from contractors.services import incident_report, job_update_status
from tests.api.conftest import ApiAs
from tests.conftest import Cast
from tests.factories import make_contractor_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def job_url(cast: Cast, suffix: str = "") -> str:
    return reverse("api:job-detail", args=[cast.job.pk]) + suffix


def _when(days: float) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def test_a_contractor_sees_only_their_companys_jobs_with_minimal_case_data(cast: Cast, api_as: ApiAs) -> None:
    mine = api_as(cast.contractor_user).get(reverse("api:job-list")).json()["results"]
    assert [job["id"] for job in mine] == [cast.job.pk]
    case = mine[0]["case"]
    assert set(case) == {"reference", "subject", "human_impact", "owner", "customer"}
    assert set(case["customer"]) == {"full_name", "address", "postcode", "phone", "access_notes"}
    assert mine[0]["prerequisites"][0]["description"] == "Operator connection at the street cabinet"
    assert api_as(cast.other_contractor_user).get(reverse("api:job-list")).json()["results"] == []
    assert api_as(cast.other_contractor_user).get(job_url(cast)).status_code == 404
    assert api_as(cast.customer.user).get(job_url(cast)).status_code == 404


def test_the_contractor_reports_the_visit_from_the_road_to_completion(cast: Cast, api_as: ApiAs) -> None:
    tech = api_as(cast.contractor_user)
    on_the_way = tech.post(job_url(cast, "visit/"), {"status": "on_the_way"})
    assert on_the_way.json()["status"] == "on_the_way"
    blocked = tech.post(job_url(cast, "visit/"), {"status": "on_site"})
    assert blocked.status_code == 400
    assert list(blocked.json()) == ["override_reason"]
    # The street connection is the operator's to make: the owner records it, not the technician.
    done = reverse("api:prerequisite-complete", args=[Prerequisite.objects.get(job=cast.job).pk])
    assert tech.post(done).status_code == 403
    assert api_as(cast.owner).post(done).json()["state"] == "done"
    assert tech.post(job_url(cast, "visit/"), {"status": "on_site"}).json()["status"] == "on_site"
    photo = SimpleUploadedFile("socket.png", PNG, content_type="image/png")
    done = tech.post(
        job_url(cast, "complete/"), {"outcome_report": "Socket installed", "photos": [photo]}, format="multipart"
    )
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    assert JobPhoto.objects.filter(job=cast.job).count() == 1
    assert TimelineEvent.objects.filter(case=cast.case, kind="job_completed").exists()


def test_a_move_the_job_cannot_make_is_refused_and_changes_nothing(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.contractor_user).post(job_url(cast, "complete/"), {"outcome_report": "Done"})
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    assert Job.objects.get(pk=cast.job.pk).status == "scheduled"


def test_a_second_cancellation_flags_the_owner(cast: Cast, api_as: ApiAs) -> None:
    tech = api_as(cast.contractor_user)
    first = tech.post(job_url(cast, "cancel/"), {"reason": "prerequisite_missing"})
    assert first.json()["cancellation_count"] == 1
    tech.post(job_url(cast, "schedule/"), {"window_start": _when(3), "window_end": _when(3.2)})
    other = tech.post(job_url(cast, "cancel/"), {"reason": "other"})
    assert other.status_code == 400
    assert other.json() == {"note": ["Explain the reason for cancelling."]}
    tech.post(job_url(cast, "cancel/"), {"reason": "no_access"})
    assert Flag.objects.filter(kind="repeated_cancellation", subject_key=f"job:{cast.job.pk}").exists()


def test_a_technician_cannot_report_on_a_colleagues_job(cast: Cast, api_as: ApiAs) -> None:
    colleague = make_contractor_user(cast.job.company, "tech2")
    api_as(cast.contractor_user).post(
        job_url(cast, "schedule/"),
        {"window_start": _when(2), "window_end": _when(2.2), "technician": cast.contractor_user.pk},
    )
    client = api_as(colleague)
    assert client.get(job_url(cast)).status_code == 200
    assert client.post(job_url(cast, "visit/"), {"status": "on_the_way"}).status_code == 403
    assert Job.objects.get(pk=cast.job.pk).status == "scheduled"


def test_the_contractor_reports_damage_with_a_photo_and_the_owner_plans_the_repair(cast: Cast, api_as: ApiAs) -> None:
    photo = SimpleUploadedFile("pipe.png", PNG, content_type="image/png")
    reported = api_as(cast.contractor_user).post(
        job_url(cast, "incidents/"),
        {
            "what": "Drilled into the heating pipe",
            "location": "Living room",
            "affects_heating": True,
            "photos": [photo],
        },
        format="multipart",
    )
    assert reported.status_code == 201
    assert reported.json()["affects_heating"] is True
    assert reported.json()["photo_count"] == 1
    incident = reported.json()["id"]
    assert Flag.objects.get(kind="incident", subject_key=f"incident:{incident}").cleared_at is None
    corrected = api_as(cast.contractor_user).post(
        reverse("api:incident-corrections", args=[incident]), {"text": "The hot water pipe."}
    )
    assert corrected.status_code == 201
    repair = reverse("api:incident-repair", args=[incident])
    assert api_as(cast.contractor_user).post(repair, {"plan": "We pay"}).status_code == 403
    planned = api_as(cast.owner).post(repair, {"plan": "Plumber Monday, paid by us"})
    assert planned.status_code == 200
    assert [c["text"] for c in planned.json()["corrections"]] == ["The hot water pipe."]
    assert Flag.objects.get(kind="incident", subject_key=f"incident:{incident}").cleared_at is not None
    listed = api_as(cast.contractor_user).get(job_url(cast, "incidents/")).json()["results"]
    assert [row["id"] for row in listed] == [incident]


def test_an_incident_without_a_description_names_the_field(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.contractor_user).post(job_url(cast, "incidents/"), {"what": "", "location": "Hall"})
    assert response.status_code == 400
    assert list(response.json()) == ["what"]
    assert not IncidentReport.objects.exists()


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(cast: Cast, api_as: ApiAs) -> None:
    fake = SimpleUploadedFile("pipe.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = api_as(cast.contractor_user).post(
        job_url(cast, "incidents/"), {"what": "Pipe", "location": "Hall", "photos": [fake]}, format="multipart"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["photos"]
    assert not IncidentReport.objects.exists()
    assert not Flag.objects.filter(kind="incident").exists()


def test_the_contractor_promises_a_return_visit_and_keeps_it(cast: Cast, api_as: ApiAs) -> None:
    made = api_as(cast.contractor_user).post(
        job_url(cast, "promises/"), {"text": "Back Monday with more workers", "due_at": _when(3), "kind": "visit"}
    )
    assert made.status_code == 201
    promise = Promise.objects.get(pk=made.json()["id"])
    assert promise.job == cast.job
    # The customer sees it on the case; the contractor reads and keeps it by its id.
    assert api_as(cast.customer.user).get(reverse("api:promise-detail", args=[promise.pk])).status_code == 200
    kept = api_as(cast.contractor_user).post(reverse("api:promise-settle", args=[promise.pk]), {"outcome": "kept"})
    assert kept.status_code == 200
    assert api_as(cast.other_contractor_user).get(reverse("api:promise-detail", args=[promise.pk])).status_code == 404


def test_staff_request_a_job_with_its_prerequisites(cast: Cast, api_as: ApiAs) -> None:
    url = reverse("api:case-jobs", args=[cast.case.reference])
    payload = {
        "company": cast.job.company_id,
        "title": "Return visit",
        "contact_window": "Weekdays after 14:00",
        "prerequisites": [{"description": "Street connection", "responsible_party": "operator"}],
    }
    response = api_as(cast.owner).post(url, payload, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "requested"
    assert response.json()["contact_window"] == "Weekdays after 14:00"
    assert [p["responsible_party"] for p in response.json()["prerequisites"]] == ["operator"]
    bad = {**payload, "prerequisites": [{"description": "x", "responsible_party": "nobody"}]}
    refused = api_as(cast.owner).post(url, bad, format="json")
    assert refused.status_code == 400
    assert "prerequisites" in refused.json()
    assert Job.objects.filter(case=cast.case).count() == 2
    assert api_as(cast.customer.user).post(url, payload, format="json").status_code == 403


def test_the_customer_side_sees_their_visits_but_not_the_contractors_working_record(cast: Cast, api_as: ApiAs) -> None:
    incident_report(actor=cast.contractor_user, job=cast.job, what="Scratch", location="Hall")
    url = reverse("api:case-jobs", args=[cast.case.reference])
    for customer_side in (cast.customer.user, cast.delegate):
        [visit] = api_as(customer_side).get(url).json()["results"]
        assert visit["company"]["name"] == "FibreCo Installations"
        assert visit["window_start"] is not None
        assert [p["description"] for p in visit["prerequisites"]] == ["Operator connection at the street cabinet"]
        assert not {"incidents", "technician", "outcome_report", "case"} & set(visit)
    # They open it from their case, not as a job of their own.
    assert api_as(cast.customer.user).get(job_url(cast)).status_code == 404
    assert api_as(cast.other_customer.user).get(url).status_code == 404
    assert "incidents" in api_as(cast.owner).get(url).json()["results"][0]


def test_the_job_list_filters_by_status_and_case(cast: Cast, api_as: ApiAs) -> None:
    job_update_status(actor=cast.contractor_user, job=cast.job, status="on_the_way")
    incident_report(actor=cast.contractor_user, job=cast.job, what="Scratch", location="Hall")
    client = api_as(cast.owner)
    url = reverse("api:job-list")
    assert [j["id"] for j in client.get(url, {"status": "on_the_way"}).json()["results"]] == [cast.job.pk]
    assert client.get(url, {"status": "completed"}).json()["results"] == []
    assert [j["id"] for j in client.get(url, {"case": cast.case.reference}).json()["results"]] == [cast.job.pk]
