"""Webhooks' rules: which targets may be called, how a delivery is signed, and when it is tried again.

Targets (docs/webhooks.md, "Targets"): ``https`` only, no user information, and a host that is a
public name or a public address. An address is public when the standard library's ``ipaddress``
says it is globally reachable and it is not multicast; addresses embedded in IPv6 (IPv4-mapped,
NAT64, 6to4, Teredo) are judged by the IPv4 address they carry, and IPv6 addresses in reserved space
(IPv4-compatible ``::a.b.c.d`` and IPv4-translated ``::ffff:0:a.b.c.d`` included), site-local or
documentation ranges are refused. Hosts are read the way browsers
and most HTTP clients read them (WHATWG URL): lower-cased, IDNA-mapped (so full-width digits are
digits), a trailing dot dropped, and a host whose last label is numeric is an IPv4 address in one of
its legacy spellings (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``). The same rule judges
every address a host name resolves to at delivery time (adapters/webhook_http.py).

Signature (docs/webhooks.md, "Verifying a delivery"): ``Webhook-Signature: v1=<hex>``, the
HMAC-SHA256 of ``"{Webhook-Timestamp}.{body}"`` keyed with the endpoint's secret (its UTF-8 bytes);
while a rotated secret is still honoured, one ``v1=`` per secret, separated by a space.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from typing import Literal, get_args
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

from patient_docs.errors import InvalidField

WebhookEventType = Literal["file_request.responded", "file.quarantined", "document.created"]
EVENT_TYPES: tuple[str, ...] = get_args(WebhookEventType)

# Tries of one delivery (the queue's maxReceiveCount in template.yaml), then its dead-letter queue.
WEBHOOK_TRIES = 8
# How long a receiver may take to answer (connect and read, each).
TIMEOUT_SECONDS = 5
# A rotated secret still signs (beside the new one) this long, so receivers can switch without a gap.
PREVIOUS_SECRET_HOURS = 24
# What is kept of a receiver's answer: the status, and at most this much of its body.
EXCERPT_CHARS = 200
MAX_URL_LENGTH = 2048
MAX_ENDPOINTS_PER_ACCOUNT = 10

_LOCAL_HOST = "127.0.0.1"
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
# Names that never reach the internet (RFC 6761, 6762, 8375 and the cloud providers' own).
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".arpa", ".test", ".invalid", ".example")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IPv6 documentation (RFC 9637), which this Python's ``ipaddress`` does not yet know.
_IPV6_DOCUMENTATION = ipaddress.ip_network("3fff::/20")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def backoff_seconds(attempt: int) -> int:
    """Wait before try ``attempt + 1``: 30 s, 2 min, 8 min, 32 min, ~2 h, then 6 h (about 15 h in all)."""
    return int(min(30 * 4 ** (attempt - 1), 6 * 3600))


def free_slot(taken: set[int | None]) -> int | None:
    """The lowest endpoint slot not in ``taken`` (the slots of the endpoints an account has), or None when all
    ``MAX_ENDPOINTS_PER_ACCOUNT`` are taken.

    Which free slot matters (an arbitrary one would not do; tests/unit/test_webhook_rules.py searches every
    interleaving): next to ``s`` endpoints with a slot, the slot chosen is at most ``s``. A create that
    passed the limit check (``k + s < MAX``, ``k`` endpoints stored before slots, without one) so takes a
    slot below ``MAX - k``; endpoints without a slot are only ever removed, never added, so every slot
    held stays below ``MAX - k`` for the ``k`` of now, and the endpoints never exceed the limit however
    creates interleave: DynamoDB lets one endpoint hold a slot (logic/webhooks.register_webhook)."""
    return next((slot for slot in range(MAX_ENDPOINTS_PER_ACCOUNT) if slot not in taken), None)


def new_secret() -> str:
    """A signing secret: 32 random bytes, URL-safe base64, with a prefix that says what it is."""
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(signing_secrets: list[str], timestamp: int, body: bytes) -> str:
    return " ".join(f"v1={sign(secret, timestamp, body)}" for secret in signing_secrets)


# ------------------------------------------------------------------ addresses
def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a numeric host spells (decimal, octal, hex; one to four parts), as browsers
    read it; None when ``host`` is not numeric. InvalidField-free: ``ValueError`` if numeric but not valid."""
    labels = host.split(".")
    if not _NUMERIC_LABEL.match(labels[-1]):
        return None
    if len(labels) > 4:
        raise ValueError("too many parts")
    numbers = []
    for label in labels:
        if not _NUMERIC_LABEL.match(label):
            raise ValueError("not a number")
        if label.startswith("0x"):
            numbers.append(int(label[2:] or "0", 16))
        elif len(label) > 1 and label.startswith("0"):
            numbers.append(int(label, 8))
        else:
            numbers.append(int(label))
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        raise ValueError("out of range")
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def is_public(address: Address) -> bool:
    """Globally reachable unicast, judged by the IPv4 address an IPv6 one carries, if any."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
        # Outside the global unicast space (IPv4-compatible ::/96 and IPv4-translated forms are in ::/8),
        # site-local, or documentation: ``is_global`` alone lets these through.
        if address.is_reserved or address.is_site_local or address in _IPV6_DOCUMENTATION:
            return False
    return address.is_global and not address.is_multicast


def _host_of(raw_host: str) -> str:
    """The host as clients will read it: IDNA-mapped, lower case, without a trailing dot."""
    if any(ch in raw_host for ch in "%\\ \t\r\n") or not raw_host:
        raise ValueError("not a host name")
    try:
        host = raw_host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValueError("not a host name") from exc
    return host[:-1] if host.endswith(".") else host


def _parts(url: str) -> tuple[SplitResult, int | None]:
    if len(url) > MAX_URL_LENGTH or any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise InvalidField("url", f"must be an https URL of at most {MAX_URL_LENGTH} characters, without spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidField("url", "is not a valid URL") from exc
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidField("url", "must not carry a user name or password")
    if parts.fragment:
        raise InvalidField("url", "must not have a fragment")
    return parts, port


def _public_host(parts: SplitResult) -> str:
    """The URL's host as it will be called (an address in its plain spelling), if it is public."""
    if parts.hostname is None:
        raise InvalidField("url", "must name a host")
    bracketed = parts.netloc.startswith("[")
    try:
        host = parts.hostname if bracketed else _host_of(parts.hostname)
        address: Address | None = ipaddress.IPv6Address(host) if bracketed else legacy_ipv4(host)
    except ValueError as exc:
        raise InvalidField("url", "must name a valid host") from exc
    if address is not None:
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            raise InvalidField("url", "must not name a network interface (an IPv6 zone)")
        if not is_public(address):
            raise InvalidField("url", "must not point at a private, loopback, link-local or reserved address")
        return f"[{address}]" if bracketed else str(address)
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or not _NAME.match(host):
        raise InvalidField("url", "must name a public host (a domain name with a dot, or a public address)")
    return host


