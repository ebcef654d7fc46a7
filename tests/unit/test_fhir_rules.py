"""Door D's vocabulary (rules/fhir.py): the classification table, search values and references."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patient_docs.rules import fhir
from patient_docs.rules.ids import MAX_ID

BASE = "https://docs.example.com/fhir/R4"


# ------------------------------------------------------------------ classification
def test_a_door_a_record_reads_as_its_record_type_and_loinc_code():
    kind = fhir.classify("Test Result", None, None)
    assert kind.categories == [(fhir.RECORD_TYPE_SYSTEM, "Test Result", "Test result")]
    assert kind.type_coding == (fhir.LOINC, "11502-2", "Laboratory report")
    assert kind.type_text == "Test result"


def test_a_door_b_record_reads_as_its_category_with_its_own_type_text_and_clinical_notes_say_so():
    kind = fhir.classify(None, "SOAP_SUMMARY_DOCUMENT", "Visit summary")
    assert kind.categories == [fhir.CLINICAL_NOTE, (fhir.CATEGORY_SYSTEM, "SOAP_SUMMARY_DOCUMENT", "SOAP summary")]
    assert kind.type_coding == (fhir.LOINC, "11506-3", "Progress note")
    assert kind.type_text == "Visit summary"


def test_without_a_loinc_code_the_type_is_us_cores_unknown_and_without_a_class_the_category_is_other():
    kind = fhir.classify(None, None, None)
    assert kind.categories == [(fhir.CATEGORY_SYSTEM, "OTHER", "Other")]
    assert kind.type_coding == fhir.UNKNOWN_TYPE == (fhir.NULL_FLAVOR, "UNK", "unknown")


def test_a_patient_page_photo_has_both_classes_and_says_what_it_is():
    kind = fhir.classify("Patient Record", "MEDICAL_HISTORY", None, patient_photo=True)
    assert [code for _, code, _ in kind.categories] == ["clinical-note", "MEDICAL_HISTORY", "Patient Record"]
    assert kind.type_text == fhir.PHOTO_LABEL


def test_the_category_decides_the_loinc_code_before_the_record_type():
    assert fhir.classify("Test Result", "INSURANCE_CARD", None).type_coding[1] == "64290-0"


def test_every_loinc_code_of_the_tables_has_a_display_and_the_table_covers_the_doors_enums():
    from typing import get_args

    from patient_docs.schemas.inline_documents import RecordType
    from patient_docs.schemas.patient_documents import DocumentCategory

    assert set(fhir.RECORD_TYPES) == set(get_args(RecordType))
    assert set(fhir.CATEGORIES) == set(get_args(DocumentCategory))
    used = {kind.loinc for kind in [*fhir.RECORD_TYPES.values(), *fhir.CATEGORIES.values()] if kind.loinc}
    assert used == set(fhir.LOINC_TYPES)


@pytest.mark.parametrize(
    ("types", "categories", "stored"),
    [
        ([(fhir.LOINC, "64290-0")], [], {"document_category": "INSURANCE_CARD"}),
        ([(fhir.LOINC, "11502-2")], [], {"record_type": "Test Result"}),
        (
            [(fhir.LOINC, "11506-3")],
            [],
            {"document_category": "SOAP_SUMMARY_DOCUMENT", "record_type": "Exam-Face2Face"},
        ),
        ([(fhir.LOINC, "18842-5")], [], {}),
        ([("http://snomed.info/sct", "64290-0")], [], {}),
        ([(fhir.LOINC, "64290-0")], [(fhir.CATEGORY_SYSTEM, "PROTOCOL")], {"document_category": "PROTOCOL"}),
        ([], [(fhir.RECORD_TYPE_SYSTEM, "Behavioral")], {"record_type": "Behavioral"}),
    ],
)
def test_what_a_created_resource_stores(types, categories, stored):
    assert fhir.stored_classification(types, categories) == stored


def test_what_is_stored_reads_back_as_the_loinc_code_sent():
    for code in fhir.LOINC_TYPES:
        stored = fhir.stored_classification([(fhir.LOINC, code)], [])
        kind = fhir.classify(stored.get("record_type"), stored.get("document_category"), None)
        assert kind.type_coding[1] == code


def test_an_unknown_code_of_our_own_systems_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="INSURANCE_CARD"):
        fhir.stored_classification([], [(fhir.CATEGORY_SYSTEM, "NOPE")])
    with pytest.raises(ValueError, match="Test Result"):
        fhir.stored_classification([], [(fhir.RECORD_TYPE_SYSTEM, "Lab")])


@pytest.mark.parametrize(
    ("signature", "status"),
    [(None, None), ("COMPLETED", "final"), ("INCOMPLETED", "preliminary"), ("COSIGN", "preliminary")],
)
def test_door_b_signatures_read_as_doc_status(signature, status):
    assert fhir.doc_status_of(signature) == status


# ------------------------------------------------------------------ search values
def test_tokens_are_alternatives_with_or_without_a_system():
    assert fhir.parse_tokens("a,http://loinc.org|11502-2") == [(None, "a"), ("http://loinc.org", "11502-2")]
    codings = [(fhir.LOINC, "11502-2", "Laboratory report")]
    assert fhir.token_matches([(None, "11502-2")], codings)
    assert fhir.token_matches([("urn:x", "1"), (fhir.LOINC, "11502-2")], codings)
    assert not fhir.token_matches([("urn:x", "11502-2")], codings)
    for bad in ("", "a|", "a,,b", " "):
        with pytest.raises(ValueError):
            fhir.parse_tokens(bad)


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2026", "2026-01-01T00:00:00", "2027-01-01T00:00:00"),
        ("2026-12", "2026-12-01T00:00:00", "2027-01-01T00:00:00"),
        ("2026-02-28", "2026-02-28T00:00:00", "2026-03-01T00:00:00"),
        ("2026-04-01T09:30", "2026-04-01T09:30:00", "2026-04-01T09:31:00"),
        ("2026-04-01T09:30:15Z", "2026-04-01T09:30:15", "2026-04-01T09:30:16"),
        ("2026-04-01T11:30:15+02:00", "2026-04-01T09:30:15", "2026-04-01T09:30:16"),
    ],
)
def test_a_date_value_covers_the_range_of_its_precision_in_utc(value, start, end):
    bound = fhir.parse_date(value)
    assert bound.prefix == "eq"
    assert (bound.start, bound.end) == (
        datetime.fromisoformat(start).replace(tzinfo=UTC),
        datetime.fromisoformat(end).replace(tzinfo=UTC),
    )


def test_date_prefixes_compare_with_the_whole_range():
    inside = datetime(2026, 4, 1, 12, tzinfo=UTC)
    day_before = datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC)
    day_after = datetime(2026, 4, 2, tzinfo=UTC)
    admitted = {
        prefix: [fhir.parse_date(f"{prefix}2026-04-01").admits(moment) for moment in (day_before, inside, day_after)]
        for prefix in fhir.DATE_PREFIXES
    }
    assert admitted == {
        "eq": [False, True, False],
        "ge": [False, True, True],
        "gt": [False, False, True],
        "le": [True, True, False],
        "lt": [True, False, False],
    }


_BOUNDS = st.builds(
    lambda prefix, day, hour, minute, second, precision: fhir.parse_date(
        prefix
        + [
            f"2026-{day:02d}",
            f"2026-01-{day:02d}",
            f"2026-01-{day:02d}T{hour:02d}:{minute:02d}",
            f"2026-01-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z",
        ][precision]
    ),
    st.sampled_from(fhir.DATE_PREFIXES),
    st.integers(1, 3),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
    st.integers(0, 3),
)
_STORED = st.datetimes(datetime(2025, 12, 30), datetime(2026, 3, 2), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(bounds=st.lists(_BOUNDS, max_size=3), moment=_STORED)
def test_the_stored_span_of_date_values_admits_exactly_what_they_admit_at_whole_seconds(bounds, moment):
    # What door D's search reads as one creation-time range is what the values admit of a time shown in seconds
    since, until = fhir.stored_span(bounds)
    in_span = (since is None or moment >= since) and (until is None or moment < until)
    assert in_span == all(bound.admits(fhir.at_second(moment)) for bound in bounds)


@pytest.mark.parametrize(
    "value", ["ne2026-01-01", "sa2026", "2026-13", "2026-02-30", "2026-04-01T25:00", "26-04-01", "today"]
)
def test_unsupported_or_unreal_dates_are_refused(value):
    with pytest.raises(ValueError):
        fhir.parse_date(value)


def test_the_documented_search_patterns_only_admit_values_the_parsers_accept():
    for value in ("ge2026", "le2026-12", "2026-02-28T23:59:59.5+13:59", "lt1999-12-31T00:00Z"):
        assert re.fullmatch(fhir.DATE_SEARCH_PATTERN, value)
        fhir.parse_date(value)
    for value in ("ne2026", "2026-02-30", "2026-04-01T24:00"):
        assert not re.fullmatch(fhir.DATE_SEARCH_PATTERN, value)
    for value in ("clinical-note", "http://loinc.org|11502-2,UNK", "urn:patient-docs:record-type|Test Result"):
        assert re.fullmatch(fhir.TOKEN_PATTERN, value)
        fhir.parse_tokens(value)
    assert not re.fullmatch(fhir.TOKEN_PATTERN, "a|")
    assert re.fullmatch(fhir.PATIENT_SEARCH_PATTERN, "Patient/999999999999999")
    assert fhir.patient_of_reference("Patient/999999999999999", BASE) == 999999999999999


def test_a_shown_time_is_whole_seconds_in_utc():
    moment = datetime(2026, 4, 1, 12, 0, 0, 999999, tzinfo=UTC)
    assert fhir.instant(moment) == "2026-04-01T12:00:00+00:00"
    assert fhir.at_second(moment) == datetime(2026, 4, 1, 12, tzinfo=UTC)


# ------------------------------------------------------------------ references and media types
@pytest.mark.parametrize("value", ["1172416", "Patient/1172416", f"{BASE}/Patient/1172416", " Patient/1172416 "])
def test_a_patient_is_named_by_its_id_relative_or_absolute_on_this_server(value):
    assert fhir.patient_of_reference(value, BASE) == 1172416


@pytest.mark.parametrize(
    "value",
    [
        "Group/1",
        "https://elsewhere.example/fhir/Patient/1",
        "Patient/",
        "Patient/abc",
        "Patient/0",
        "Patient/01172416",
        "01172416",
        "Patient/+1172416",
        f"Patient/{MAX_ID + 1}",
        "Patient/١٢",
    ],
)
def test_anything_else_is_not_a_patient_of_this_server(value):
    with pytest.raises(ValueError):
        fhir.patient_of_reference(value, BASE)


@pytest.mark.parametrize(
    ("accept", "answer"),
    [
        ("", "file"),
        ("*/*", "file"),
        ("application/pdf", "file"),
        ("image/*, application/fhir+xml", "file"),
        ("application/fhir+json", "resource"),
        ("Application/FHIR+JSON; charset=utf-8", "resource"),
        ("application/fhir+json; fhirVersion=4.0", "resource"),
        ("text/html, application/json;q=0.9", "resource"),
        ("application/fhir+json;q=0", "file"),
        ("application/fhir+xml", "none"),
        ("application/fhir+json; fhirVersion=3.0", "none"),
        ("application/json; fhirVersion=5.0, application/xml+fhir", "none"),
    ],
)
def test_accept_says_whether_a_binary_resource_the_file_or_nothing_servable_is_wanted(accept, answer):
    assert fhir.binary_answer(accept) == answer


@pytest.mark.parametrize(
    ("accept", "acceptable"),
    [
        ("", True),
        ("*/*", True),
        ("application/*", True),
        ("application/fhir+json", True),
        ("application/json", True),
        ("application/json+fhir", True),
        ("APPLICATION/FHIR+JSON; charset=utf-8; fhirVersion=4.0", True),
        ('application/fhir+json; fhirVersion="4.0.1"', True),
        ("application/fhir+xml, application/fhir+json;q=0.5", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("application/fhir+xml", False),
        ("application/xml", False),
        ("text/html", False),
        ("application/fhir+json; fhirVersion=3.0", False),
        ("application/fhir+json;q=0", False),
        ("application/fhir+json;q=0.000, */*;q=0", False),
        ("application/*;q=0, application/fhir+json", True),
        ("application/json;q=0, */*", True),
        ("application/fhir+xml, application/fhir+json;q=2", False),  # a range with a wrong q is left out
        ("application/fhir+json;q=2", True),  # and a header with no readable range is as if absent
    ],
)
def test_accept_admits_fhir_r4_json_or_not(accept, acceptable):
    assert fhir.accepts_fhir_json(accept) is acceptable


@pytest.mark.parametrize(
    ("value", "json"),
    [
        ("json", True),
        ("JSON", True),
        ("application/fhir+json", True),
        ("application/json", True),
        ("application/fhir+json;fhirVersion=4.0", True),
        ("xml", False),
        ("application/fhir+xml", False),
        ("text/xml", False),
        ("ttl", False),
        ("html", False),
        ("*/*", False),
        ("", False),
        ("json,xml", False),
        ("application/fhir+json;fhirVersion=3.0", False),
    ],
)
def test_format_names_fhir_r4_json_or_not(value, json):
    assert fhir.format_is_fhir_json(value) is json
    # What /openapi.json documents is accepted (the documented shape is the safe one)
    if re.fullmatch(fhir.FORMAT_PATTERN, value):
        assert json


@pytest.mark.parametrize(
    "value", ["2024-02-29", "ge2000-02-29T10:00", "le2026-12-02T10:00:00+14:00", "2026-12-02T10:00-14:00"]
)
def test_leap_days_and_offsets_to_14_hours_are_documented_and_accepted(value):
    assert re.fullmatch(fhir.DATE_SEARCH_PATTERN, value)
    fhir.parse_date(value)


@pytest.mark.parametrize(
    "value",
    [
        "2025-02-29",
        "2026-12-02T10:00+14:30",
        "2026-12-02T10:00+15:00",
        "2026-12-02T10:00:00.1234567890Z",
        " 2026",
        "2026 ",
        "2026\n",
        "ge2026-12-02\n",
        "２０２６",
        "2026-12-02 10:00",
        "2026-12-02T10:00+0100",
    ],
)
def test_date_values_outside_the_documented_shape_are_refused(value):
    assert not re.fullmatch(fhir.DATE_SEARCH_PATTERN, value)
    with pytest.raises(ValueError):
        fhir.parse_date(value)


@pytest.mark.parametrize(
    ("value", "instant", "date_time"),
    [
        ("2026-12-02T10:00:00Z", True, True),
        ("2026-12-02T10:00:00.123456789+14:00", True, True),
        ("2024-02-29T23:59:59-05:30", True, True),
        ("2016-12-31T23:59:60Z", True, True),  # a leap second: R4 takes it (not in the documented shape)
        ("0001-01-01T00:00:00Z", True, True),  # R4's years 0001-9999 (the documented shape: 1000-2999)
        ("2026", False, True),
        ("2026-12", False, True),
        ("2026-12-02", False, True),
        ("2025-02-29", False, False),
        ("2026-04-31T10:00:00Z", False, False),
        ("2026-12-02T10:00:00", False, False),
        ("2026-12-02T10:00Z", False, False),
        ("2026-12-02T24:00:00Z", False, False),
        ("2026-12-02T10:00:00+15:00", False, False),
        ("2026-12-02 10:00:00Z", False, False),
        ("0000", False, False),
        ("２０２６", False, False),
        ("Smith-John", False, False),
    ],
)
def test_fhir_instant_and_datetime_are_r4s_on_the_calendar_and_their_documented_shapes_are_taken(
    value, instant, date_time
):
    for check, expected, pattern in (
        (fhir.check_instant, instant, fhir.INSTANT_PATTERN),
        (fhir.check_date_time, date_time, fhir.DATE_TIME_PATTERN),
    ):
        if expected:
            assert check(value) == value
        else:
            with pytest.raises(ValueError):
                check(value)
        if re.fullmatch(pattern, value):  # what /openapi.json documents is accepted
            assert expected, (value, pattern)


def test_id_search_values_of_the_documented_shape_are_taken_and_others_refused():
    documented = ",".join(["999999999999999", *(str(n) for n in range(1, 100))])
    assert re.fullmatch(fhir.ID_SEARCH_PATTERN, documented) and len(fhir.parse_ids(documented)) == 100
    assert fhir.parse_ids("9007199254740991") == {MAX_ID}
    for value in ("9007199254740992", "01", "1,", "", "1,2" + ",3" * 99, "١٢"):
        with pytest.raises(ValueError):
            fhir.parse_ids(value)
