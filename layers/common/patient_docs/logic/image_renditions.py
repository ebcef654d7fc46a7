"""Pillow's part of clean images: decode one stored image safely and render its clean image, thumbnail and preview.

Imported only by the image processor (its layer holds Pillow and pi-heif; no API function has them).
Decoding is bounded before any pixel is read: only the formats the doors accept are tried, the size in
the header must fit ``rules.images.MAX_IMAGE_PIXELS`` (and Pillow's own bomb check is set to the same),
and a truncated or malformed file is an error, never a partial picture. What cannot be decoded is
``ImageRefused``: the caller quarantines it.

Clean means: the orientation EXIF asks for is applied to the pixels, and nothing but pixels (and the
colour profile, which says how to show them and nothing of the patient) is written back: no EXIF, GPS,
maker notes, XMP, IPTC or comments.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageOps

from patient_docs.rules.images import MAX_IMAGE_PIXELS, PREVIEW_MAX_PX, THUMBNAIL_MAX_PX, fits, served_type

# Pillow's format names for the types the doors accept (pi-heif registers HEIF for HEIC and HEIF).
_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
_SAVE_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_JPEG_QUALITY = {"clean": 90, "preview": 85, "thumbnail": 80}


class ImageRefused(Exception):
    """The bytes are not an image that may be decoded: corrupt, truncated, of another type, or a bomb."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Rendered:
    mime_type: str  # the clean image's
    clean: bytes
    thumbnail: bytes  # JPEG, at most THUMBNAIL_MAX_PX on its longer side
    preview: bytes  # JPEG, at most PREVIEW_MAX_PX on its longer side
    width: int
    height: int


@cache
def _setup() -> None:
    """Register the decode-only HEIF opener and set Pillow's bomb limit (once per process)."""
    import pi_heif  # type: ignore[import-untyped]

    pi_heif.register_heif_opener()
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


def _decoded(data: bytes) -> Image.Image:
    _setup()
    with warnings.catch_warnings():
        # Over MAX_IMAGE_PIXELS Pillow only warns (it raises at twice as much): a warning is a refusal here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=_FORMATS)
            if not fits(*image.size):
                raise ImageRefused("too many pixels")
            image.load()
        except ImageRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused("too many pixels") from None
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError):
            # UnidentifiedImageError is an OSError: not an image of an accepted type.
            raise ImageRefused("not a decodable image") from None
    return image


def _upright(image: Image.Image) -> Image.Image:
    """The pixels turned as EXIF's orientation says, with no metadata but the colour profile."""
    icc = image.info.get("icc_profile")
    try:
        turned = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError):
        turned = image.copy()  # unreadable EXIF: the pixels as stored
    clean = turned if turned is not image else image.copy()
    clean.info = {"icc_profile": icc} if icc else {}
    return clean


def _rgb(image: Image.Image) -> Image.Image:
    """For JPEG: transparency over white, palettes and 16-bit as RGB."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encoded(image: Image.Image, mime_type: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    icc = image.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc else {}
    save_format = _SAVE_FORMAT[mime_type]
    if save_format == "JPEG":
        _rgb(image).save(buffer, "JPEG", quality=quality, **extra)
    elif save_format == "WEBP":
        image.save(buffer, "WEBP", quality=quality, **extra)
    else:
        image.save(buffer, "PNG", **extra)
    return buffer.getvalue()


def _scaled(image: Image.Image, longest: int) -> Image.Image:
    copy = _rgb(image).copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return copy


def render(data: bytes, mime_type: str) -> Rendered:
    """The clean image, thumbnail and preview of a stored image of type ``mime_type`` (ImageRefused: none)."""
    image = _upright(_decoded(data))
    clean_type = served_type(mime_type)
    clean = _encoded(image, clean_type, _JPEG_QUALITY["clean"])
    preview = _scaled(image, PREVIEW_MAX_PX)
    thumbnail = _scaled(preview, THUMBNAIL_MAX_PX)
    return Rendered(
        mime_type=clean_type,
        clean=clean,
        thumbnail=_encoded(thumbnail, "image/jpeg", _JPEG_QUALITY["thumbnail"]),
        preview=_encoded(preview, "image/jpeg", _JPEG_QUALITY["preview"]),
        width=image.width,
        height=image.height,
    )
