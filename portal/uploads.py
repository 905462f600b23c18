"""Checks on uploaded files: size, and a type read from the file's first bytes, not its name."""

import codecs

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from portal.errors import RuleViolation

_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]


def sniff_content_type(head: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    try:
        # Incremental: a multi-byte character cut at the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    return "text/plain" if b"\x00" not in head else None


def validate_upload(upload: UploadedFile, *, field: str = "attachments", images_only: bool = False) -> str:
    """Return the file's real content type, or raise RuleViolation saying what to do."""
    name = upload.name or "file"
    if not upload.size:
        raise RuleViolation(f"“{name}” is empty. Choose the file again.", field=field)
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise RuleViolation(
            f"“{name}” is {upload.size / 1048576:.1f} MB; files may be at most {limit / 1048576:.0f} MB.",
            field=field,
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    content_type = sniff_content_type(head)
    allowed = [t for t in settings.ATTACHMENT_ALLOWED_TYPES if not images_only or t.startswith("image/")]
    if content_type not in allowed:
        kinds = "photos (JPEG, PNG, GIF or WebP)" if images_only else "photos (JPEG, PNG, GIF, WebP), PDF or text"
        raise RuleViolation(f"“{name}” is not a file type we accept. Please send {kinds}.", field=field)
    return content_type
