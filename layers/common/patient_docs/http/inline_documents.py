"""Door A resolver: errors as ``{"error": {status, code, message, field}}``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from patient_docs.http.resolver import AUDIT_UNAVAILABLE, error_responses, new_resolver
from patient_docs.schemas.errors import ErrorResponse


def render(status: int, code: str, message: str, field: str | None) -> dict[str, Any]:
    return ErrorResponse.model_validate(
        {"error": {"status": status, "code": code, "message": message, "field": field}}
    ).model_dump(mode="json")


def resolver() -> APIGatewayHttpResolver:
    return new_resolver(render)


# The refusals each kind of operation's handler answers (API Gateway's own are added by error_responses).
_ANY = {
    400: "A field is missing or invalid (the body names it)",
    401: "Missing or invalid bearer token",
    404: "No such patient or document for this caller",
    500: "Internal error",
    **AUDIT_UNAVAILABLE,  # every door A operation is recorded in the audit trail
}
ERRORS = error_responses(ErrorResponse, _ANY)
DELETE_ERRORS = error_responses(
    ErrorResponse, {**_ANY, 403: "A patient token deleting a document staff added (patient_docs.permissions)"}
)
CREATE_ERRORS = error_responses(
    ErrorResponse,
    {
        **_ANY,
        409: "A request with the same Idempotency-Key is still being processed",
        413: "File larger than the inline limit",
        415: "Unsupported Content-Type",
        422: "The Idempotency-Key was already used with a different body",
    },
)
# A file is served only once its malware scan allows it (logic/file_safety.py).
NOT_SERVED = {
    409: "The file is not served: its malware scan is still pending (Retry-After says when to ask again), "
    "or it found a threat, or it gave no verdict this deployment serves (the code says which)"
}
DOWNLOAD_ERRORS = error_responses(ErrorResponse, {**_ANY, **NOT_SERVED})
DOWNLOAD_ERRORS[409]["headers"] = {
    "Retry-After": {"description": "Seconds to wait, while the scan is pending", "schema": {"type": "integer"}}
}
