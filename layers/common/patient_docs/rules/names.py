"""File and display names that are safe to store and show."""

from __future__ import annotations

import unicodedata

MAX_NAME_LENGTH = 255


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
