"""Rendering the patient page: HTML from templates, every value escaped, a strict CSP.

Style and script are inline and allowed by their SHA-256 hashes, so the page needs no
second request, no CDN and no ``unsafe-inline``.
"""

from __future__ import annotations

import base64
import hashlib
import html
from functools import cache
from pathlib import Path
from string import Template

_HERE = Path(__file__).parent

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Permissions-Policy": "geolocation=(), microphone=(), payment=()",
}


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


def _page(title: str, link: str, content: str, with_script: bool) -> str:
    script = f"<script>{_asset('page.js')}</script>" if with_script else ""
    return Template(_asset("page.html")).substitute(
        title=html.escape(title), style=_asset("page.css"), link=html.escape(link), content=content, script=script
    )


def request_page(link: str, staff_name: str, practice: str, max_files: int, max_bytes: int, accept: list[str]) -> str:
    """The page for a live request before the date of birth is checked: who asks, the date-of-birth
    form, and (hidden) the uploader. It never shows the patient's name or date of birth, nor what is
    asked for: the prompt comes with the upload session, and the script shows it then.
    """
    content = Template(_asset("request_content.html")).substitute(
        staff_name=html.escape(staff_name),
        practice=html.escape(practice),
        max_files=max_files,
        max_mb=max_bytes // (1024 * 1024),
        accept=html.escape(",".join(accept)),
    )
    return _page("A photo request", link, content, with_script=True)


def message_page(heading: str, message: str, bad: bool = True) -> str:
    content = Template(_asset("message_content.html")).substitute(
        heading=html.escape(heading), message=html.escape(message), tone=" bad" if bad else ""
    )
    return _page(heading, "", content, with_script=False)
