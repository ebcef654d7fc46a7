"""Door C resolver: errors as ``{"error": {status, code, message, field}}``, like door A."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from patient_docs.http import inline_documents
from patient_docs.http.resolver import error_responses, new_resolver
from patient_docs.schemas.errors import ErrorResponse

render = inline_documents.render


def resolver() -> APIGatewayHttpResolver:
    return new_resolver(render)


ERRORS = error_responses(
    ErrorResponse,
    {
        400: "A field is missing or invalid (the body names it)",
        401: "Missing or invalid bearer token",
        404: "No such file request, patient or account for this caller",
        415: "Unsupported Content-Type",
        500: "Internal error",
    },
)
CREATE_ERRORS = {
    **ERRORS,
    **error_responses(
        ErrorResponse,
        {
            409: "The date of birth differs from the patient's on record, or the same Idempotency-Key is in flight",
            422: "The Idempotency-Key was already used with a different body",
        },
    ),
}
CHANGE_ERRORS = {
    **ERRORS,
    **error_responses(
        ErrorResponse,
        {
            409: "The request is no longer open (cancelled, expired or responded)",
            429: "Resent too recently or too often",
        },
    ),
}
SETTINGS_ERRORS = {**ERRORS, **error_responses(ErrorResponse, {403: "Only the admin role may change settings"})}
DEVICE_ERRORS = {
    **ERRORS,
    **error_responses(ErrorResponse, {503: "Push notifications are not configured in this deployment"}),
}
