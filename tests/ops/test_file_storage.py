"""Every uploaded file goes through Django's storage API, so any backend (the local disk, an S3
bucket) holds them: here an in-memory storage takes the place of the disk, and what a person
uploads on a page comes back through the policy-checked download views, the disk untouched."""

from pathlib import Path

import pytest
from django.core.files.storage import InMemoryStorage, default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from cases.models import Case
from contractors.services import incident_report
from correspondence.services.inbound import mail_receive
from tests.cases.steps import PNG
from tests.conftest import Cast

RAW_EMAIL = (
    b"From: Jeanne <jeanne@example.test>\r\nTo: support@steward.localhost\r\nSubject: Leak\r\n"
    b"Message-ID: <memory-1@example.test>\r\n\r\nWater again.\r\n"
)


@pytest.fixture
def memory_storage(settings, tmp_path: Path) -> Path:
    """The default storage in memory; the returned media folder must stay empty."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.MEDIA_ROOT = tmp_path / "media-never-written"
    assert isinstance(storages["default"], InMemoryStorage)
    return settings.MEDIA_ROOT


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_attachment_uploaded_on_the_page_comes_back_through_the_download_views(
    cast: Cast, memory_storage: Path
) -> None:
    customer = signed_in(cast.customer.user)
    answer = customer.post(
        reverse("my:new_request"),
        {
            "customer": str(cast.customer.pk),
            "subject": "TV has no picture",
            "details": "Since this morning.",
            "attachments": [SimpleUploadedFile("tv.png", PNG)],
        },
    )
    assert answer.status_code == 302
    case = Case.objects.get(subject="TV has no picture")
    attachment = case.messages.get().attachments.get()
    assert isinstance(attachment.file.storage._wrapped, InMemoryStorage)
    assert default_storage.exists(attachment.file.name)

    mine = customer.get(reverse("my:attachment", args=[case.reference, attachment.pk]))
    assert mine.status_code == 200
    assert b"".join(mine.streaming_content) == PNG
    staff = signed_in(case.owner).get(reverse("staff:attachment", args=[attachment.pk]))
    assert b"".join(staff.streaming_content) == PNG
    # Someone else's customer still gets nothing: the storage changes where, not who.
    other = signed_in(cast.other_customer.user).get(reverse("my:attachment", args=[case.reference, attachment.pk]))
    assert other.status_code == 404
    assert not memory_storage.exists()


def test_a_photo_and_a_raw_email_live_in_the_same_storage(cast: Cast, memory_storage: Path) -> None:
    incident = incident_report(
        actor=cast.contractor_user,
        job=cast.job,
        what="Cracked tile",
        location="Kitchen",
        photos=[SimpleUploadedFile("crack.png", PNG, content_type="image/png")],
    )
    photo = incident.photos.get()
    shown = signed_in(cast.contractor_user).get(reverse("contractor:photo", args=[photo.pk]))
    assert b"".join(shown.streaming_content) == PNG

    inbound = mail_receive(RAW_EMAIL, door="webhook")
    with default_storage.open(inbound.raw.name, "rb") as stored:
        assert stored.read() == RAW_EMAIL
    assert not memory_storage.exists()


def test_uploaded_files_are_never_published_under_a_media_url(cast: Cast, settings) -> None:
    """Nothing in the URLconf (nor WhiteNoise, which serves STATIC_ROOT only) answers for a stored
    file: the views above, which ask the policy first, are the only way to one."""
    incident = incident_report(
        actor=cast.contractor_user,
        job=cast.job,
        what="Cracked tile",
        location="Kitchen",
        photos=[SimpleUploadedFile("crack.png", PNG, content_type="image/png")],
    )
    name = incident.photos.get().file.name
    assert (Path(settings.MEDIA_ROOT) / name).exists()
    url = "/" + settings.MEDIA_URL.strip("/") + "/" + name
    with pytest.raises(Resolver404):
        resolve(url)
    assert signed_in(cast.contractor_user).get(url).status_code == 404
    assert not Path(settings.MEDIA_ROOT).resolve().is_relative_to(Path(settings.STATIC_ROOT).resolve())
