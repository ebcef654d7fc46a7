"""URLs a client hands us: only https, never to a private or local address.

The service never fetches a client URL; these checks keep stored links honest.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048

# Documented shape (JSON Schema pattern in /openapi.json): https, a public DNS name, a plain path.
PUBLIC_HTTPS_URL_PATTERN = (
    r"^https://(?![^/]*\.(?:local|localhost|internal)(?:/|$))"
    r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)+(?:/[A-Za-z0-9._~/-]*)?$"
)


def _is_private_host(host: str) -> bool:
    if host in ("localhost",) or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


def check_public_https_url(value: str) -> str:
    url = value.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ValueError("must be an https URL")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError("must name a host")
    if _is_private_host(host):
        raise ValueError("must not point to a private, local or link-local address")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials")
    return url
