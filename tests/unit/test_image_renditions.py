"""Rendering clean images (logic/image_renditions.py) on images made in code."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from patient_docs.logic.image_renditions import ImageRefused, render
from patient_docs.rules.images import PREVIEW_MAX_PX, THUMBNAIL_MAX_PX, derived_key, served_name
from tests.images import (
    BLUE,
    RED,
    big_jpeg,
    corrupt_jpeg,
    gps_heic,
    metadata_of,
    png_bomb,
    rotated_jpeg,
    top_and_bottom,
)
from tests.utils import png_bytes


def near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=False))


def test_a_heic_with_gps_becomes_a_jpeg_without_metadata():
    rendered = render(gps_heic(), "image/heic")
    assert rendered.mime_type == "image/jpeg" and rendered.clean.startswith(b"\xff\xd8")
    assert metadata_of(rendered.clean) == {}
    assert b"Exif" not in rendered.clean and b"xmpmeta" not in rendered.clean
    assert (rendered.width, rendered.height) == (96, 64)


def test_a_rotated_jpeg_is_turned_upright_and_loses_its_exif_and_comment():
    rendered = render(rotated_jpeg(64, 32), "image/jpeg")
    top, bottom, size = top_and_bottom(rendered.clean)
    assert size == (32, 64) and near(top, RED) and near(bottom, BLUE)
    assert metadata_of(rendered.clean) == {}
    assert b"Acacia" not in rendered.clean


def test_thumbnail_and_preview_fit_their_bounds_and_keep_the_shape():
    rendered = render(big_jpeg(3000, 1500), "image/jpeg")
    assert Image.open(io.BytesIO(rendered.preview)).size == (PREVIEW_MAX_PX, 800)
    assert Image.open(io.BytesIO(rendered.thumbnail)).size == (THUMBNAIL_MAX_PX, 128)


def test_a_png_stays_a_png():
    rendered = render(png_bytes(4, 3), "image/png")
    assert rendered.mime_type == "image/png" and rendered.clean.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(rendered.thumbnail)).format == "JPEG"


@pytest.mark.parametrize(
    ("data", "mime_type", "reason"),
    [
        (png_bomb(), "image/png", "too many pixels"),
        (corrupt_jpeg(), "image/jpeg", "not a decodable image"),
        (b"%PDF-1.4\n", "image/jpeg", "not a decodable image"),
        (gps_heic()[:400], "image/heic", "not a decodable image"),
    ],
    ids=["bomb", "corrupt-jpeg", "not-an-image", "truncated-heic"],
)
def test_bombs_and_broken_images_are_refused(data, mime_type, reason):
    with pytest.raises(ImageRefused) as refused:
        render(data, mime_type)
    assert refused.value.reason == reason


def test_names_and_keys_follow_the_served_type():
    assert served_name("IMG_0001.HEIC", "image/jpeg") == "IMG_0001.jpg"
    assert served_name("photo.jpeg", "image/jpeg") == "photo.jpeg"
    assert served_name("scan", "image/png") == "scan.png"
    key = "accounts/12/patients/5/documents/ab.heic"
    assert derived_key(key, "clean") == f"derived/{key}/clean.jpg"
    assert derived_key(key, "thumbnail") == f"derived/{key}/thumbnail.jpg"
