"""Upload checks read the file's first bytes, not its name."""

from django.core.files.uploadedfile import SimpleUploadedFile

from portal.uploads import sniff_content_type, validate_upload


def test_text_with_a_multibyte_character_cut_at_the_sample_edge_is_still_text(settings) -> None:
    body = ("a" * 2047 + "é" * 10).encode()
    assert sniff_content_type(body[:2048]) == "text/plain"
    assert validate_upload(SimpleUploadedFile("notes.txt", body)) == "text/plain"


def test_a_renamed_executable_is_not_accepted_as_a_photo() -> None:
    import pytest

    from portal.errors import RuleViolation

    with pytest.raises(RuleViolation, match="not a file type we accept"):
        validate_upload(SimpleUploadedFile("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64), images_only=True)
