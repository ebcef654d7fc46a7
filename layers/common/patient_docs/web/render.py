"""Rendering the patient page: HTML from templates, every value escaped, a strict CSP, one language.

Style and script are inline and allowed by their SHA-256 hashes, so the page needs no
second request, no CDN and no ``unsafe-inline``. Every word the page shows, its script's
included, comes from the message catalogue (``patient_docs.messages``) in the one language
the page is in, so a page never mixes languages.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

from patient_docs.messages import text, texts
from patient_docs.rules.content_types import DOCUMENT_TYPES
from patient_docs.rules.languages import Language
from patient_docs.rules.phone_numbers import display_phone

_HERE = Path(__file__).parent

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Permissions-Policy": "geolocation=(), microphone=(), payment=()",
}
# What the page's script says when a link stops working while it is open (besides its js.* texts).
_SCRIPT_TEXTS = ("locked.heading", "locked.text", "expired.heading", "expired.text", "cancelled.text")


@cache
def _asset(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_security_policy(upload_origin: str | None) -> str:
    connect = "'self'" + (f" {upload_origin}" if upload_origin else "")
    return (
        "default-src 'none'; "
        f"script-src {_digest(_asset('page.js'))}; "
        f"style-src {_digest(_asset('page.css'))}; "
        "img-src 'self' blob: data:; "
        f"connect-src {connect}; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


@dataclass(frozen=True)
class Practice:
    """Who to contact: the practice's name and, when the account gave one, its phone number (E.164)."""

    name: str
    phone: str | None = None


def _html_text(language: Language, key: str, markup: dict[str, str] | None = None, **values: Any) -> str:
    """A catalogue text as HTML: the text and its values escaped, ``markup`` values (already HTML) as they are."""
    escaped = {name: html.escape(str(value)) for name, value in values.items()}
    return html.escape(text(language, key), quote=False).format_map({**escaped, **(markup or {})})


def _contact(language: Language, practice: Practice | None) -> str:
    """The line that makes "contact the practice" something a patient can do: its name and a number to call."""
    if practice is None:
        return ""
    if practice.phone:
        shown = html.escape(display_phone(practice.phone))
        link = f'<a href="tel:{html.escape(practice.phone)}">{shown}</a>'
        line = _html_text(language, "contact.phone", {"phone": link}, practice=practice.name)
    else:
        line = _html_text(language, "contact.no_phone", practice=practice.name)
    return f'<p class="contact">{line}</p>'


def _script_messages(language: Language) -> str:
    """The script's texts as JSON safe inside a <script> element."""
    messages = {**texts(language, "js."), **{key.replace(".", "_"): text(language, key) for key in _SCRIPT_TEXTS}}
    return _script_json(messages)


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    encoded = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _pickable(accept: list[str]) -> tuple[str, str]:
    """The file inputs' ``accept`` (the types, then their extensions) and, as JSON for the script, each
    extension's type. A browser that does not know a type (HEIC on Windows without HEIF support, Linux)
    neither offers such files by type nor names their type (``File.type`` is empty): both go by the name.
    """
    by_extension = {f".{ext}": mime for mime in accept for ext in DOCUMENT_TYPES.get(mime, ())}
    return ",".join([*accept, *by_extension]), _script_json(by_extension)


def _page(language: Language, title: str, link: str, content: str, with_script: bool) -> str:
    script = f"<script>{_asset('page.js')}</script>" if with_script else ""
    return Template(_asset("page.html")).substitute(
        lang=language,
        title=html.escape(title),
        style=_asset("page.css"),
        link=html.escape(link),
        content=content,
        script=script,
    )


def request_page(
    language: Language,
    link: str,
    staff_name: str,
    practice: Practice,
    max_files: int,
    max_bytes: int,
    accept: list[str],
) -> str:
    """The page for a live request before the date of birth is checked: who asks and how to reach them,
    the date-of-birth form, and (hidden) the uploader. It never shows the patient's name or date of
    birth, nor what is asked for: the prompt comes with the upload session, and the script shows it then.
    """

    def say(key: str, **values: Any) -> str:
        return _html_text(language, key, **values)

    pickable, types = _pickable(accept)
    content = Template(_asset("request_content.html")).substitute(
        asks_heading=say("asks.heading", staff_name=staff_name),
        asks_from=say("asks.from", staff_name=staff_name, practice=practice.name),
        contact=_contact(language, practice),
        request_heading=say("request.heading"),
        verify_heading=say("verify.heading"),
        dob_legend=say("dob.legend"),
        dob_hint=say("dob.hint"),
        dob_day=say("dob.day"),
        dob_month=say("dob.month"),
        dob_year=say("dob.year"),
        verify_button=say("verify.button"),
        upload_heading=say("upload.heading"),
        upload_hint=say("upload.hint", max_files=max_files, max_mb=max_bytes // (1024 * 1024)),
        upload_camera=say("upload.camera"),
        upload_gallery=say("upload.gallery"),
        upload_list=say("upload.list"),
        upload_send=say("upload.send"),
        done_heading=say("done.heading"),
        accept=html.escape(pickable),
        types=types,
        messages=_script_messages(language),
    )
    return _page(language, text(language, "page.title"), link, content, with_script=True)


def message_page(
    language: Language, heading_key: str, message_key: str, practice: Practice | None = None, bad: bool = True
) -> str:
    """A page that only says something: an unknown, expired, cancelled or locked link, or try again later."""
    heading = text(language, heading_key)
    content = Template(_asset("message_content.html")).substitute(
        heading=html.escape(heading),
        message=_html_text(language, message_key),
        contact=_contact(language, practice),
        tone=" bad" if bad else "",
    )
    return _page(language, heading, "", content, with_script=False)
