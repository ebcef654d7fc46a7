"""Door C resolver: errors as ``{"error": {status, code, message, field}}``, like door A."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from patient_docs.http import inline_documents
from patient_docs.http.resolver import AUDIT_UNAVAILABLE, error_responses, new_resolver
from patient_docs.schemas.errors import ErrorResponse

render = inline_documents.render


def resolver() -> APIGatewayHttpResolver:
    return new_resolver(render)


# The refusals each kind of operation's handler answers (API Gateway's own are added by error_responses).
_ANY = {
    400: "A field is missing or invalid (the body names it)",
    401: "Missing or invalid bearer token",
    404: "No such file request, patient or account for this caller",
    500: "Internal error",
}
_BODY = {**_ANY, 415: "Unsupported Content-Type"}
_NOT_OPEN = {409: "The request is no longer open (cancelled, expired or responded)"}
ERRORS = error_responses(ErrorResponse, _ANY)
# Operations recorded in the audit trail: 503 when their event cannot be stored.
_AUDITED = {**_ANY, **AUDIT_UNAVAILABLE}
AUDITED_ERRORS = error_responses(ErrorResponse, _AUDITED)
# The audit trail's own read APIs (tags "Audit trail"): reading it is recorded too.
AUDIT_EVENTS_ERRORS = error_responses(
    ErrorResponse, {**_AUDITED, 403: "Only the admin role reads the audit trail (a patient token: 404)"}
)
ACCESS_LOG_ERRORS = error_responses(ErrorResponse, {**_AUDITED, 404: "Not a patient token: there is no own log"})
CREATE_ERRORS = error_responses(
    ErrorResponse,
    {
        **_BODY,
        **AUDIT_UNAVAILABLE,
        409: "The date of birth differs from the patient's on record, or the same Idempotency-Key is in flight",
        422: "The Idempotency-Key was already used with a different body",
    },
)
CANCEL_ERRORS = error_responses(ErrorResponse, {**_AUDITED, **_NOT_OPEN})
RESEND_ERRORS = error_responses(
    ErrorResponse, {**_AUDITED, **_NOT_OPEN, 429: "Resent too recently (Retry-After says when to retry) or too often"}
)
SETTINGS_ERRORS = error_responses(
    ErrorResponse, {**_BODY, **AUDIT_UNAVAILABLE, 403: "Only the admin role may change settings"}
)
DEVICE_ERRORS = error_responses(
    ErrorResponse, {**_BODY, 503: "Push notifications are not configured in this deployment"}
)
# Webhooks (docs/webhooks.md): the admin's alone.
_WEBHOOKS = {
    **_AUDITED,
    403: "Only the admin role manages webhooks (a patient token: 404)",
    404: "No such webhook or delivery in the caller's account",
}
WEBHOOK_LIST_ERRORS = error_responses(ErrorResponse, {**_ANY, 403: _WEBHOOKS[403]})
WEBHOOK_CREATE_ERRORS = error_responses(
    ErrorResponse,
    {**_WEBHOOKS, 409: "Other endpoints of the account were created at the same moment; try again", 415: _BODY[415]},
)
WEBHOOK_DELETE_ERRORS = error_responses(ErrorResponse, _WEBHOOKS)
WEBHOOK_ERRORS = error_responses(ErrorResponse, {**_WEBHOOKS, 409: "The webhook changed meanwhile; try again"})
REDELIVER_ERRORS = error_responses(
    ErrorResponse, {**_WEBHOOKS, 409: "The delivery is still being tried, or its webhook was deleted"}
)
