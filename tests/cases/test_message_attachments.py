"""Attachments on messages: checked by size and by their first bytes before anything is
written, so a refused file leaves neither the message nor its text behind."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from pytest_django.fixtures import Settings

from cases.models import Attachment, Case, Message
from cases.services import message_receive, message_reply
from people.models import Customer
from portal.errors import RuleViolation
from tests.cases.dbstate import nothing_written
from tests.cases.steps import EXECUTABLE, PDF, PNG, upload


def _files_on_disk(settings: Settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_accepted_files_are_stored_with_their_sniffed_type(case: Case, customer: Customer, settings: Settings) -> None:
    message = message_receive(
        actor=customer.user,
        case=case,
        body="Photos of the leak and the insurer's letter",
        attachments=[upload("leak.png", PNG), upload("letter.pdf", PDF), upload("notes.txt", b"plain words")],
    )
    stored = {a.original_name: a for a in message.attachments.all()}
    assert set(stored) == {"leak.png", "letter.pdf", "notes.txt"}
    assert stored["leak.png"].content_type == "image/png"
    assert stored["letter.pdf"].content_type == "application/pdf"
    assert stored["notes.txt"].content_type == "text/plain"
    assert stored["leak.png"].size == len(PNG)
    assert stored["leak.png"].file.name.startswith(f"attachments/{case.pk}/")
    assert len(_files_on_disk(settings)) == 3


def test_staff_reply_carries_attachments(owner: User, case: Case) -> None:
    reply = message_reply(actor=owner, case=case, body="The quote", attachments=[upload("quote.pdf", PDF)])
    assert reply.attachments.get().content_type == "application/pdf"


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.pdf", b"", "is empty"),
        ("setup.pdf", EXECUTABLE, "not a file type we accept"),
        ("photo.jpg", EXECUTABLE, "not a file type we accept"),
        ("big.png", PNG + b"\x00" * 2048, "files may be at most"),
    ],
)
def test_refused_attachment_leaves_the_message_unsaved(
    case: Case, customer: Customer, settings: Settings, name: str, content: bytes, words: str
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        message_receive(
            actor=customer.user,
            case=case,
            body="This text must not be saved without its file",
            attachments=[upload("fine.png", PNG), upload(name, content)],
        )
    assert refused.value.field == "attachments"
    assert words in refused.value.message
    assert f"“{name}”" in refused.value.message
    assert not Message.objects.filter(body__startswith="This text must not").exists()
    assert _files_on_disk(settings) == []


def test_refused_attachment_on_a_reply_writes_nothing(owner: User, case: Case, settings: Settings) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        message_reply(actor=owner, case=case, body="Invoice", attachments=[upload("invoice.pdf", EXECUTABLE)])
    assert refused.value.field == "attachments"
    assert _files_on_disk(settings) == []


def test_database_refuses_an_empty_attachment(owner: User, case: Case) -> None:
    reply = message_reply(actor=owner, case=case, body="Invoice", attachments=[upload("invoice.pdf", PDF)])
    with pytest.raises(IntegrityError, match="attachment_not_empty"), transaction.atomic():
        Attachment.objects.filter(message=reply).update(size=0)
