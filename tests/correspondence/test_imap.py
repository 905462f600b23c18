"""The mailbox door against a real IMAP server (Dovecot; .ci/run starts one and sets STEWARD_TEST_IMAP_*):
unseen messages are stored, then flagged \\Seen and moved; one that fails to store stays unseen."""

import os
import uuid
from collections.abc import Iterator

import pytest
from imapclient import IMAPClient

from correspondence.inbound import imap as imap_door
from correspondence.inbound.imap import poll_mailbox
from correspondence.models import InboundEmail
from correspondence.tasks import poll_mailbox_task
from tests.conftest import Cast
from tests.correspondence.mails import make_mail

HOST = os.environ.get("STEWARD_TEST_IMAP_HOST", "")
needs_server = pytest.mark.skipif(
    not HOST,
    reason="No IMAP server: set STEWARD_TEST_IMAP_HOST, _PORT, _USER and _PASSWORD (.ci/run starts Dovecot for this)",
)


def _client() -> IMAPClient:
    client = IMAPClient(HOST, port=int(os.environ.get("STEWARD_TEST_IMAP_PORT", "143")), ssl=False, timeout=30)
    client.login(os.environ["STEWARD_TEST_IMAP_USER"], os.environ["STEWARD_TEST_IMAP_PASSWORD"])
    return client


@pytest.fixture
def mailbox(settings) -> Iterator[IMAPClient]:
    """A folder of its own on the server for each test, removed afterwards; the poller points at it."""
    folder = f"steward-test-{uuid.uuid4().hex[:12]}"
    settings.IMAP_HOST = HOST
    settings.IMAP_PORT = int(os.environ.get("STEWARD_TEST_IMAP_PORT", "143"))
    settings.IMAP_USER = os.environ["STEWARD_TEST_IMAP_USER"]
    settings.IMAP_PASSWORD = os.environ["STEWARD_TEST_IMAP_PASSWORD"]
    settings.IMAP_USE_SSL = False
    settings.IMAP_FOLDER = folder
    settings.IMAP_DONE_FOLDER = f"{folder}-done"
    client = _client()
    client.create_folder(folder)
    try:
        yield client
    finally:
        client.select_folder("INBOX")  # a server drops a client whose selected folder is deleted
        for name in (folder, f"{folder}-done"):
            if client.folder_exists(name):
                client.delete_folder(name)
        client.logout()


def _flags(client: IMAPClient, folder: str) -> list[tuple[bytes, ...]]:
    """The flags of each message in the folder (\\Recent, which the server sets itself, left out)."""
    client.select_folder(folder)
    fetched = client.fetch(client.search(["ALL"]), ["FLAGS"]).values()
    return [tuple(flag for flag in data[b"FLAGS"] if flag != rb"\Recent") for data in fetched]


@needs_server
def test_unseen_messages_are_stored_then_marked_read_and_moved(cast: Cast, mailbox: IMAPClient, settings) -> None:
    folder = settings.IMAP_FOLDER
    mailbox.append(folder, make_mail(sender=cast.customer.email, subject=f"Re: {cast.case.reference}"))
    mailbox.append(folder, make_mail(sender="nadia@example.test", subject="Hello", message_id="<n@example.test>"))
    already_read = make_mail(sender=cast.customer.email, subject="Old", message_id="<old@example.test>")
    mailbox.append(folder, already_read, flags=[rb"\Seen"])

    result = poll_mailbox()

    assert (result.stored, result.duplicates, result.failed) == (2, 0, 0)
    stored = {inbound.key: inbound for inbound in InboundEmail.objects.all()}
    assert set(stored) == {"<reply-1@mail.example.test>", "<n@example.test>"}
    assert stored["<reply-1@mail.example.test>"].case == cast.case
    assert all(inbound.door == "mailbox" for inbound in stored.values())
    # The read message was left alone; the two stored ones were marked read and moved.
    assert _flags(mailbox, folder) == [(rb"\Seen",)]
    assert sorted(_flags(mailbox, settings.IMAP_DONE_FOLDER)) == [(rb"\Seen",), (rb"\Seen",)]
    assert poll_mailbox().stored == 0


@needs_server
def test_a_message_that_fails_to_store_stays_unseen_for_the_next_run(
    cast: Cast, mailbox: IMAPClient, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = settings.IMAP_FOLDER
    mailbox.append(folder, make_mail(sender=cast.customer.email, subject="Fine", message_id="<fine@example.test>"))
    mailbox.append(folder, make_mail(sender=cast.customer.email, subject="Bad", message_id="<db-down@example.test>"))
    real = imap_door.mail_receive

    def database_down_for_one(raw: bytes, *, door: str) -> InboundEmail:
        if b"<db-down@example.test>" in raw:
            raise ConnectionError("database unreachable")
        return real(raw, door=door)

    monkeypatch.setattr(imap_door, "mail_receive", database_down_for_one)
    first = poll_mailbox()
    assert (first.stored, first.failed) == (1, 1)
    assert _flags(mailbox, folder) == [()]  # still unseen, still there
    monkeypatch.undo()

    second = poll_mailbox()
    assert (second.stored, second.failed) == (1, 0)
    assert set(InboundEmail.objects.values_list("key", flat=True)) == {"<fine@example.test>", "<db-down@example.test>"}
    assert _flags(mailbox, folder) == []


@needs_server
def test_the_beat_task_polls_the_mailbox(cast: Cast, mailbox: IMAPClient, settings) -> None:
    mailbox.append(settings.IMAP_FOLDER, make_mail(sender=cast.customer.email))
    assert poll_mailbox_task() == {"refiled": 0, "stored": 1, "duplicates": 0, "failed": 0}


def test_without_a_mailbox_the_poller_does_nothing(db: None, settings) -> None:
    settings.IMAP_HOST = ""
    result = poll_mailbox()
    assert (result.configured, result.stored) == (False, 0)
