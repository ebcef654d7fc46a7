"""Door C rules without I/O: mobiles, dates of birth, short links, lifecycle, sender IDs, cursors."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from patient_docs.rules.cursors import decode_cursor, encode_cursor
from patient_docs.rules.file_requests import (
    SHORT_LINK_BYTES,
    check_sender_id,
    effective_status,
    is_short_link_id,
    link_expiry,
    new_short_link_id,
    notification_text,
    short_link_url,
)
from patient_docs.rules.ids import MAX_ID, new_patient_number
from patient_docs.rules.patients import check_date_of_birth
from patient_docs.rules.phone_numbers import normalise_mobile

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+447777123456", "+447777123456"),
        ("+44 7777 123456", "+447777123456"),
        (" +44-7777-123-456 ", "+447777123456"),
        ("+12015550123", "+12015550123"),
        ("+33612345678", "+33612345678"),
    ],
)
def test_mobiles_are_normalised_to_e164(given, expected):
    assert normalise_mobile(given) == expected


@pytest.mark.parametrize(
    "given",
    ["07777123456", "447777123456", "+4477", "+447777abc456", "+442079460000", "", "+" + "1" * 40, "++447777123456"],
)
def test_numbers_that_are_not_international_mobiles_are_refused(given):
    with pytest.raises(ValueError):
        normalise_mobile(given)


def test_date_of_birth_accepts_iso_dates_up_to_today_and_130_years_back():
    assert check_date_of_birth("1980-06-17", NOW) == "1980-06-17"
    assert check_date_of_birth("2026-11-22", NOW) == "2026-11-22"
    assert check_date_of_birth("1896-11-23", NOW) == "1896-11-23"


def test_date_of_birth_allows_tomorrow_in_the_earliest_time_zone_only():
    late_evening = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # already the 23rd in Kiribati
    assert check_date_of_birth("2026-11-23", late_evening) == "2026-11-23"
    with pytest.raises(ValueError, match="future"):
        check_date_of_birth("2026-11-24", late_evening)


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("17/06/1980", "ISO 8601"),
        ("1980-6-17", "ISO 8601"),
        ("1980-02-30", "real calendar date"),
        ("١٩٨٠-٠٦-١٧", "ISO 8601"),
        ("2027-01-01", "future"),
        ("1890-01-01", "130 years"),
    ],
)
def test_bad_dates_of_birth_are_refused_with_the_reason(given, problem):
    with pytest.raises(ValueError, match=problem):
        check_date_of_birth(given, NOW)


def test_short_link_ids_are_url_safe_short_and_carry_72_bits():
    # Given 2,000 new short link ids
    ids = {new_short_link_id() for _ in range(2000)}
    # Then they are distinct, 12 URL-safe characters of at least 64 random bits, and shape-checked
    assert len(ids) == 2000
    assert all(len(value) == 12 and is_short_link_id(value) for value in ids)
    assert SHORT_LINK_BYTES * 8 >= 64
    assert not is_short_link_id("abc") and not is_short_link_id("abcdefghijk/")
    assert short_link_url("https://p.example/", "a49ekq3jXYZ_") == "https://p.example/r/a49ekq3jXYZ_"


def test_an_open_request_past_its_link_expiry_reads_as_expired():
    expires = link_expiry(NOW, 72)
    assert expires == NOW + timedelta(hours=72)
    assert effective_status("notified", expires, NOW) == "notified"
    assert effective_status("notified", expires, expires) == "expired"
    assert effective_status("responded", expires, expires + timedelta(days=1)) == "responded"
    assert effective_status("cancelled", expires, expires + timedelta(days=1)) == "cancelled"


@pytest.mark.parametrize("value", ["PatientDocs", "Clinic12", "A"])
def test_sender_ids_aws_accepts(value):
    assert check_sender_id(value) == value


@pytest.mark.parametrize(
    "value", ["", "123456", "TooLongSender", "Dr Smith", "Clinic-12", "Cl\u00efnic", " Clinic", "Clinic\n"]
)
def test_sender_ids_aws_refuses(value):
    with pytest.raises(ValueError):
        check_sender_id(value)


def test_notification_text_carries_the_link_and_nothing_about_the_patient():
    text = notification_text("photo", "https://p.example/r/a49ekq3jXYZ_", NOW)
    assert "https://p.example/r/a49ekq3jXYZ_" in text
    assert "22 Nov 12:00 UTC" in text
    assert len(text) <= 160  # one SMS segment with a typical link


def test_cursors_round_trip_and_refuse_anything_else():
    # Given a position in account 12's list of requests
    position = {"PK": "FILEREQ#1", "SK": "REQUEST", "GSI1PK": "FILEREQS#12", "GSI1SK": "2026#1"}
    keys = ("PK", "SK", "GSI1PK", "GSI1SK")
    # Then its cursor reads back as it, and anything but a cursor of such a position is refused
    assert decode_cursor(encode_cursor(position), keys) == position
    for bad in ["", "not-base64!", encode_cursor({"PK": "x"}), "eyJQSyI6IDF9", "A" * 2000]:
        with pytest.raises(ValueError):
            decode_cursor(bad, keys)


def test_patient_numbers_are_json_safe_and_above_practice_ids():
    number = new_patient_number()
    assert 2**40 < number <= MAX_ID
    assert math.log2(number) < 53
