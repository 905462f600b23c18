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


# --- photos of customers' homes lose their camera metadata ----------------------------------------


def _photo_with_location(*, orientation: int = 6, image_format: str = "JPEG") -> bytes:
    """A 40×20 photo whose EXIF holds a GPS position, the phone's make and an orientation."""
    import io

    from PIL import ExifTags, Image

    image = Image.new("RGB", (40, 20), (200, 30, 30))
    image.putpixel((0, 0), (0, 0, 255))  # a blue corner shows which way the pixels turned
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (45.0, 45.0, 36.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (4.0, 50.0, 24.0),
    }
    buffer = io.BytesIO()
    image.save(
        buffer, format=image_format, exif=exif, **({"comment": b"Home of J. Martin"} if image_format == "JPEG" else {})
    )
    return buffer.getvalue()


def _metadata_of(data: bytes) -> tuple[dict, tuple[int, int], set[str]]:
    import io

    from PIL import ExifTags, Image

    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return dict(exif) | {"gps": dict(exif.get_ifd(ExifTags.IFD.GPSInfo))}, image.size, set(image.info)


def test_the_photo_built_for_these_tests_does_carry_a_location() -> None:
    exif, size, _ = _metadata_of(_photo_with_location())
    assert exif["gps"] and exif[0x010F] == "PhoneMaker" and size == (40, 20)


def test_a_photo_loses_its_location_and_camera_but_stays_upright() -> None:
    from portal.image_metadata import without_metadata

    cleaned = without_metadata(SimpleUploadedFile("living-room.jpg", _photo_with_location()), "image/jpeg")
    data = cleaned.read()
    exif, size, info = _metadata_of(data)
    assert exif == {"gps": {}}
    assert "comment" not in info and "xmp" not in info
    assert b"PhoneMaker" not in data and b"Home of J. Martin" not in data
    # Orientation 6 (turned 90° clockwise) is applied to the pixels: 40×20 becomes 20×40.
    assert size == (20, 40)
    assert cleaned.name == "living-room.jpg"


def test_a_png_with_exif_loses_it_and_keeps_its_pixels() -> None:
    import io

    from PIL import Image

    from portal.image_metadata import without_metadata

    sent = _photo_with_location(orientation=1, image_format="PNG")
    data = without_metadata(SimpleUploadedFile("wall.png", sent), "image/png").read()
    assert _metadata_of(data)[0] == {"gps": {}}
    with Image.open(io.BytesIO(sent)) as before, Image.open(io.BytesIO(data)) as after:
        assert before.tobytes() == after.tobytes()


def test_files_without_metadata_and_other_files_are_stored_as_sent() -> None:
    import io

    from PIL import Image

    from portal.image_metadata import without_metadata

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    plain = SimpleUploadedFile("plain.png", buffer.getvalue())
    assert without_metadata(plain, "image/png") is plain
    pdf = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 GPS 45.76")
    assert without_metadata(pdf, "application/pdf") is pdf
    assert pdf.read() == b"%PDF-1.4 GPS 45.76"


def test_photos_stored_by_contractors_and_on_messages_carry_no_location(cast) -> None:
    from cases.services import message_receive
    from contractors.services import incident_report

    incident = incident_report(
        actor=cast.contractor_user,
        job=cast.job,
        what="Drilled into the heating pipe",
        location="Living room wall",
        affects_heating=True,
        photos=[SimpleUploadedFile("pipe.jpg", _photo_with_location(), content_type="image/jpeg")],
    )
    message = message_receive(
        case=cast.case,
        actor=cast.customer.user,
        body="Here is the wall.",
        attachments=[SimpleUploadedFile("wall.jpg", _photo_with_location(), content_type="image/jpeg")],
    )
    stored = [incident.photos.get(), message.attachments.get()]
    for row in stored:
        with row.file.open("rb") as handle:
            data = handle.read()
        exif, size, _ = _metadata_of(data)
        assert exif == {"gps": {}} and size == (20, 40)
        assert b"PhoneMaker" not in data
        assert row.size == len(data)
        assert row.content_type == "image/jpeg"
