"""The patient page's resolver: public routes, door C's error format, nothing cached or referred."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from patient_docs.errors import WrongAnswer
from patient_docs.http import file_requests
from patient_docs.http.resolver import AUDIT_UNAVAILABLE, error_responses, json_response, new_resolver, status_of
from patient_docs.schemas.errors import ErrorResponse, VerifyErrorResponse
from patient_docs.web.render import SECURITY_HEADERS


def resolver() -> APIGatewayHttpResolver:
    app = new_resolver(file_requests.render, SECURITY_HEADERS)

    def _wrong_answer(exc: WrongAnswer) -> Response[Any]:
        status, code = status_of(exc)
        body = file_requests.render(status, code, f"{exc.field}: {exc.message}", exc.field)
        body["attempts_left"] = exc.attempts_left
        return json_response(status, body, SECURITY_HEADERS)

    app.exception_handler(WrongAnswer)(_wrong_answer)
    return app


def html(status: int, page: str, content_security_policy: str, language: str) -> Response[str]:
    # The page's language follows Accept-Language (rules/languages.py): caches must tell them apart.
    headers = {
        **SECURITY_HEADERS,
        "Content-Security-Policy": content_security_policy,
        "Content-Language": language,
        "Vary": "Accept-Language",
    }
    return Response(
        status_code=status, content_type=f"{content_types.TEXT_HTML}; charset=utf-8", body=page, headers=headers
    )


def ok(body: Any) -> Response[Any]:
    return json_response(200, body, SECURITY_HEADERS)


# The refusals each operation's handler answers (API Gateway's own are added by error_responses).
# The page itself answers unknown, expired and locked links with HTML pages (functions/patient_page_open).
_LINK = {
    404: "Unknown link",
    410: "The link expired or the request was cancelled",
    415: "Unsupported Content-Type",
    423: "Locked after too many wrong dates of birth",
    500: "Internal error",
    **AUDIT_UNAVAILABLE,
}
PAGE_ERRORS = error_responses(
    ErrorResponse, {400: "A JSON body that is not an object", 500: "Internal error"}, public=True
)
VERIFY_ERRORS = error_responses(
    VerifyErrorResponse,
    {
        **_LINK,
        400: "A field is missing or invalid, or the date of birth does not match (attempts_left says how many remain)",
    },
    public=True,
)
UPLOAD_ERRORS = error_responses(
    ErrorResponse,
    {
        **_LINK,
        400: "A field is missing or invalid, or X-Upload-Session is missing or expired",
        409: "The request already has as many photos as it allows",
        413: "Photo larger than allowed",
    },
    public=True,
)
