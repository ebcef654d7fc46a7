"""The languages patients read: which the service speaks, and which one a page is shown in.

A page is in one language only, chosen in this order:

1. the first language of the browser's ``Accept-Language`` (highest ``q`` first, ties in the
   order sent) that the service speaks, matched on its primary subtag (``es-MX`` is ``es``):
   the patient's own device says what they read;
2. else the language of the request's account (its ``language`` setting, which its SMS was
   written in); a ``*`` in ``Accept-Language`` also means this;
3. else English.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

Language = Literal["en", "es", "cy"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"
# Browsers send a handful of ranges; a longer header is read no further than this.
_MAX_HEADER = 512
_MAX_RANGES = 20
_RANGE = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*$")


def _quality(text: str | None) -> float:
    if text is None:
        return 1.0
    try:
        quality = float(text)
    except ValueError:
        return 0.0
    return quality if 0.0 <= quality <= 1.0 else 0.0


def preferred_ranges(accept_language: str | None) -> list[str]:
    """The header's language ranges, most preferred first, without those marked unacceptable (q=0)."""
    ranges: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "")[:_MAX_HEADER].split(",")[:_MAX_RANGES]):
        match = _RANGE.match(part)
        if match is None:
            continue
        quality = _quality(match[2])
        if quality > 0:
            ranges.append((-quality, index, match[1].lower()))
    return [tag for _, _, tag in sorted(ranges)]


def page_language(accept_language: str | None, account_language: str | None) -> Language:
    """The one language a page is shown in (the order is this module's docstring)."""
    fallback = _spoken(account_language) or DEFAULT_LANGUAGE
    for tag in preferred_ranges(accept_language):
        if tag == "*":
            return fallback
        spoken = _spoken(tag.split("-", 1)[0])
        if spoken is not None:
            return spoken
    return fallback


def _spoken(code: str | None) -> Language | None:
    for language in LANGUAGES:
        if code == language:
            return language
    return None
