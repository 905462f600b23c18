"""Multi-step set-ups that several service tests need, each done through the services."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.models import Case
from cases.services import case_close, case_confirm, case_resolve, case_send_confirmation_reminder

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64
# A Windows executable renamed to look harmless: refused by its first bytes, not its name.
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# For tests that only need a closed case: what is left open on it (the cast's job) is not their subject.
CLOSING_ANYWAY = "The customer's problem is solved; what is left open is followed up elsewhere."


def resolve(
    case: Case, actor: User, summary: str = "Fibre socket installed and tested.", override_reason: str = ""
) -> Case:
    return case_resolve(actor=actor, case=case, summary=summary, override_reason=override_reason)


def close_by_confirmation(case: Case, owner: User) -> Case:
    resolve(case, owner, override_reason=CLOSING_ANYWAY)
    return case_confirm(actor=case.customer.user, case=case)


def after_window(reminded_at: datetime) -> datetime:
    return reminded_at + timedelta(days=settings.CONFIRMATION_WINDOW_DAYS, minutes=1)


def close_after_window(case: Case, owner: User) -> Case:
    resolve(case, owner, override_reason=CLOSING_ANYWAY)
    case_send_confirmation_reminder(case=case)
    case.refresh_from_db()
    return case_close(actor=owner, case=case, now=after_window(case.confirmation_reminder_sent_at))


def later(**delta: float) -> datetime:
    return timezone.now() + timedelta(**delta)
