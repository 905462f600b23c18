"""Staff open customers' attachments through the policy, never through a public media URL."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.services import message_receive

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_photo_opens_in_the_browser_and_a_text_file_downloads(client, owner, case) -> None:
    message = message_receive(
        case=case,
        body="Photos and notes",
        attachments=[SimpleUploadedFile("leak.png", PNG), SimpleUploadedFile("notes.txt", b"Leak since Monday")],
    )
    photo, notes = message.attachments.order_by("pk")
    client.force_login(owner)
    shown = client.get(reverse("staff:attachment", args=[photo.pk]))
    assert shown.status_code == 200
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline")
    assert b"".join(shown.streaming_content) == PNG
    downloaded = client.get(reverse("staff:attachment", args=[notes.pk]))
    assert downloaded["Content-Disposition"].startswith("attachment")
    assert downloaded["X-Content-Type-Options"] == "nosniff"


def test_the_case_timeline_links_attachments_through_the_staff_view(client, owner, case) -> None:
    message = message_receive(case=case, body="Photo", attachments=[SimpleUploadedFile("leak.png", PNG)])
    client.force_login(owner)
    page = client.get(reverse("staff:case", args=[case.reference])).content.decode()
    assert reverse("staff:attachment", args=[message.attachments.get().pk]) in page
    assert "/media/" not in page


def test_an_unknown_attachment_is_a_404(client, owner) -> None:
    client.force_login(owner)
    assert client.get(reverse("staff:attachment", args=[999999])).status_code == 404
