"""Photos are served through a view that asks the policy, never from a public media URL."""

from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from contractors.models import Job, JobPhoto
from contractors.services import incident_report
from tests.contractor_ui.conftest import PNG


@pytest.fixture
def stored(job: Job, contractor_user: User, photo: Callable[..., SimpleUploadedFile]) -> JobPhoto:
    incident = incident_report(
        actor=contractor_user, job=job, what="Cracked tile", location="Kitchen", photos=[photo("crack é.png")]
    )
    return incident.photos.get()


def test_the_photo_is_served_with_its_checked_type(tech_client: Client, stored: JobPhoto) -> None:
    response = tech_client.get(reverse("contractor:photo", args=[stored.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "private" in response["Cache-Control"]


def test_photos_are_not_published_under_the_media_url(job: Job, stored: JobPhoto) -> None:
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/" + settings.MEDIA_URL.strip("/") + "/" + stored.file.name)


def test_a_missing_photo_is_a_404(tech_client: Client, stored: JobPhoto) -> None:
    assert tech_client.get(reverse("contractor:photo", args=[stored.pk + 1000])).status_code == 404


def test_another_company_cannot_fetch_the_photo(other_tech_client: Client, stored: JobPhoto) -> None:
    assert other_tech_client.get(reverse("contractor:photo", args=[stored.pk])).status_code == 404


def test_photos_take_only_get(tech_client: Client, stored: JobPhoto) -> None:
    assert tech_client.post(reverse("contractor:photo", args=[stored.pk])).status_code == 405
