"""Rules where they live: content sniffing, names, ids, URLs, object keys, timestamps, claims."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from patient_docs.auth import caller_from_claims
from patient_docs.errors import InvalidField, NotFound, PayloadTooLarge, Unauthenticated
from patient_docs.permissions import Action, in_reach, patient_target, require
from patient_docs.rules import content_types, ids, names, object_keys, timestamps, urls
from patient_docs.rules.inline_files import decode_base64_file
from patient_docs.rules.patient_page import parse_date_of_birth
from tests.utils import b64, pdf_bytes, png_bytes


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (png_bytes(), "image/png"),
        (pdf_bytes(), "application/pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a....", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00", "image/heif"),
        (b"II*\x00\x08\x00", "image/tiff"),
        (b"<html><script>", None),
        (b"MZ\x90\x00", None),
    ],
)
def test_sniff_recognises_real_bytes(head, expected):
    assert content_types.sniff(head) == expected


def test_declared_type_must_match_the_bytes():
    assert content_types.matches("image/png", png_bytes())
    assert not content_types.matches("application/pdf", png_bytes())
    assert content_types.matches("image/heif", b"\x00\x00\x00\x18ftypheic")  # HEIC is a HEIF
    assert content_types.matches("text/plain", "notes ✓".encode())
    assert not content_types.matches("text/plain", b"\x00\x01")
    assert content_types.normalise("IMAGE/JPG; q=1") == "image/jpeg"


def test_extension_comes_from_the_name_only_when_it_fits_the_type():
    assert content_types.extension_for("image/jpeg", "IMG_0292.JPEG") == "jpeg"
    assert content_types.extension_for("image/jpeg", "photo.exe") == "jpg"
    assert content_types.extension_for("application/pdf", "noext") == "pdf"


@pytest.mark.parametrize("bad", ["", "   ", "a/b.pdf", "a\\b.pdf", "..", "x\x00.pdf", "x\u202e.pdf", "x" * 256])
def test_file_names_refused(bad):
    with pytest.raises(ValueError):
        names.check_file_name(bad)


def test_file_names_kept():
    assert names.check_file_name("  Insurance card (front).pdf ") == "Insurance card (front).pdf"


def test_document_ids_are_json_safe_time_ordered_and_unique():
    # Given 2,000 ids drawn a millisecond apart
    now = 1_795_300_000_000
    generated = [ids.new_document_id(now + i) for i in range(2000)]
    # Then every one is JSON-safe, they are in time order, and no two are the same
    assert all(0 < value <= 2**53 - 1 for value in generated)
    assert generated == sorted(generated) and len(set(generated)) == len(generated)
    assert ids.new_document_id(now + 10) > ids.new_document_id(now)
    # Good for decades: the largest id before 2090 still fits in 53 bits.
    assert ids.new_document_id(int(datetime(2090, 1, 1, tzinfo=UTC).timestamp() * 1000)) <= 2**53 - 1


@pytest.mark.parametrize(
    "bad",
    [
        "http://example.com/x",
        "https://10.1.2.3/x",
        "https://169.254.169.254/x",
        "https://localhost/x",
        "https://[::1]/x",
        "https://user:pw@example.com/x",
        "ftp://example.com",
        "https:///nohost",
    ],
)
def test_public_https_urls_only(bad):
    with pytest.raises(ValueError):
        urls.check_public_https_url(bad)


def test_object_keys_are_server_chosen_and_parsed_back():
    # Given a key the server chose for patient 1172416 of account 12
    key = object_keys.new_document_key("12", 1172416, "pdf")
    # Then it parses back to them, and a traversal does not parse
    parsed = object_keys.parse_document_key(key)
    assert parsed is not None and parsed.account_id == "12" and parsed.patient_id == 1172416
    assert object_keys.parse_document_key("accounts/12/patients/1/documents/../../x") is None
    # And its URL, virtual-hosted or path-style, names it; another bucket's or one with a query names nothing
    url = object_keys.object_url("bucket", "eu-west-2", key)
    assert object_keys.key_from_object_url(url, "bucket", "eu-west-2") == key
    assert (
        object_keys.key_from_object_url(f"https://s3.eu-west-2.amazonaws.com/bucket/{key}", "bucket", "eu-west-2")
        == key
    )
    assert object_keys.key_from_object_url(url.replace("bucket.", "other."), "bucket", "eu-west-2") is None
    assert object_keys.key_from_object_url(url + "?x=1", "bucket", "eu-west-2") is None


def test_door_b_datetimes():
    assert timestamps.parse_door_b_datetime("2026-04-01T09:00:00") == "2026-04-01T09:00:00"
    assert timestamps.parse_door_b_datetime("2026-04-01T09:00:00+02:00") == "2026-04-01T07:00:00"
    for bad in ["2026-04-01", "01/04/2026 09:00", "2026-13-01T00:00:00", "tomorrow"]:
        with pytest.raises(ValueError):
            timestamps.parse_door_b_datetime(bad)
    moment = datetime(2018, 1, 16, 20, 51, 6, 123456, tzinfo=UTC)
    assert timestamps.iso_with_offset(moment) == "2018-01-16T20:51:06+00:00"
    assert timestamps.iso_naive_utc(moment) == "2018-01-16T20:51:06"


def test_inline_base64_bounds():
    assert decode_base64_file(b64(pdf_bytes()), "doc.data", 1000) == pdf_bytes()
    assert decode_base64_file("data:application/pdf;base64," + b64(pdf_bytes()), "f", 1000) == pdf_bytes()
    with pytest.raises(PayloadTooLarge):
        decode_base64_file(b64(b"x" * 2000), "doc.data", 1000)
    with pytest.raises(PayloadTooLarge):
        decode_base64_file(b64(b"x" * 1001), "doc.data", 1000)
    with pytest.raises(InvalidField):
        decode_base64_file("@@@@", "doc.data", 1000)


def test_claims_are_read_in_one_place():
    # A staff token reaches every patient of its account only
    staff = caller_from_claims({"sub": "s", "account_id": "12", "role": "staff", "name": "Dr A", "user_id": "42"})
    assert staff.role == "staff" and staff.user_id == 42 and staff.patient_id is None
    assert in_reach(staff, patient_target("12", 5)) and not in_reach(staff, patient_target("13", 5))
    # A patient token reaches its own patient only
    patient = caller_from_claims({"sub": "p", "account_id": "12", "role": "patient", "patient_id": "5"})
    assert in_reach(patient, patient_target("12", 5)) and not in_reach(patient, patient_target("12", 6))
    with pytest.raises(NotFound):
        require(patient, Action.LIST_DOCUMENTS, patient_target("12", 6))
    # Claims without a subject, account or known role, or a patient token without its patient: unauthenticated
    for claims in [
        None,
        {},
        {"sub": "x", "account_id": "12", "role": "root"},
        {"sub": "x", "account_id": "12", "role": "patient"},
    ]:
        with pytest.raises(Unauthenticated):
            caller_from_claims(claims)
    # Without a numeric user id claim, a JSON-safe one is derived from the subject
    fallback = caller_from_claims({"sub": "abc", "account_id": "12", "role": "staff"})
    assert 0 < fallback.user_id <= 2**53 - 1


def test_the_written_out_name_classes_are_the_ones_their_rules_build():
    # The OpenAPI patterns are literals (building them costs every cold start ~30 ms); if this
    # Python's Unicode data moved a character, the literal must follow.
    for name, built in names.refused_classes().items():
        assert getattr(names, name) == built, name


def test_a_date_of_birth_is_written_in_the_ascii_digits():
    assert parse_date_of_birth("1980-06-17") == date(1980, 6, 17)
    # Other scripts' digits match \d: they are refused as not a date, not as a date the calendar lacks
    for other in ["١٩٨٠-٠٦-١٧", "１９８０-06-17", "198O-06-17", "19800617"]:
        with pytest.raises(ValueError, match="must be a date like"):
            parse_date_of_birth(other)
    with pytest.raises(ValueError, match="must be a real date"):
        parse_date_of_birth("1980-02-30")
