"""The one JSON parser for request bodies, on every route of every door.

Powertools parses a body as JSON when its Content-Type says so or says nothing; the resolvers
give it ``parse_body`` (``json_body_deserializer``), and the middleware in ``http/resolver.py``
calls the same parser on routes that read no body. Every way a body can break the standard
parser, or mean two things to two parsers, is refused as a 400 naming ``body`` (never a 500,
never silently read):

* not an object at the top (``[{...}]`` would be read as its first element);
* more than ``MAX_CONTAINERS`` objects and arrays, or nested deeper than ``MAX_DEPTH``
  (100,000 ``[`` exhausted the recursion limit; no request of this API needs more than a few);
* an integer longer than the interpreter converts (4,300 digits: ``int()`` raises);
* ``NaN``, ``Infinity`` or a number beyond the range of a double (``1e999`` reads as inf);
* a lone surrogate escape (``"\\ud800"``: not text; it cannot be stored or logged);
* a key given twice in one object (parsers disagree on which one wins).

The structure is measured on the raw text before parsing, so a 6 MB body of tiny arrays costs
a few regular-expression passes, not millions of Python calls. Messages name the rule, never the input.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any, NoReturn

from patient_docs.errors import InvalidField

MAX_DEPTH = 32
MAX_CONTAINERS = 1000
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
# Only a literal with a 3-digit exponent or 309 digits in a row can overflow a double.
_HUGE_NUMBER = re.compile(r"[eE][+-]?0*[1-9][0-9]{2}|[0-9]{309}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse(message: str) -> NoReturn:
    raise InvalidField("body", message)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        _refuse("has a number beyond the range of a double")
    return value


def _constant(name: str) -> NoReturn:
    _refuse(f"has {name}, which is not JSON")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        _refuse("has a key given twice in one object")
    return value


def _check_structure(outside_strings: str) -> None:
    """How many objects and arrays the text opens, and how deep (``outside_strings``: the text without its strings)."""
    if outside_strings.count("{") + outside_strings.count("[") > MAX_CONTAINERS:
        _refuse(f"has more than {MAX_CONTAINERS} objects and arrays")
    depth = 0
    for bracket in _BRACKET.findall(outside_strings):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_DEPTH:
            _refuse(f"is nested deeper than {MAX_DEPTH} levels")


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(key) or _has_lone_surrogate(child) for key, child in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(child) for child in value)
    return False


def parse_body(body: str | bytes) -> Any:
    """A request body that is one JSON object, read by the rules above.

    Syntax errors stay ``json.JSONDecodeError`` (Powertools answers them: "is not valid JSON");
    everything else this module refuses is an ``InvalidField`` on ``body``.
    """
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    # Brackets and numbers only count outside strings (a 4 MB base64 string is one regex match).
    outside_strings = _STRING.sub("", text)
    _check_structure(outside_strings)
    try:
        parse_float = _float if _HUGE_NUMBER.search(outside_strings) else float  # the check costs a call per number
        value = json.loads(text, parse_float=parse_float, parse_constant=_constant, object_pairs_hook=_object)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError):  # int(): more digits than the interpreter converts
        _refuse(f"has an integer longer than {sys.get_int_max_str_digits()} digits")
    if not isinstance(value, dict):
        _refuse("must be a JSON object")
    # Escapes are the only way a lone surrogate gets in: a parsed string of real text has none.
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        _refuse("has a lone surrogate escape (\\ud800-\\udfff), which is not text")
    return value
