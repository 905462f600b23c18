"""Checks on uploaded files: size, and a type read from the file's first bytes, not its name."""

import codecs

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.formats import number_format
from django.utils.translation import gettext as _

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
    # Translators: stands for a file's name when it has none, as in “file” is empty.
    name = upload.name or _("file")
    if not upload.size:
        raise RuleViolation(_("“%(name)s” is empty. Choose the file again.") % {"name": name}, field=field)
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        # Rounded before number_format, which cuts extra decimals instead of rounding them.
        raise RuleViolation(
            _("“%(name)s” is %(size)s MB; files may be at most %(limit)s MB.")
            % {
                "name": name,
                "size": number_format(round(upload.size / 1048576, 1), 1),
                "limit": number_format(round(limit / 1048576)),
            },
            field=field,
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    content_type = sniff_content_type(head)
    allowed = [t for t in settings.ATTACHMENT_ALLOWED_TYPES if not images_only or t.startswith("image/")]
    if content_type not in allowed:
        if images_only:
            message = _("“%(name)s” is not a file type we accept. Please send photos (JPEG, PNG, GIF or WebP).")
        else:
            message = _(
                "“%(name)s” is not a file type we accept. Please send photos (JPEG, PNG, GIF, WebP), PDF or text."
            )
        raise RuleViolation(message % {"name": name}, field=field)
    return content_type
