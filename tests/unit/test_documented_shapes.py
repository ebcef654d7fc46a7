"""The shapes /openapi.json documents are ones the validators accept (the fuzzer's ST202 findings).

Each pattern is documentation; the validator decides. A value matching the documented pattern
must therefore always be accepted, or a client following the document gets a 400.
"""

from __future__ import annotations

import re

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
