"""URLs a client hands us (door B ``thumbnail_url``): https, a public DNS name, a plain path.

The service never fetches a client URL; these checks keep stored links honest. The documented
pattern (``PUBLIC_HTTPS_URL_PATTERN``, in /openapi.json) is enforced: a URL is accepted exactly
when it matches it. On top, refusals say why: a host spelled as an IP address in any of the
ways a URL parser reads one (``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``,
``[::ffff:127.0.0.1]``, a zone id, a trailing dot, upper case or percent-encoding), a private
or local name, or credentials. Addresses are refused whether public or private: the pattern
names hosts by DNS name only.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urlsplit

MAX_URL_LENGTH = 2048

_LABEL = r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PATH_CHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})"
# Documented shape (JSON Schema pattern in /openapi.json): https, a public lower-case DNS name of two
# labels or more (each starting with a letter: no IP address can match), a path and query of URL-safe
# characters or percent-encoded octets; no port, credentials or fragment.
PUBLIC_HTTPS_URL_PATTERN = (
    r"^https://(?![^/?]*\.(?:local|localhost|internal)(?:[/?]|$))"
    rf"{_LABEL}(?:\.{_LABEL})+(?:/{_PATH_CHAR}*)?(?:\?(?:{_PATH_CHAR}|\?)*)?$"
)
_DOCUMENTED = re.compile(PUBLIC_HTTPS_URL_PATTERN)
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal")
# A host whose last label is a number is an IPv4 address to a URL parser (WHATWG "ends in a number"):
# decimal, 0x-hex (even "0x") or 0-octal, however many labels come before it.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


def _host(netloc: str) -> str:
    """The host as written (brackets kept), without credentials or port."""
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.partition(":")[0]


def is_ip_literal(host: str) -> bool:
    """Whether a URL parser reads ``host`` as an IP address, in any spelling."""
    name = unquote(host).lower().rstrip(".")
    if name.startswith("["):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return bool(name) and _NUMERIC_LABEL.fullmatch(name.rsplit(".", 1)[-1]) is not None
    return True


def _is_private_name(host: str) -> bool:
    name = unquote(host).lower().rstrip(".")
    return name == "localhost" or name.endswith(_PRIVATE_SUFFIXES)


def check_public_https_url(value: str) -> str:
    url = value.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise ValueError("must be an https URL")
    if "@" in parts.netloc:
        raise ValueError("must not carry credentials")
    host = _host(parts.netloc)
    if not host:
        raise ValueError("must name a host")
    if is_ip_literal(host):
        raise ValueError("must name its host by a public DNS name, not an IP address")
    if _is_private_name(host):
        raise ValueError("must not point to a private, local or link-local address")
    if not _DOCUMENTED.fullmatch(url):
        raise ValueError(
            "must be https:// then a lower-case DNS name (no port, trailing dot or percent-encoding) "
            "and a path of URL-safe characters, as the documented pattern says"
        )
    return url