def _ascii(text: str) -> str:
    """Path or query as sent: non-ASCII characters percent-encoded as UTF-8 (as browsers do); the rest kept."""
    try:
        return "".join(quote(ch, safe="") if ord(ch) > 127 else ch for ch in text)
    except UnicodeEncodeError as exc:
        raise InvalidField("url", "is not a valid URL") from exc


def target_url(url: str, allow_local: bool = False) -> str:
    """``url`` as stored and called, or InvalidField("url", why). ``allow_local``: the local server only
    (its explicit setting) also accepts ``http://127.0.0.1:<port>``."""
    parts, port = _parts(url)
    if allow_local and parts.scheme.lower() == "http" and parts.hostname == _LOCAL_HOST and port:
        return urlunsplit(("http", f"{_LOCAL_HOST}:{port}", _ascii(parts.path) or "/", _ascii(parts.query), ""))
    if parts.scheme.lower() != "https":
        raise InvalidField("url", "must use https")
    netloc = _public_host(parts)
    if port is not None and port != 443:
        netloc = f"{netloc}:{port}"
    return urlunsplit(("https", netloc, _ascii(parts.path) or "/", _ascii(parts.query), ""))


def is_local_target(url: str) -> bool:
    """A ``http://127.0.0.1:<port>`` target (the local server's receivers)."""
    return urlsplit(url).scheme == "http"


def excerpt(body: bytes) -> str:
    return body[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]
