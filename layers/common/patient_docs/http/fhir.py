"""Door D resolver (FHIR R4): resources and errors as ``application/fhir+json``, errors as OperationOutcome.

Requests may be sent as ``application/fhir+json`` or ``application/json`` (the same JSON); the
OpenAPI document lists both. Refusals keep the statuses ``http/resolver.py`` gives them; the
issue's ``code`` is FHIR's issue type for that kind, ``expression`` names the field at fault (a
FHIRPath into the resource for a body element, the parameter's name otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from patient_docs.errors import InvalidField, NotAcceptable, UnsupportedMediaType
from patient_docs.http.resolver import (
    AUDIT_UNAVAILABLE,
    GATEWAY_STATUSES,
    DocumentedResolver,
    Renderer,
    new_resolver,
)
from patient_docs.rules import fhir as fhir_rules
from patient_docs.rules.content_types import media_type
from patient_docs.rules.fhir import FHIR_JSON
from patient_docs.schemas.errors import GatewayErrorResponse
from patient_docs.schemas.fhir import OperationOutcome, fhir_json

if TYPE_CHECKING:  # loaded when the document is asked for, as in http/resolver.py
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI
from patient_docs.settings import get_settings

JSON = "application/json"
# Parameters every door D GET takes that shape the answer only (its media type, its layout).
RESULT_PARAMETERS = ("_format", "_pretty")
TAGS = ["Door D: FHIR R4"]

# FHIR's issue type (http://hl7.org/fhir/issue-type) for each error code of http/resolver.py.
ISSUE_TYPES = {
    "bad_request": "invalid",
    "invalid_field": "invalid",
    "not_supported": "not-supported",
    "not_acceptable": "not-supported",
    "payload_too_large": "too-long",
    "unauthenticated": "login",
    "forbidden": "forbidden",
    "not_found": "not-found",
    "conflict": "conflict",
    "scan_pending": "transient",
    "file_withheld": "suppressed",
    "image_pending": "transient",
    "image_withheld": "suppressed",
    "gone": "deleted",
    "unprocessable": "business-rule",
    "locked": "lock-error",
    "too_many_requests": "throttled",
    "service_unavailable": "transient",
    "unsupported_media_type": "not-supported",
    "internal_error": "exception",
}


@cache
def _elements() -> set[str]:
    # Only a route that reads a DocumentReference (the create) asks: it has imported the model already.
    from patient_docs.schemas.fhir_input import REFUSED_ELEMENTS, DocumentReferenceIn

    return {field.alias or name for name, field in DocumentReferenceIn.model_fields.items()} | set(REFUSED_ELEMENTS)


def expression(field: str, body: bool) -> str:
    """A FHIRPath for an element of the DocumentReference a create sends (``content.attachment.data``);
    other names (parameters, headers) as they are."""
    first = field.split(".", 1)[0].split("[", 1)[0]
    return f"DocumentReference.{field}" if body and first in _elements() else field


def renderer(body: bool) -> Renderer:
    """Errors as an OperationOutcome; ``body``: the route reads a DocumentReference (its fields are elements)."""

    def render(status: int, code: str, message: str, field: str | None) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": "error",
            "code": ISSUE_TYPES.get(code, "processing"),
            "diagnostics": message,
        }
        if field:
            issue["expression"] = [expression(field, body)]
        return fhir_json(OperationOutcome.model_validate({"issue": [issue]}))

    return render


_RESULT_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "_format",
        "in": "query",
        "required": False,
        "description": "json, application/fhir+json or application/json (fhirVersion=4.0 or none): wins over "
        "Accept; any other format is a 406",
        "schema": {"type": "string", "pattern": fhir_rules.FORMAT_PATTERN},
    },
    {
        "name": "_pretty",
        "in": "query",
        "required": False,
        "description": "true: the JSON laid out with indents",
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
]


class FhirResolver(DocumentedResolver):
    """Reads ``application/fhir+json`` bodies as the JSON they are (Powertools validates JSON bodies only
    when the Content-Type says ``application/json``), and documents both media types."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        headers = event.get("headers")
        if isinstance(headers, Mapping):
            for name, value in headers.items():
                if name.lower() == "content-type" and media_type(str(value)) == FHIR_JSON:
                    _, semicolon, parameters = str(value).partition(";")
                    rest = {key: item for key, item in headers.items() if key.lower() != "content-type"}
                    event = {**event, "headers": {**rest, "content-type": JSON + semicolon + parameters}}
                    break
        return super().resolve(event, context)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> OpenAPI:
        from aws_lambda_powertools.event_handler.openapi.models import OpenAPI, PathItem  # see TYPE_CHECKING above

        document = super().get_openapi_schema(*args, **kwargs).model_dump(by_alias=True, exclude_none=True)
        for path_item in document.get("paths", {}).values():
            for operation in path_item.values():
                if not isinstance(operation, dict):
                    continue
                content = operation.get("requestBody", {}).get("content", {})
                if JSON in content:
                    content[FHIR_JSON] = content[JSON]
                # Read by the resolver on every route (``_negotiated``), so declared by no handler.
                operation["parameters"] = [*operation.get("parameters", []), *_RESULT_PARAMETERS]
        # As models: OpenAPI's paths are ``PathItem | Any``, and a dict would stay a dict.
        document["paths"] = {path: PathItem.model_validate(item) for path, item in document.get("paths", {}).items()}
        return OpenAPI.model_validate(document)


