"""Clean images: which files are images, what is made of each, where it is kept, and what is served.

Every stored image (door A, door B, the patient page) is processed once, after its malware scan
gave a verdict that lets it be served (logic/process_image.py, docs/images.md): HEIC/HEIF becomes
JPEG, metadata (EXIF with GPS and maker notes, XMP, comments) is dropped and the orientation applied
to the pixels. Three renditions are kept under ``derived/`` beside nothing else: the clean image
(served in place of the original), a thumbnail and a preview. The original is never served again and
is removed after the deployment's ``ImageOriginalRetentionDays`` (an S3 lifecycle rule on its tag).

This module is Pillow-free: every function may import it; only the processor imports Pillow.
"""

from __future__ import annotations

from typing import Literal

# The image types the doors accept, and the type each is served as once clean (HEIC/HEIF: JPEG).
SERVED_TYPE: dict[str, str] = {
    "image/jpeg": "image/jpeg",
    "image/heic": "image/jpeg",
    "image/heif": "image/jpeg",
    "image/png": "image/png",
    "image/webp": "image/webp",
}
EXTENSION: dict[str, str] = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}

THUMBNAIL_MAX_PX = 256
PREVIEW_MAX_PX = 1600
# Larger images are refused as decompression bombs: 100 MP is twice a 48 MP phone camera's picture
# (about 300 MB of pixels decoded, within the processor's memory).
MAX_IMAGE_PIXELS = 100_000_000

# Where renditions live: outside the malware scanner's prefixes (they are made from bytes it found
# clean, by re-encoding pixels) and under the bucket policy's scan-tag deny all the same (docs/images.md).
DERIVED_PREFIX = "derived/"
Rendition = Literal["clean", "thumbnail", "preview"]

# The tag on an original once its clean image exists; the bucket's lifecycle rule expires what carries it.
SUPERSEDED_TAG = "ImageOriginal"
SUPERSEDED_VALUE = "superseded"

ImageStatus = Literal["clean", "refused"]


def is_image(mime_type: str) -> bool:
    return mime_type.lower() in SERVED_TYPE


def served_type(mime_type: str) -> str:
    """The type an image is served as once clean (HEIC/HEIF become JPEG; the others keep theirs)."""
    return SERVED_TYPE[mime_type.lower()]


def derived_key(object_key: str, rendition: Rendition, mime_type: str = "image/jpeg") -> str:
    """The key of one rendition of the object at ``object_key`` (thumbnails and previews are JPEG)."""
    return f"{DERIVED_PREFIX}{object_key}/{rendition}.{EXTENSION[mime_type]}"


def served_name(file_name: str, mime_type: str) -> str:
    """The file name a clean image is downloaded as: the original's, with the served type's extension."""
    stem, dot, extension = file_name.rpartition(".")
    wanted = EXTENSION[mime_type]
    if dot and stem:
        if extension.lower() in (wanted, "jpeg" if wanted == "jpg" else wanted):
            return file_name
        return f"{stem}.{wanted}"
    return f"{file_name}.{wanted}"


def fits(width: int, height: int) -> bool:
    """Whether an image of this size may be decoded (not a decompression bomb)."""
    return width > 0 and height > 0 and width * height <= MAX_IMAGE_PIXELS
