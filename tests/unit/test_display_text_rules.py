"""The one rule set for stored display texts (rules/names.py): names, free text, file names."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patient_docs.rules import names
from patient_docs.rules.names import (
    FILE_NAME_PATTERN,
    FREE_TEXT_PATTERN,
    NAME_PATTERN,
    check_file_name,
    check_free_text,
    check_name,
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Refused by every kind: invisible, reordering and control characters.
EVERYWHERE = [
    "a\u202eb",  # right-to-left override
    "a\u202ab",  # left-to-right embedding
    "a\u2067b\u2069",  # right-to-left isolate
    "a\u200eb",  # left-to-right mark
    "a\u061cb",  # Arabic letter mark
    "a\u200bb",  # zero-width space
    "a\u200db",  # zero-width joiner
    "a\u2060b",  # word joiner
    "a\u00adb",  # soft hyphen
    "a\ufeffb",  # byte order mark
    "a\U000e0061b",  # tag letter
    "a\x00b",
    "a\x1bb",
    "a\x7fb",
    "a\x85b",  # next line (C1)
    "a\u2028b",  # line separator
    "a\u2029b",  # paragraph separator
    "a\rb",
]
LINES = ["a\nb", "a\tb"]


@pytest.mark.parametrize("text", EVERYWHERE + LINES)
def test_a_name_is_one_line_of_visible_text(text):
    with pytest.raises(ValueError):
        check_name(text)
    with pytest.raises(ValueError):
        check_file_name(text + ".png")
    assert not re.fullmatch(NAME_PATTERN, text) and not re.fullmatch(FILE_NAME_PATTERN, text + ".png")


@pytest.mark.parametrize("text", EVERYWHERE)
def test_free_text_refuses_the_same_characters(text):
    with pytest.raises(ValueError):
        check_free_text(text, 100)
    assert not re.fullmatch(FREE_TEXT_PATTERN, text)


@pytest.mark.parametrize("text", LINES)
def test_free_text_keeps_line_feeds_and_tabs(text):
    assert check_free_text(text, 100) == text
    assert re.fullmatch(FREE_TEXT_PATTERN, text)


def test_free_text_stores_a_windows_line_break_as_a_line_feed():
    assert check_free_text("first\r\nsecond\r\n", 100) == "first\nsecond"


@pytest.mark.parametrize(
    "text",
    ["Dr Rachel Williams", "Zoë O'Brien-Łukasiewicz", "山田 太郎", "محمد علي", "Insurance Card (2025/26)", "📷 front"],
)
def test_names_in_any_script_are_accepted_trimmed(text):
    assert check_name(f"  {text} ") == text
    assert re.fullmatch(NAME_PATTERN, text)


@pytest.mark.parametrize("check", [check_name, lambda value: check_free_text(value, 255)])
def test_every_kind_is_bounded_and_must_hold_a_visible_character(check):
    with pytest.raises(ValueError, match="at most"):
        check("x" * 256)
    for blank in ("", "   ", "\u3000"):
        with pytest.raises(ValueError, match="empty"):
            check(blank)
    assert check("x" * 255) == "x" * 255


def test_the_written_out_classes_are_the_ones_their_rules_build():
    # The patterns are literals (building them walks every code point); this Python's Unicode data decides.
    for name, built in names.refused_classes().items():
        assert getattr(names, name) == built, name


@FAST
@given(st.from_regex(NAME_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 200))
def test_every_documented_name_is_accepted(text):
    check_name(text, 200)


@FAST
@given(st.from_regex(FREE_TEXT_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 1000))
def test_every_documented_free_text_is_accepted(text):
    check_free_text(text, 1000)


@FAST
@given(st.text(max_size=40))
def test_what_a_check_accepts_the_documented_pattern_allows(text):
    # The other direction: the pattern documents the rule, so an accepted value matches it once trimmed
    for check, pattern in ((check_name, NAME_PATTERN), (lambda v: check_free_text(v, 1000), FREE_TEXT_PATTERN)):
        try:
            accepted = check(text)
        except ValueError:
            continue
        assert re.fullmatch(pattern, accepted), repr(text)
