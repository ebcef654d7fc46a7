"""Where the request being handled came from: API Gateway's request id and the client's address.

Set once per request by the resolvers (``http/resolver.py``) and per message by the queue consumer,
read by the audit trail, so that use cases record them without passing them through every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None = None
    source_ip: str | None = None


_current: ContextVar[RequestContext] = ContextVar("request_context", default=RequestContext())  # noqa: B039


def current() -> RequestContext:
    return _current.get()


def set_current(context: RequestContext) -> None:
    _current.set(context)


def from_http_event(event: Mapping[str, Any]) -> RequestContext:
    """An HTTP API (payload 2.0) event's ``requestContext.requestId`` and ``http.sourceIp``."""
    request = event.get("requestContext") or {}
    http = request.get("http") or {}
    request_id, source_ip = request.get("requestId"), http.get("sourceIp")
    return RequestContext(
        request_id=str(request_id)[:128] if request_id else None, source_ip=str(source_ip)[:64] if source_ip else None
    )
