"""``content_verdict``: the one decision on what a file's bytes are, for every door."""

from __future__ import annotations

import pytest

from patient_docs.rules.content_types import (
    DOCUMENT_TYPES,
    PHOTO_TYPES,
    SNIFF_BYTES,
    bytes_needed,
    content_verdict,
    matches,
)
from tests.utils import pdf_bytes, png_bytes

HEIC = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 16


@pytest.mark.parametrize(
    ("declared", "data", "accepted", "verdict"),
    [
        ("application/pdf", pdf_bytes(), DOCUMENT_TYPES, "application/pdf"),
        ("Application/PDF; x=1", pdf_bytes(), DOCUMENT_TYPES, "application/pdf"),
        (None, png_bytes(), DOCUMENT_TYPES, "image/png"),
        ("application/octet-stream", png_bytes(), DOCUMENT_TYPES, "image/png"),
        ("image/heif", HEIC, PHOTO_TYPES, "image/heif"),  # HEIC is a HEIF: the declared name is kept
        ("image/jpg", b"\xff\xd8\xff\xe0", PHOTO_TYPES, "image/jpeg"),
        ("text/plain", "notes ✓ é".encode(), DOCUMENT_TYPES, "text/plain"),
        ("text/plain", b"n" * 63 + "é".encode(), DOCUMENT_TYPES, "text/plain"),
    ],
)
def test_the_bytes_decide_within_what_the_door_accepts(declared, data, accepted, verdict):
    assert content_verdict(declared, data, accepted) == verdict


@pytest.mark.parametrize(
    ("declared", "data", "accepted", "reason"),
    [
        ("application/pdf", b"", DOCUMENT_TYPES, "empty"),
        ("image/jpeg", png_bytes(), DOCUMENT_TYPES, "does not match"),
        ("text/plain", pdf_bytes(), DOCUMENT_TYPES, "does not match"),  # a PDF is a PDF, whatever it says
        ("text/plain", b"a" * 100 + b"\xff", DOCUMENT_TYPES, "not UTF-8 text"),
        ("text/plain", b"a" * 100 + b"\x00", DOCUMENT_TYPES, "not UTF-8 text"),
        (None, b"plain words", DOCUMENT_TYPES, "must be one of"),  # text is never guessed
        ("application/zip", b"PK\x03\x04", DOCUMENT_TYPES, "must be one of"),
        ("application/pdf", pdf_bytes(), PHOTO_TYPES, "must be one of"),
        (None, pdf_bytes(), PHOTO_TYPES, "must be one of"),
        ("image/png", b"\x89PNX", PHOTO_TYPES, "does not match"),
    ],
)
def test_anything_else_is_refused_with_its_reason(declared, data, accepted, reason):
    with pytest.raises(ValueError, match=reason):
        content_verdict(declared, data, accepted)


def test_text_is_read_whole_and_other_types_by_their_first_bytes():
    assert bytes_needed("Text/Plain", 10_000, DOCUMENT_TYPES) == 10_000
    assert bytes_needed("application/pdf", 10_000, DOCUMENT_TYPES) == SNIFF_BYTES
    assert bytes_needed("image/png", 10, PHOTO_TYPES) == 10
    # A type the door does not take needs no more than the first bytes to be refused
    assert bytes_needed("text/plain", 10_000, PHOTO_TYPES) == SNIFF_BYTES


def test_matches_is_the_verdict_for_a_declared_type():
    assert matches("image/png", png_bytes()) and not matches("text/plain", pdf_bytes())
    assert not matches("application/octet-stream", png_bytes())
