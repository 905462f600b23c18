"""Photos lose what the camera wrote about them before they are stored: a phone's photo of a
customer's living room carries the GPS position of the home, the time and the phone's make in its
EXIF (and XMP) blocks, and whoever downloads the photo later would get them too.

The way the camera held the phone (the EXIF orientation) is applied to the pixels first, so the
photo still shows the right way up once the tag is gone.
"""

import io
import logging

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

# GIF has no EXIF block; re-encoding an animated GIF would risk its frames for nothing.
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# Blocks that describe the photo rather than draw it; the colour profile (icc_profile) is kept.
_ORIENTATION = 0x0112
_METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "Raw profile type exif", "comment")


def _carries_metadata(image: Image.Image) -> bool:
    return bool(image.getexif()) or any(key in image.info for key in _METADATA_KEYS)


def without_metadata(upload: "UploadedFile[bytes]", content_type: str) -> "UploadedFile[bytes]":
    """The upload itself when it is not a photo or carries no metadata; otherwise a new file with
    the same name and pixels (turned upright), without EXIF or XMP."""
    image_format = _FORMATS.get(content_type)
    if image_format is None:
        return upload
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if not _carries_metadata(image):
                return upload
            if getattr(image, "n_frames", 1) > 1:
                # An animated WebP: its frames would be lost by a re-encode; kept as sent, logged.
                logger.warning("Animated image %s stored with its metadata", upload.name)
                return upload
            turned = image.getexif().get(_ORIENTATION, 1) not in (None, 1)
            upright = ImageOps.exif_transpose(image) if turned else image
            options: dict[str, object] = {}
            if image.info.get("icc_profile"):
                options["icc_profile"] = image.info["icc_profile"]
            if image_format == "JPEG":
                # "keep" re-uses the original's quantisation tables when the pixels did not turn;
                # an empty comment, or Pillow copies the original's COM block.
                options["quality"] = 95 if turned else "keep"
                options["comment"] = b""
                if upright.mode not in ("RGB", "L", "CMYK"):
                    upright = upright.convert("RGB")
            elif image_format == "WEBP":
                options["lossless"] = image.info.get("lossless", False)
                options["quality"] = 95
            buffer = io.BytesIO()
            upright.save(buffer, format=image_format, **options)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        # The first bytes said photo but Pillow cannot read it: it is stored as sent, as before.
        logger.warning("Could not read image %s to remove its metadata", upload.name)
        upload.seek(0)
        return upload
    finally:
        upload.seek(0)
    return SimpleUploadedFile(upload.name or "photo", buffer.getvalue(), content_type=content_type)
