"""The shapes /openapi.json documents are ones the validators accept (the fuzzer's ST202 findings).

Each pattern is documentation; the validator decides. A value matching the documented pattern
must therefore always be accepted, or a client following the document gets a 400.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patient_docs.rules.names import DISPLAY_TEXT_PATTERN, FILE_NAME_PATTERN, check_display_text, check_file_name
from patient_docs.rules.timestamps import (
    DATETIME_PATTERN,
    RANGE_BOUND_PATTERN,
    parse_door_b_datetime,
    parse_range_bound,
)
from patient_docs.rules.urls import PUBLIC_HTTPS_URL_PATTERN, check_public_https_url

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.from_regex(FILE_NAME_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 255))
def test_every_documented_file_name_is_accepted(name):
    check_file_name(name)


@FAST
@given(st.from_regex(DISPLAY_TEXT_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 255))
def test_every_documented_display_text_is_accepted(text):
    check_display_text(text)


@FAST
@given(st.from_regex(DATETIME_PATTERN, fullmatch=True))
def test_every_documented_datetime_is_accepted(value):
    parse_door_b_datetime(value)


@FAST
@given(st.from_regex(RANGE_BOUND_PATTERN, fullmatch=True))
def test_every_documented_range_bound_is_accepted(value):
    parse_range_bound(value, end=True)


@FAST
@given(st.from_regex(PUBLIC_HTTPS_URL_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 2048))
def test_every_documented_url_is_accepted(url):
    check_public_https_url(url)


@pytest.mark.parametrize("name", ["", " ", ".", "..", "a/b.png", "a\\b.png", "bell\x07.png", "zero\u200bwidth.png"])
def test_refused_file_names_do_not_match_the_documented_pattern(name):
    assert not re.fullmatch(FILE_NAME_PATTERN, name)


@pytest.mark.parametrize(
    "url", ["http://example.com", "https://localhost/x", "https://a.internal/x", "https://10.0.0.1/"]
)
def test_refused_urls_do_not_match_the_documented_pattern(url):
    assert not re.fullmatch(PUBLIC_HTTPS_URL_PATTERN, url)


@pytest.mark.parametrize("parse", [parse_door_b_datetime, lambda v: parse_range_bound(v, end=False)])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_an_offset_that_leaves_the_calendar_is_a_value_error_not_a_crash(parse, value):
    # Found by the fuzzer: OverflowError escaped as a 500.
    with pytest.raises(ValueError, match="must be a date"):
        parse(value)


# ------------------------------------------------------------------ dates: the documented shapes, and only those
# Each is accepted by both parsers (a date alone: by parse_range_bound), as the patterns document.
GOOD_DATETIMES = [
    "2024-02-29T23:59:59",  # a leap day
    "2000-02-29T00:00:00Z",  # 2000 is a leap year (divisible by 400)
    "2026-12-02T10:00:00.5+14:00",  # Kiribati
    "2026-12-02T10:00:00.123456-12:00",
    "2026-12-02T10:00:00.1234567",  # 7 digits (.NET), 9 (Java): past the sixth they are dropped
    "2026-12-02T10:00:00.123456789Z",
    "2026-12-02T10:00:00-00:00",
    "1000-01-01T00:00:00+14:00",  # before year 1000 in UTC: still in the calendar
    "2999-12-31T23:59:59-14:00",
]
GOOD_DAYS = ["2024-02-29", "1600-02-29", "2026-02-28", "2026-12-31", "2026-04-30"]
# What Python's fromisoformat() (3.11 and later) also reads, or a day no calendar has: all refused.
LENIENT_OR_UNREAL = [
    "2025-02-29",  # not a leap year
    "1900-02-29",  # divisible by 100, not by 400
    "2100-02-29T00:00:00",
    "2026-04-31",
    "20261202",  # basic format
    "20261202T100000",
    "2026-W49-3",  # ISO week date
    "2026-W49",
    "2026-336",  # ordinal date
    "2026-12-02T10",  # hours alone
    "2026-12-02T10:00",  # no seconds
    "2026-12-02T10:00:00+0100",  # offset without a colon
    "2026-12-02T10:00:00+01",
    "2026-12-02T10:00:00+01:00:00",
    "2026-12-02T10:00:00+14:01",
    "2026-12-02T10:00:00+15:00",
    "2026-12-02T10:00:00,5",  # comma fraction
    "2026-12-02T10:00:00.1234567890",  # 10 fraction digits
    "2026-12-02T10:00:00.",
    "2026-12-02 10:00:00",  # a space for the T
    "2026-12-02t10:00:00",
    "2026-12-02X10:00:00",
    "2026-12-02T10:00:00z",
    "2026-12-02T24:00:00",
    "2026-12-02T10:00:60",
    " 2026-12-02",
    "2026-12-02 ",
    "2026-12-02\n",
    "2026-12-02T10:00:00\n",
    "２０２６-12-02",  # fullwidth digits
    "٢٠٢٦-12-02",  # Arabic-Indic digits
    "0000-01-01",
    "+2026-12-02",
    "2026-1-02",
    "",
]


@pytest.mark.parametrize("value", GOOD_DATETIMES)
def test_documented_datetimes_are_accepted_by_both_parsers(value):
    assert re.fullmatch(DATETIME_PATTERN, value) and re.fullmatch(RANGE_BOUND_PATTERN, value)
    stored = parse_door_b_datetime(value)
    bound = parse_range_bound(value)
    assert stored == bound.replace(tzinfo=None).isoformat(timespec="seconds")


@pytest.mark.parametrize("value", GOOD_DAYS)
def test_documented_days_are_whole_days_as_range_bounds(value):
    assert re.fullmatch(RANGE_BOUND_PATTERN, value)
    assert parse_range_bound(value) == datetime.fromisoformat(value).replace(tzinfo=UTC)
    assert parse_range_bound(value, end=True) == datetime.fromisoformat(f"{value}T23:59:59.999999+00:00")


@pytest.mark.parametrize("value", LENIENT_OR_UNREAL)
def test_lenient_or_unreal_dates_are_refused_by_both_parsers_and_not_documented(value):
    assert not re.fullmatch(DATETIME_PATTERN, value) and not re.fullmatch(RANGE_BOUND_PATTERN, value)
    with pytest.raises(ValueError, match="must be a date"):
        parse_door_b_datetime(value)
    with pytest.raises(ValueError, match="must be a date"):
        parse_range_bound(value)


@pytest.mark.parametrize("value", ["0001-01-01", "0999-06-01", "3000-01-01", "9999-12-31T23:59:59.9999999"])
def test_years_outside_1000_to_2999_are_accepted_as_list_bounds_but_not_documented(value):
    # A list's open ends as clients write them (docs/api-patient-documents.md, "List"); the documented years
    # are those no offset takes out of the calendar.
    assert not re.fullmatch(RANGE_BOUND_PATTERN, value)
    parse_range_bound(value)


def test_the_documented_days_are_exactly_the_calendars_from_year_1000_to_2999():
    # Every month and day number of every year: the pattern admits a day exactly when the calendar has it
    for year in range(1000, 3000):
        for month in range(1, 13):
            for day in (28, 29, 30, 31):
                text = f"{year}-{month:02d}-{day:02d}"
                real = day <= calendar.monthrange(year, month)[1]
                assert bool(re.fullmatch(RANGE_BOUND_PATTERN, text)) == real, text
