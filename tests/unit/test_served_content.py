"""What a document's download serves, as its record says before any byte is read (Document.served_content):
door D's attachment describes exactly this (contentType, size, hash), and its lastUpdated moves by the millisecond."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from patient_docs.models.documents import ImageRenditions
from patient_docs.rules import fhir
from patient_docs.schemas.fhir import DocumentReference
from tests.unit.doubles import a_document

BASE = "https://docs.example.com/fhir/R4"
HEIC = {"mime_type": "image/heic", "extension": "heic", "name": "IMG_0001.HEIC", "size_bytes": 1068}


def clean(**changes: object) -> ImageRenditions:
    values: dict[str, object] = {
        "status": "clean",
        "original_mime_type": "image/heic",
        "mime_type": "image/jpeg",
        "clean_key": "derived/x/clean.jpg",
        "size_bytes": 766,
        "sha1": "2jmj7l5rSw0yVb/vlWAYkK/YBwk=",
    }
    values.update(changes)
    return ImageRenditions.model_validate(values)


def attachment_of(**changes: object) -> dict[str, object]:
    resource = DocumentReference.of(a_document(**changes), BASE)
    return resource.model_dump(mode="json", by_alias=True, exclude_none=True)["content"][0]["attachment"]


def test_a_file_that_is_not_an_image_is_described_as_stored():
    attachment = attachment_of()
    assert (attachment["contentType"], attachment["size"], "hash" in attachment) == ("application/pdf", 64, False)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (None, ("image/jpeg", None, None)),  # not processed yet: the type it will be served as, no size
        (ImageRenditions(status="refused", original_mime_type="image/heic"), ("image/jpeg", None, None)),
        (clean(), ("image/jpeg", 766, "2jmj7l5rSw0yVb/vlWAYkK/YBwk=")),  # its clean copy, not the 1068 bytes sent
        (clean(size_bytes=None, sha1=None), ("image/jpeg", None, None)),  # processed before sizes were kept
    ],
    ids=["pending", "refused", "clean", "clean-without-size"],
)
def test_an_image_is_described_by_its_clean_copy_and_by_nothing_it_does_not_serve(image, expected):
    changes: dict[str, object] = {**HEIC, "image": image}
    if image is not None and image.status == "clean":
        changes.update(mime_type="image/jpeg", extension="jpg")  # as set_image leaves the record
    attachment = attachment_of(**changes)
    assert (attachment["contentType"], attachment.get("size"), attachment.get("hash")) == expected


def test_last_updated_is_to_the_millisecond_in_utc():
    moment = datetime(2026, 4, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert fhir.last_updated(moment) == "2026-04-01T12:00:00.123+00:00"
    assert fhir.last_updated(moment.replace(microsecond=124000)) > fhir.last_updated(moment)
