"""Addresses and headers that thread a conversation: who replies where, and which case a reply belongs to.

Every e-mail about a case carries a Reply-To of the form `support+cs-2026-000123.k3j9x2ab@example.org`: the
case reference and a short signature (HMAC of the reference with SECRET_KEY), so an answer comes back to its
case without anyone being able to invent an address that writes into somebody else's case.
"""

import hashlib
import hmac
import re
import uuid

from django.conf import settings

SIGNATURE_LENGTH = 10


def _split(address: str) -> tuple[str, str]:
    local, _, domain = address.rpartition("@")
    return local, domain


def mail_domain() -> str:
    return _split(settings.MAIL_REPLY_ADDRESS)[1] or "localhost"


def _signature(reference: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"reply-to:{reference.upper()}".encode(), hashlib.sha256
    ).hexdigest()
    return digest[:SIGNATURE_LENGTH]


def reply_address(reference: str) -> str:
    """The Reply-To of every e-mail about the case `reference`."""
    local, domain = _split(settings.MAIL_REPLY_ADDRESS)
    return f"{local}+{reference.lower()}.{_signature(reference)}@{domain}"


def reference_from_address(address: str) -> str | None:
    """The case reference an address routes to, if it is one of our signed reply addresses."""
    base_local, base_domain = _split(settings.MAIL_REPLY_ADDRESS)
    local, domain = _split(address.strip().strip("<>"))
    if domain.lower() != base_domain.lower():
        return None
    match = re.fullmatch(rf"{re.escape(base_local)}\+([a-z0-9-]+)\.([0-9a-f]{{{SIGNATURE_LENGTH}}})", local, re.I)
    if match is None:
        return None
    reference = match.group(1).upper()
    if not hmac.compare_digest(match.group(2).lower(), _signature(reference)):
        return None
    return reference


def thread_root_id(reference: str) -> str:
    """The Message-ID every e-mail of a case refers to first, so mail programs keep the case in one thread."""
    return f"<case.{reference.lower()}@{mail_domain()}>"


def new_message_id(reference: str) -> str:
    return f"<{uuid.uuid4().hex}.{reference.lower()}@{mail_domain()}>"
