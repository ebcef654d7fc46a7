"""The request-body parser and Content-Type spelling: the rules, without a resolver."""

from __future__ import annotations

import json
import sys

import pytest

from patient_docs.errors import InvalidField
from patient_docs.http.json_bodies import MAX_CONTAINERS, MAX_DEPTH, parse_body
from patient_docs.rules.content_types import canonical_media_type, is_json_media_type, media_type, normalise


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, f"more than {MAX_CONTAINERS} objects"),
        ('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), f"deeper than {MAX_DEPTH} levels"),
        ('{"a": [' + ",".join(["[]"] * MAX_CONTAINERS) + "]}", f"more than {MAX_CONTAINERS} objects"),
        ('{"n": ' + "7" * (sys.get_int_max_str_digits() + 1) + "}", "integer longer than"),
        ('{"n": 1e999}', "beyond the range of a double"),
        ('{"n": -' + "9" * 400 + ".5}", "beyond the range of a double"),
        ('{"n": NaN}', "NaN, which is not JSON"),
        ('{"n": [Infinity]}', "Infinity, which is not JSON"),
        ('{"s": ["ok", "\\udbff"]}', "lone surrogate"),
        ('{"\\udc00": 1}', "lone surrogate"),
        ('{"a": 1, "b": {"c": 1, "c": 1}}', "key given twice"),
        ("[{}]", "must be a JSON object"),
        ("null", "must be a JSON object"),
    ],
)
def test_each_way_to_break_the_parser_is_refused_naming_the_body(text, message):
    with pytest.raises(InvalidField) as refused:
        parse_body(text)
    assert refused.value.field == "body" and message in refused.value.message
    # The message names the rule, never a piece of the input
    assert "999" not in refused.value.message and "udbff" not in refused.value.message


@pytest.mark.parametrize(
    "text",
    [
        '{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH,  # at the limit
        '{"emoji": "\\ud83d\\ude00", "escaped": "\\\\ud800 is text"}',  # a pair, and an escaped backslash
        '{"brackets in a string": "' + "[{" * 5000 + '"}',  # not structure
        '{"n": 1e308, "m": -2.5e-300, "i": ' + "9" * 100 + "}",
        '{"data": "' + "QUJD" * 250_000 + '"}',
    ],
)
def test_bodies_within_the_rules_are_read_as_json_reads_them(text):
    assert parse_body(text) == json.loads(text)
    assert parse_body(text.encode()) == json.loads(text)


def test_a_syntax_error_stays_a_json_error_for_powertools_to_answer():
    with pytest.raises(json.JSONDecodeError):
        parse_body('{"a": ')


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Application/JSON; Charset=UTF-8", "application/json; charset=UTF-8"),
        ("MULTIPART/Form-Data;BOUNDARY=AbC-12", "multipart/form-data; boundary=AbC-12"),
        (' multipart/form-data ; boundary="Q x" ', 'multipart/form-data; boundary="Q x"'),
        ("image/png", "image/png"),
        ("", ""),
    ],
)
def test_a_content_type_has_one_spelling_with_parameter_values_kept(written, canonical):
    assert canonical_media_type(written) == canonical


def test_media_types_compare_without_case_everywhere():
    assert media_type("IMAGE/PNG; x=1") == "image/png"
    assert normalise("Image/JPG") == "image/jpeg" and normalise(" TEXT/Plain ;charset=utf-8") == "text/plain"
    assert is_json_media_type("Application/Json") and is_json_media_type("")
    assert not is_json_media_type("text/plain") and not is_json_media_type("multipart/form-data; boundary=x")
