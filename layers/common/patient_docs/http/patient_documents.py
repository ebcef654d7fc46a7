"""Door B resolver: every response is ``{"code", "data", "message"}``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from patient_docs.http.resolver import AUDIT_UNAVAILABLE, error_responses, new_resolver
from patient_docs.schemas.errors import DoorBErrorResponse


def render(status: int, code: str, message: str, field: str | None) -> dict[str, Any]:
    # The vendor numbers errors as the HTTP status times ten: 400 -> 4000, 404 -> 4040.
    return DoorBErrorResponse(code=status * 10, message=message, data=None).model_dump(mode="json")


def resolver() -> APIGatewayHttpResolver:
    return new_resolver(render)


# The refusals each kind of operation's handler answers (API Gateway's own are added by error_responses).
_ANY = {
    400: "A field is missing or invalid (the message names it)",
    401: "Missing or invalid bearer token",
    404: "No such patient or document for this caller",
    500: "Internal error",
}
_BODY = {**_ANY, 415: "Unsupported Content-Type"}
# Save, list and update are recorded in the audit trail: 503 when their event cannot be stored.
ERRORS = error_responses(DoorBErrorResponse, {**_ANY, **AUDIT_UNAVAILABLE})
WRITE_ERRORS = error_responses(
    DoorBErrorResponse,
    {
        **_BODY,
        **AUDIT_UNAVAILABLE,
        403: "A patient token setting a signature field, or changing a document staff added",
    },
)
SAVE_ERRORS = error_responses(
    DoorBErrorResponse,
    {
        **_BODY,
        **AUDIT_UNAVAILABLE,
        403: "A patient token setting a signature field",
        409: "Another document already points at this document_url (one object, one record), or a request with"
        " the same Idempotency-Key is still being processed",
        422: "The Idempotency-Key was already used with a different body",
    },
)
UPLOAD_ERRORS = error_responses(DoorBErrorResponse, {**_BODY, 413: "File larger than allowed"})
