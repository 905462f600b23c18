"""The mailbox door: a poller beat runs every minute (the `correspondence.poll_mailbox` task).

It reads the unseen messages of IMAP_FOLDER, one at a time and without marking them read
(BODY.PEEK), hands each to `mail_receive`, and only once the message is stored flags it \\Seen and,
when IMAP_DONE_FOLDER is set, moves it there. A message that could not be stored (the database was
down) stays unseen and is fetched again on the next run; one stored twice (a run killed between the
store and the flag) is recognised by its Message-ID and filed once.

Settings: IMAP_HOST (blank: no mailbox, the poller does nothing), IMAP_PORT, IMAP_USER,
IMAP_PASSWORD, IMAP_USE_SSL (implicit TLS; without it STARTTLS is used whenever the server offers
it), IMAP_FOLDER, IMAP_DONE_FOLDER.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from correspondence.models import InboundEmail
from correspondence.services.inbound import mail_receive
from portal.time_limits import SoftTimeLimitExceeded

logger = logging.getLogger(__name__)

SEEN = rb"\Seen"
# A run reads at most this many messages, so it ends well before the next; the rest wait a minute.
MAX_PER_RUN = 200
TIMEOUT_SECONDS = 60


@dataclass
class PollResult:
    configured: bool = True
    stored: int = 0
    duplicates: int = 0
    failed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def poll_mailbox() -> PollResult:
    """Fetch the unseen messages of the mailbox and store each (see the module's docstring). Raises
    when the server cannot be reached or refuses the login: the task logs it and beat tries again."""
    if not settings.IMAP_HOST:
        return PollResult(configured=False)
    result = PollResult()
    with _connect() as client:
        client.login(settings.IMAP_USER, settings.IMAP_PASSWORD)
        client.select_folder(settings.IMAP_FOLDER)
        done_folder = settings.IMAP_DONE_FOLDER
        if done_folder and not client.folder_exists(done_folder):
            client.create_folder(done_folder)
        uids = sorted(client.search(["UNSEEN"]))[:MAX_PER_RUN]
        for uid in uids:
            try:
                _take(client, uid, done_folder, result)
            except SoftTimeLimitExceeded:
                # Stop between messages; one caught half-way is fetched again (a duplicate) next run.
                taken = result.stored + result.duplicates + result.failed
                logger.warning("Mailbox poll: time limit reached after %s messages; the next run goes on.", taken)
                break
        if done_folder:
            client.expunge()
    return result


def _connect() -> IMAPClient:
    context = ssl.create_default_context()
    client = IMAPClient(
        settings.IMAP_HOST,
        port=settings.IMAP_PORT,
        ssl=settings.IMAP_USE_SSL,
        ssl_context=context,
        timeout=TIMEOUT_SECONDS,
    )
    if not settings.IMAP_USE_SSL and client.has_capability("STARTTLS"):
        client.starttls(context)
    return client


def _take(client: IMAPClient, uid: int, done_folder: str, result: PollResult) -> None:
    fetched = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
    raw = fetched.get(b"BODY[]")
    if not raw:
        return  # expunged by someone else since the search
    try:
        inbound = mail_receive(bytes(raw), door=InboundEmail.Door.MAILBOX)
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        # Not stored: leave it unseen, the next run fetches it again.
        logger.exception("Could not store message %s of the mailbox; it stays unseen for the next run.", uid)
        result.failed += 1
        return
    if inbound.duplicate:
        result.duplicates += 1
    else:
        result.stored += 1
    result.outcomes[inbound.outcome] = result.outcomes.get(inbound.outcome, 0) + 1
    try:
        client.add_flags([uid], [SEEN])
        if done_folder:
            _move(client, uid, done_folder)
    except IMAPClientError:
        # Stored already: fetched again next run, it is a duplicate and files nothing.
        logger.warning("Could not mark message %s of the mailbox as read.", uid, exc_info=True)


def _move(client: IMAPClient, uid: int, folder: str) -> None:
    if client.has_capability("MOVE"):
        client.move([uid], folder)
        return
    client.copy([uid], folder)
    client.delete_messages([uid])