NOT_ACCEPTABLE = "this server answers FHIR R4 JSON only (application/fhir+json or application/json, fhirVersion=4.0)"


def query_value(app: APIGatewayHttpResolver, name: str) -> str | None:
    return (app.current_event.query_string_parameters or {}).get(name)


def pretty(app: APIGatewayHttpResolver) -> bool:
    """``_pretty``: true or false (lower case, as every door's booleans)."""
    value = query_value(app, "_pretty")
    if value is not None and value not in ("true", "false"):
        raise InvalidField("_pretty", "must be true or false")
    return value == "true"


def _negotiated(files: bool) -> Callable[[APIGatewayHttpResolver, NextMiddleware], Response[Any]]:
    """Refuses what cannot be answered before the handler runs (nothing is read or written): an ``Accept`` or
    ``_format`` that admits no FHIR R4 JSON (406; ``_format`` wins over ``Accept``), a body of another
    ``fhirVersion`` (415). ``files``: the route (Binary) negotiates between the resource and the file itself."""

    def negotiate(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        event = app.current_event
        indent = pretty(app)
        requested = query_value(app, "_format")
        if requested is not None:
            if not fhir_rules.format_is_fhir_json(requested):
                raise NotAcceptable(NOT_ACCEPTABLE, "_format")
        elif not files and not fhir_rules.accepts_fhir_json(event.headers.get("accept", "")):
            raise NotAcceptable(NOT_ACCEPTABLE, "Accept")
        if event.body is not None and not fhir_rules.content_type_is_r4(event.headers.get("content-type", "")):
            raise UnsupportedMediaType("Content-Type: this server reads FHIR R4 (fhirVersion=4.0) only")
        response = next_middleware(app)
        if indent and response.content_type == FHIR_JSON and isinstance(response.body, str):
            response.body = json.dumps(json.loads(response.body), indent=2)
        return response

    return negotiate


def resolver(reads_resource: bool = False, serves_files: bool = False) -> APIGatewayHttpResolver:
    """Door D's resolver; ``reads_resource``: its route reads a DocumentReference body (create);
    ``serves_files``: its route answers a file or a Binary resource, as ``Accept`` asks (Binary read)."""
    app = new_resolver(renderer(reads_resource), {"Content-Type": FHIR_JSON}, FhirResolver)
    app.use([_negotiated(serves_files)])
    return app


def base_url() -> str:
    """Door D's base: every ``fullUrl``, ``Location``, link and Binary URL starts with it."""
    return f"{get_settings().public_base_url}/fhir/R4"


def resource(status: int, body: BaseModel, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(status_code=status, content_type=FHIR_JSON, body=json.dumps(fhir_json(body)), headers=headers or {})


def answers(status: int, model: type[BaseModel], description: str) -> dict[int, Any]:
    """The OpenAPI entry of a success answering ``model`` as ``application/fhir+json``."""
    return {status: {"description": description, "content": {FHIR_JSON: {"model": model}}}}


def errors(statuses: dict[int, str]) -> dict[int, Any]:
    """OpenAPI ``responses`` for door D's refusals (OperationOutcome, ``application/fhir+json``) and
    API Gateway's own answers (``{"message"}``, ``application/json``); where both may answer, both."""
    responses: dict[int, Any] = {}
    for status in sorted({*GATEWAY_STATUSES, *statuses}):
        content: dict[str, Any] = {}
        if status in statuses:
            content[FHIR_JSON] = {"model": OperationOutcome}
        if status in GATEWAY_STATUSES:
            content[JSON] = {"model": GatewayErrorResponse}
        responses[status] = {"description": statuses.get(status) or GATEWAY_STATUSES[status], "content": content}
    return responses


# The refusals each kind of operation's handler answers.
_ANY = {
    400: "A parameter or element is missing or invalid (the OperationOutcome's expression names it)",
    406: "Accept or _format asks for a format other than FHIR R4 JSON",
    401: "Missing or invalid bearer token",
    500: "Internal error",
}
METADATA_ERRORS = errors(_ANY)
SEARCH_ERRORS = errors({**_ANY, 404: "No such patient for this caller", **AUDIT_UNAVAILABLE})
_DELETED = {410: "The document was deleted (OperationOutcome code deleted)"}
READ_ERRORS = errors({**_ANY, 404: "No such document for this caller", **_DELETED, **AUDIT_UNAVAILABLE})
CREATE_ERRORS = errors(
    {
        **_ANY,
        404: "No such patient for this caller",
        409: "Another document already points at this file_url (one object, one record), or a request with the"
        " same Idempotency-Key is still being processed",
        413: "File larger than the inline limit (upload it with door B's presigned POST, then send its file_url)",
        406: "Accept or _format asks for a format other than FHIR R4 JSON",
        415: "Unsupported Content-Type (send application/fhir+json or application/json; fhirVersion, if sent, 4.0)",
        422: "The Idempotency-Key was already used with a different DocumentReference",
        **AUDIT_UNAVAILABLE,
    }
)
BINARY_ERRORS = errors(
    {
        **_ANY,
        404: "No such document for this caller",
        409: "The file is not served (yet): its malware scan is pending or found a threat",
        **_DELETED,
        **AUDIT_UNAVAILABLE,
    }
)
