"""`manage.py mail_ingest [FILE]`: the door a mail server pipes into. Exit 0 once stored; 75 (try again
later) when the message could not be stored, so the mail server keeps it."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from cases.models import Message
from correspondence.models import InboundEmail
from tests.conftest import Cast
from tests.correspondence.mails import make_mail


def _ingest(*args: str) -> str:
    out = io.StringIO()
    call_command("mail_ingest", *args, stdout=out)
    return out.getvalue().strip()


def test_a_message_from_a_file_is_stored_and_filed(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "reply.eml"
    path.write_bytes(make_mail(sender=cast.customer.email, subject=f"Re: {cast.case.reference}"))
    assert _ingest(str(path)) == f"{cast.case.reference} filed"
    inbound = InboundEmail.objects.get()
    assert (inbound.door, inbound.case, inbound.outcome) == ("pipe", cast.case, "filed")
    assert _ingest(str(path)) == f"{cast.case.reference} filed (duplicate)"
    assert Message.objects.filter(direction="inbound").count() == 1


def test_a_message_from_standard_input_is_stored_and_filed(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = make_mail(sender="Nadia <nadia@example.test>", subject="Do you cover Villeurbanne?")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    printed = _ingest()
    inbound = InboundEmail.objects.get()
    assert printed == f"{inbound.case.reference} triage"
    with inbound.raw.open("rb") as stored:
        assert stored.read() == raw


def test_empty_input_is_a_data_error(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\n")))
    with pytest.raises(CommandError) as refused:
        _ingest("-")
    assert refused.value.returncode == 65
    assert not InboundEmail.objects.exists()


def test_a_missing_file_is_no_input(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as refused:
        _ingest(str(tmp_path / "nowhere.eml"))
    assert refused.value.returncode == 66


def test_an_unreachable_database_asks_the_mail_server_to_retry(tmp_path: Path) -> None:
    """A real process against a database server that is not there: exit 75 (EX_TEMPFAIL), which
    mail servers take as "keep the message and try again later"; nothing is left behind."""
    message = tmp_path / "reply.eml"
    message.write_bytes(make_mail(sender="jeanne@example.test"))
    environment = {
        **os.environ,
        "DATABASE_URL": "postgres://steward:steward@127.0.0.1:9/steward",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "STEWARD_VAR_DIR": str(tmp_path / "var"),
    }
    finished = subprocess.run(  # noqa: S603 (our own manage.py, no outside input)
        [sys.executable, "manage.py", "mail_ingest", str(message)],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        timeout=120,
    )
    assert finished.returncode == 75, finished.stderr.decode()
    assert b"try again later" in finished.stderr
    media = tmp_path / "media"
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))
