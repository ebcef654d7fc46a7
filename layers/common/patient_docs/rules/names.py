"""Names and texts that are safe to store and show: one rule set for every stored display text.

Three kinds, each a check (which decides) and a JSON Schema pattern (which documents it in
/openapi.json; tests prove every documented value is accepted):

* file names (``check_file_name``): door A ``document_name``, door B and the patient page's
  ``file_name``. As names (below), and no path separator, not ``.``/``..``; 255 at most.
* names (``check_name``): single-line texts people read: door B ``name``, ``document_type``,
  ``spry_case_id``, ``signed_by``; door C ``staffName``, ``patientFirstName``/``patientLastName``.
  No control character (tabs and line breaks included), no format character (bidirectional
  overrides and isolates, zero-width characters, soft hyphen...), no line or paragraph separator;
  bounded (255, or 200 for people's names).
* free text (``check_free_text``): door B ``notes``, door C ``prompt``. As names, but line feeds
  and tabs are text (``\\r\\n`` is kept as ``\\n``); bounded (5000 notes, 1000 prompt).

All are trimmed and must hold a visible character. Format characters are refused everywhere
(also the zero-width joiner of some emoji and scripts): invisible text and reordered text are
how a name is made to read as another.
"""

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
    r"\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb" + _ASTRAL_FORMAT
)
_FILE_BLANK = (
    r"\u0000-\u0020\u002e-\u002f\u005c\u007f-\u00a0\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2"
    r"\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb" + _ASTRAL_FORMAT
)
# Single-line names (a document's name, who signed it, a staff or patient name): no control,
# format (bidirectional overrides, zero-width) or line/paragraph-separator character at all.
_NAME_REFUSED = (
    r"\u0000-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    r"\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb" + _ASTRAL_FORMAT
)
# Free text (notes, a prompt): the same, but a line feed and a tab are text.
_TEXT_REFUSED = (
    r"\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    r"\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb" + _ASTRAL_FORMAT
)
# What does not count as a visible character, in either.
_TEXT_BLANK = (
    r"\u0000-\u0020\u007f-\u00a0\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u1680\u180e\u2000-\u200f"
    r"\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb" + _ASTRAL_FORMAT
)
FILE_NAME_PATTERN = f"^[^{_FILE_REFUSED}]*[^{_FILE_BLANK}][^{_FILE_REFUSED}]*$"
NAME_PATTERN = f"^[^{_NAME_REFUSED}]*[^{_TEXT_BLANK}][^{_NAME_REFUSED}]*$"
FREE_TEXT_PATTERN = f"^[^{_TEXT_REFUSED}]*[^{_TEXT_BLANK}][^{_TEXT_REFUSED}]*$"
DISPLAY_TEXT_PATTERN = FREE_TEXT_PATTERN  # its former name


def _is_format_or_break(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cf", "Zl", "Zp")


def refused_classes() -> dict[str, str]:
    """The character classes above, built from the rules they state."""
    return {
        "_FILE_REFUSED": _char_class(lambda ch: _is_control(ch) or _is_format_or_break(ch) or ch in "/\\"),
        "_FILE_BLANK": _char_class(lambda ch: _is_control_or_format(ch) or ch in "/\\." or ch.isspace()),
        "_NAME_REFUSED": _char_class(lambda ch: _is_control(ch) or _is_format_or_break(ch)),
        "_TEXT_REFUSED": _char_class(lambda ch: (_is_control(ch) and ch not in "\n\t") or _is_format_or_break(ch)),
        "_TEXT_BLANK": _char_class(lambda ch: _is_control_or_format(ch) or ch.isspace()),
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
    if any(_is_control(ch) or _is_format_or_break(ch) for ch in name):
        raise ValueError("must be one line without control, format or bidirectional-override characters")
    return name


def _bounded(text: str, max_length: int) -> str:
    if not text:
        raise ValueError("must not be empty")
    if len(text) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    return text


def check_name(value: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """A single-line name shown to people: one line, no control, format or bidirectional character."""
    name = _bounded(value.strip(), max_length)
    if any(_is_control(ch) or _is_format_or_break(ch) for ch in name):
        raise ValueError("must be one line without control, format or bidirectional-override characters")
    return name


def check_free_text(value: str, max_length: int) -> str:
    """Free text shown to people (notes, a prompt): lines (``\\r\\n`` kept as ``\\n``) and tabs, nothing else
    invisible: no other control, format or bidirectional character, no line or paragraph separator."""
    text = _bounded(value.replace("\r\n", "\n").strip(), max_length)
    if any((_is_control(ch) and ch not in "\n\t") or _is_format_or_break(ch) for ch in text):
        raise ValueError("must not contain control, format or bidirectional-override characters")
    return text


def check_display_text(value: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """Its former name: free text."""
    return check_free_text(value, max_length)
