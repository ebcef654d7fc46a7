"""The one POST of a webhook delivery, to the address that was checked.

The host name is resolved here, and every address it resolves to must be public (rules/webhooks.py):
one private answer refuses the try, so a name that rebinds to an internal address between the check
and the call reaches nothing. The connection goes to the checked address (TLS still verifies the
name), redirects are not followed (a 3xx is an answer like any other), and connect and read each
time out after rules/webhooks.TIMEOUT_SECONDS. The response body is read up to a small bound only.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from patient_docs.rules.webhooks import EXCERPT_CHARS, TIMEOUT_SECONDS, is_public

# The local server (never deployed) records every try here: GET /_local/webhooks.
attempt_observers: list[Callable[[dict[str, Any]], None]] = []


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    body: bytes = b""
    error: str | None = None
    duration_ms: int = 0


class TargetRefused(Exception):
    """The target resolves to an address that is not public."""


def public_address(host: str, port: int) -> str:
    """The first address of ``host``, if every address it resolves to is public; TargetRefused otherwise."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]).split("%", 1)[0] for info in infos]
    if not addresses or not all(is_public(ipaddress.ip_address(address)) for address in addresses):
        raise TargetRefused("the target resolves to a non-public address")
    return addresses[0]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``address`` while the certificate and the Host header are checked for the URL's name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, headers: dict[str, str], body: bytes, local: bool = False) -> Answer:
    """POST ``body``; the answer's status, or why there was none. ``local``: an http://127.0.0.1 target
    the local server allowed (no resolution needed)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()
    connection: http.client.HTTPConnection
    try:
        if local:
            connection = http.client.HTTPConnection(host, parts.port or 80, timeout=TIMEOUT_SECONDS)
        else:
            port = parts.port or 443
            connection = _PinnedHTTPSConnection(host, port, public_address(host, port), TIMEOUT_SECONDS)
        try:
            connection.request("POST", path or "/", body=body, headers=headers)
            response = connection.getresponse()
            excerpt = response.read(EXCERPT_CHARS * 4)
            answer = Answer(response.status, excerpt, None, _since(started))
        finally:
            connection.close()
    except TargetRefused as exc:
        answer = Answer(None, b"", str(exc), _since(started))
    except TimeoutError:
        answer = Answer(None, b"", "timed out", _since(started))
    except ssl.SSLError:
        answer = Answer(None, b"", "TLS failed", _since(started))
    except (OSError, http.client.HTTPException) as exc:
        answer = Answer(None, b"", f"connection failed ({type(exc).__name__})", _since(started))
    for observer in attempt_observers:
        observer({"url": url, "headers": headers, "body": body.decode(), "status": answer.status_code})
    return answer


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
