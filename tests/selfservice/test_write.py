"""Write to us: a message with photos or documents reaches the owner's case; a refused file
keeps the text typed and stores nothing; writing on a closed case opens a follow-up case."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cases.models import Attachment, Case, Message, TimelineEvent
from cases.services import case_resolve
from tests.cases.dbstate import nothing_written
from tests.cases.steps import EXECUTABLE, PDF, PNG, close_by_confirmation
from tests.conftest import Cast
from tests.selfservice.pages import assert_field_error, html, my_url, text


def _write(client: Client, case: Case, body: str, *files: SimpleUploadedFile):
    return client.post(my_url(case, "my:write"), {"write-body": body, "write-attachments": list(files)})


def test_a_message_with_a_photo_and_a_document_reaches_the_case(cast: Cast, customer_client: Client) -> None:
    response = _write(
        customer_client,
        cast.case,
        "The pipe still leaks, see the photo.",
        SimpleUploadedFile("leak.png", PNG),
        SimpleUploadedFile("quote.pdf", PDF),
    )
    assert response.status_code == 302
    assert response["Location"] == my_url(cast.case)
    message = Message.objects.get(case=cast.case, direction="inbound")
    assert message.body == "The pipe still leaks, see the photo."
    assert message.channel == "portal"
    assert message.author_label == "Jeanne Martin"
    assert sorted(message.attachments.values_list("content_type", flat=True)) == ["application/pdf", "image/png"]
    page = text(customer_client.get(response["Location"]))
    assert page.count("Your message is sent. Olivia Owner will read it and answer you here.") == 1
    assert "leak.png" in page and "quote.pdf" in page


def test_a_delegate_writes_on_behalf_of_the_customer(cast: Cast, delegate_client: Client) -> None:
    _write(delegate_client, cast.case, "I write for my mother.")
    message = Message.objects.get(case=cast.case, direction="inbound")
    assert message.author_label == "Paul Martin, on behalf of Jeanne Martin"
    assert "Message from Paul Martin, on behalf of Jeanne Martin" in text(delegate_client.get(my_url(cast.case)))


def test_a_refused_file_keeps_the_text_and_stores_nothing(cast: Cast, customer_client: Client) -> None:
    with nothing_written():
        response = _write(
            customer_client,
            cast.case,
            "Here is my long letter about the leak.",
            SimpleUploadedFile("photo.jpg", EXECUTABLE),
        )
    assert response.status_code == 400
    assert "Here is my long letter about the leak.</textarea>" in html(response)
    assert_field_error(response, "id_write-attachments", "“photo.jpg” is not a file type we accept.")
    assert "Your text is kept: choose the files again." in text(response)
    assert "Nothing was sent yet" in text(response)
    assert not Attachment.objects.exists()


def test_a_file_too_large_says_the_limit(cast: Cast, customer_client: Client, settings) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024
    with nothing_written():
        response = _write(customer_client, cast.case, "Big photo", SimpleUploadedFile("big.png", PNG + b"0" * 2048))
    assert response.status_code == 400
    assert "files may be at most" in text(response)


def test_too_many_files_are_refused(cast: Cast, customer_client: Client) -> None:
    files = [SimpleUploadedFile(f"p{n}.png", PNG) for n in range(6)]
    with nothing_written():
        response = _write(customer_client, cast.case, "Six photos", *files)
    assert_field_error(response, "id_write-attachments", "Send at most 5 files at a time.")


def test_an_empty_message_says_what_to_do(cast: Cast, customer_client: Client) -> None:
    with nothing_written():
        response = _write(customer_client, cast.case, "   ")
    assert response.status_code == 400
    assert_field_error(response, "id_write-body", "Write your message.")


def test_writing_on_a_resolved_case_reopens_it(cast: Cast, customer_client: Client) -> None:
    case_resolve(
        actor=cast.owner,
        case=cast.case,
        summary="Socket fitted.",
        override_reason="The fibre job left open is a courtesy visit.",
    )
    _write(customer_client, cast.case, "It stopped working again tonight.")
    cast.case.refresh_from_db()
    assert cast.case.status == Case.Status.IN_PROGRESS
    assert cast.case.timeline.filter(kind=TimelineEvent.Kind.REOPENED).exists()


def test_writing_on_a_closed_case_opens_a_follow_up_case(cast: Cast, customer_client: Client) -> None:
    close_by_confirmation(cast.case, cast.owner)
    response = _write(customer_client, cast.case, "Something else broke.")
    follow_up = Case.objects.exclude(pk=cast.case.pk).get(customer=cast.customer)
    assert response["Location"] == my_url(follow_up)
    assert follow_up.messages.get().body == "Something else broke."
    page = text(customer_client.get(response["Location"]))
    assert f"so we opened a new case, {follow_up.reference}, for your message" in page


def test_the_write_page_only_takes_posts(cast: Cast, customer_client: Client) -> None:
    assert customer_client.get(my_url(cast.case, "my:write")).status_code == 405
