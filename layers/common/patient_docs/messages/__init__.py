"""The one message catalogue of what patients read: the patient page, the SMS and the email, in every language.

``catalogue.json`` holds each text once per key, its languages side by side (``{key: {language:
text}}``), so a translator sees them together and a test proves every key has every language with
the same ``{placeholders}``. Texts are plain text: callers escape them for HTML.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from patient_docs.rules.languages import Language

_CATALOGUE = Path(__file__).with_name("catalogue.json")


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every key with its text in each language."""
    loaded: dict[str, dict[str, str]] = json.loads(_CATALOGUE.read_text(encoding="utf-8"))
    return loaded


def text(language: Language, key: str, **values: Any) -> str:
    """The text of ``key`` in ``language`` with its ``{placeholders}`` filled in."""
    template = catalogue()[key][language]
    return template.format_map(values) if values else template


def texts(language: Language, prefix: str) -> dict[str, str]:
    """Every text whose key starts with ``prefix``, in ``language``, by key without the prefix (the page's script)."""
    return {
        key[len(prefix) :]: by_language[language] for key, by_language in catalogue().items() if key.startswith(prefix)
    }
