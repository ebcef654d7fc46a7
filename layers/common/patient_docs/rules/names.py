"""File and display names that are safe to store and show."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable

MAX_NAME_LENGTH = 255


def _char_class(excluded: Callable[[str], bool]) -> str:
    """A regex character-class body of every character ``excluded`` holds for.

    BMP ranges as ``\\uXXXX`` escapes; characters beyond it (a few format characters) as themselves,
    since JSON Schema's regex dialect has no escape for them that Python's shares.
    """
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if excluded(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))

    def spelled(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    return "".join(spelled(a) if a == b else f"{spelled(a)}-{spelled(b)}" for a, b in ranges)


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc"


def _is_control_or_format(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf")


# The same rules as JSON Schema patterns, for /openapi.json (documentation: the checks below
# decide). Clients and the fuzzer then know which names are accepted: at least one visible
# character, and none of the refused ones. The classes are written out, not built at import
# (walking the 1.1 million code points four times costs about 30 ms of every cold start);
# tests/unit/test_rules.py proves each equals what refused_classes() builds.
# Format characters beyond the BMP (Brahmi, Egyptian hieroglyph and musical controls, tags).
_ASTRAL_FORMAT = (
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_FILE_REFUSED = (
    r"\u0000-\u001f\u002f\u005c\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb" + _ASTRAL_FORMAT
)
_FILE_BLANK = (
    r"\u0000-\u0020\u002e-\u002f\u005c\u007f-\u00a0\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2"
    r"\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb" + _ASTRAL_FORMAT
)
_TEXT_REFUSED = r"\u0000-\u0008\u000b-\u001f\u007f-\u009f"
_TEXT_BLANK = r"\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028-\u2029\u202f\u205f\u3000"
FILE_NAME_PATTERN = f"^[^{_FILE_REFUSED}]*[^{_FILE_BLANK}][^{_FILE_REFUSED}]*$"
DISPLAY_TEXT_PATTERN = f"^[^{_TEXT_REFUSED}]*[^{_TEXT_BLANK}][^{_TEXT_REFUSED}]*$"


def refused_classes() -> dict[str, str]:
    """The four character classes above, built from the rules they state."""
    return {
        "_FILE_REFUSED": _char_class(lambda ch: _is_control_or_format(ch) or ch in "/\\"),
        "_FILE_BLANK": _char_class(lambda ch: _is_control_or_format(ch) or ch in "/\\." or ch.isspace()),
        "_TEXT_REFUSED": _char_class(lambda ch: _is_control(ch) and ch not in "\n\t"),
        "_TEXT_BLANK": _char_class(lambda ch: _is_control(ch) or ch.isspace()),
    }


def check_file_name(value: str) -> str:
    """A bare file name: no directories, no control characters, not empty."""
    name = value.strip()
    if not name:
        raise ValueError("must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"must be at most {MAX_NAME_LENGTH} characters")
    if "/" in name or "\\" in name:
        raise ValueError("must be a file name without path separators")
    if name in (".", ".."):
        raise ValueError("must be a file name, not a directory reference")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise ValueError("must not contain control characters")
    return name


def check_display_text(value: str, max_length: int = MAX_NAME_LENGTH) -> str:
    text = value.strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise ValueError("must not contain control characters")
    return text
