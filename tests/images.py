"""Test images made in code (and one small HEIC fixture): phone photos with GPS, turned by EXIF, and broken ones.

``tests/fixtures/images/gps.heic`` (96x64, left half red, right half blue, EXIF with GPS, XMP) was
made once with pillow-heif's encoder, which the project does not depend on: pi-heif only decodes.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "images"
RED, BLUE = (220, 20, 20), (20, 20, 220)
ROTATE_90_CW = 6  # EXIF orientation: the viewer turns the stored pixels 90 degrees clockwise


def gps_heic() -> bytes:
    return (FIXTURES / "gps.heic").read_bytes()


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15"
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 26.46), 3: "W", 4: (0.0, 7.0, 39.0)}
    return exif


def rotated_jpeg(width: int = 64, height: int = 32) -> bytes:
    """Stored sideways (left half red, right half blue) with EXIF orientation 6 and GPS: upright, it is
    ``height`` wide and ``width`` tall, red on top."""
    image = Image.new("RGB", (width, height), RED)
    ImageDraw.Draw(image).rectangle([width // 2, 0, width - 1, height - 1], fill=BLUE)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=gps_exif(ROTATE_90_CW), comment=b"Home, 12 Acacia Avenue")
    return buffer.getvalue()


def big_jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 140, 200)).save(buffer, "JPEG", quality=50)
    return buffer.getvalue()


def corrupt_jpeg() -> bytes:
    """A JPEG's first bytes (it passes a type sniff), then nothing decodable."""
    return rotated_jpeg()[:200] + b"\x00" * 300


def png_bomb(width: int = 40_000, height: int = 40_000) -> bytes:
    """A PNG whose header claims 1.6 billion pixels, in a few hundred bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 4096)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def metadata_of(data: bytes) -> dict[str, object]:
    """What a decoded image still says beyond its pixels (EXIF tags, XMP, comments)."""
    image = Image.open(io.BytesIO(data))
    found: dict[str, object] = {
        key: value
        for key, value in image.info.items()
        if key not in ("jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression")
    }
    exif = image.getexif()
    if len(exif):
        found["exif"] = dict(exif)
    return found


def top_and_bottom(data: bytes) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, int]]:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    width, height = image.size
    return image.getpixel((width // 2, 2)), image.getpixel((width // 2, height - 3)), image.size  # type: ignore[return-value]


def same_pixels(served: bytes, sent: bytes) -> bool:
    """Whether a served image shows what was sent (a clean copy is re-encoded: bytes differ, pixels not)."""
    first, second = Image.open(io.BytesIO(served)), Image.open(io.BytesIO(sent))
    return (
        first.format == second.format
        and first.size == second.size
        and first.convert("RGB").get_flattened_data() == second.convert("RGB").get_flattened_data()
    )
