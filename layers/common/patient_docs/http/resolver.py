"""What every door's resolver shares: the HTTP status of each refusal, validation-error reading, safe 500s."""

from __future__ import annotations

import base64
import json
import re
import traceback
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, get_type_hints
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.constants import (
    DEFAULT_OPENAPI_RESPONSE_DESCRIPTION,
    DEFAULT_STATUS_CODE,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
    ResponseValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Form
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from patient_docs import request_context, warmup
from patient_docs.errors import (
    Conflict,
    FileNotScanned,
    FileWithheld,
    Forbidden,
    Gone,
    ImageNotProcessed,
    ImageWithheld,
    InvalidField,
    Locked,
    NotAcceptable,
    NotFound,
    NotSupported,
    PayloadTooLarge,
    Refused,
    ServiceUnavailable,
    TooManyRequests,
    Unauthenticated,
    UnprocessableRequest,
    UnsupportedMediaType,
    WrongAnswer,
)
from patient_docs.http.json_bodies import parse_body
from patient_docs.observability import logger
from patient_docs.rules.content_types import canonical_media_type, is_json_media_type, media_type
from patient_docs.schemas.deferred import build_reachable
from patient_docs.schemas.errors import GatewayErrorResponse

if TYPE_CHECKING:  # the OpenAPI document's models take longer to build than a request needs: loaded when asked for
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

JSON_MEDIA_TYPE = "application/json"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Put before a Content-Type no route reads: Powertools then refuses it (RequestUnsupportedContentType, a 415).
_REFUSED_PREFIX = "unsupported/"

# (status, code, message, field) -> response body
Renderer = Callable[[int, str, str, str | None], dict[str, Any]]

_LOCATION_PREFIXES = {"body", "query", "path", "header", "form", "file", "cookie"}
# Pydantic names the member of a union a value failed in the location ("function-after[check_name(),
# constrained-str]", "constrained-str", "str"): a schema's name, never a field's.
_UNION_MEMBER = re.compile(
    r"^(?:(?:function-(?:after|before|wrap|plain)|constrained-\w+|lax-\w+|json-or-python|is-instance|tagged-union)"
    r"(?:\[.*\])?|str|int|float|bool|none|nullable|list\[.*\]|dict\[.*\])$"
)
_MODEL_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_MESSAGE_PREFIXES = ("Value error, ", "Assertion failed, ")


def describe_validation_error(errors: Any) -> tuple[str, str]:
    """The first problem as (field, message), built from locations and rule text only.

    Pydantic errors also carry the offending input; it is never echoed or logged (PHI).
    """
    first: dict[str, Any] = errors[0] if errors else {}
    parts = [str(part) for part in first.get("loc", ()) if isinstance(part, str) and not _UNION_MEMBER.match(part)]
    # A model that is a member of a union (``CodeableConceptIn | Absent``) is named by its class: no field
    # is spelled so (they are snake_case or camelCase), and a key sent in its place would be the last part.
    location = [part for index, part in enumerate(parts) if index == len(parts) - 1 or not _MODEL_NAME.match(part)]
    while len(location) > 1 and location[0] in _LOCATION_PREFIXES:  # a field may be named "file"
        location = location[1:]
    field = ".".join(location) or "body"
    kind = first.get("type", "")
    message = str(first.get("msg", "is invalid"))
    for prefix in _MESSAGE_PREFIXES:
        if message.startswith(prefix):
            message = message[len(prefix) :]
    if kind == "json_invalid":
        return "body", "is not valid JSON"
    if first.get("loc", ("",))[0] == "query" and isinstance(first.get("input"), list):
        return field, "is given more than once; it takes one value"
    if kind == "missing":
        return field, "is required"
    if kind == "model_attributes_type" or kind == "dict_type":
        return field, "must be a JSON object"
    return field, message[:300]


def loggable_field(errors: Any) -> str:
    """The field of the first problem as the log may record it: a key the body had and no model knows
    (``extra_forbidden``) is the client's own text, which can be anything (a name, a date of birth), so
    the log says where it was instead. The answer still names it, to the client that sent it."""
    first: dict[str, Any] = errors[0] if errors else {}
    if first.get("type") != "extra_forbidden":
        return describe_validation_error(errors)[0]
    parent, _ = describe_validation_error([{"loc": tuple(first.get("loc", ()))[:-1]}])
    return "(unknown key)" if parent == "body" else f"{parent}.(unknown key)"


def json_response(
    status: int, body: dict[str, Any] | BaseModel, headers: dict[str, str] | None = None
) -> Response[Any]:
    payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(payload), headers=headers
    )


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    return " <- ".join(f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" for frame in reversed(frames))


_NO_BODY = {204, 304}

# The one place where a refusal becomes an HTTP status and an error code (the most specific kind wins).
STATUS_OF: dict[type[Refused], tuple[int, str]] = {
    Refused: (400, "bad_request"),
    InvalidField: (400, "invalid_field"),
    WrongAnswer: (400, "invalid_field"),
    NotSupported: (400, "not_supported"),
    PayloadTooLarge: (413, "payload_too_large"),
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    NotFound: (404, "not_found"),
    NotAcceptable: (406, "not_acceptable"),
    Conflict: (409, "conflict"),
    FileNotScanned: (409, "scan_pending"),
    FileWithheld: (409, "file_withheld"),
    ImageNotProcessed: (409, "image_pending"),
    ImageWithheld: (409, "image_withheld"),
    Gone: (410, "gone"),
    UnprocessableRequest: (422, "unprocessable"),
    UnsupportedMediaType: (415, "unsupported_media_type"),
    Locked: (423, "locked"),
    TooManyRequests: (429, "too_many_requests"),
    ServiceUnavailable: (503, "service_unavailable"),
}


def status_of(exc: Refused) -> tuple[int, str]:
    for kind in type(exc).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]  # type: ignore[index]
    return STATUS_OF[Refused]


def headers_of(exc: Refused) -> dict[str, str]:
    """Response headers a refusal adds: when to retry."""
    if isinstance(exc, TooManyRequests | FileNotScanned) and exc.retry_after is not None:
        return {"Retry-After": str(exc.retry_after)}
    return {}


# What Powertools documents for its request validation: a 422 with these schemas. Here a request
# that fails validation is answered 400 in the door's format (``_invalid_request`` below).
_VALIDATION_SCHEMAS = ("HTTPValidationError", "ResponseValidationError", "ValidationError")
_SCHEMA_REF = "#/components/schemas/"


def _refers_to(node: Any, ref: str) -> bool:
    if isinstance(node, dict):
        return node.get("$ref") == ref or any(_refers_to(value, ref) for value in node.values())
    if isinstance(node, list):
        return any(_refers_to(value, ref) for value in node)
    return False


def without_unsent_responses(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (an OpenAPI document as a dict) without Powertools' validation-error responses.

    A route that really answers 422 (an Idempotency-Key reused with another body) declares it with its
    door's error body, which replaces Powertools' one; every other 422 is never sent, and goes.
    """
    validation_error = _SCHEMA_REF + "HTTPValidationError"
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {}) if isinstance(operation, dict) else {}
            for status in [status for status, entry in responses.items() if _refers_to(entry, validation_error)]:
                del responses[status]
    # Then their schemas, once nothing refers to them (they refer to each other: the order matters).
    schemas = document.get("components", {}).get("schemas", {})
    for name in _VALIDATION_SCHEMAS:
        rest = {key: value for key, value in document.items() if key != "components"}
        others = {key: value for key, value in schemas.items() if key != name}
        if name in schemas and not _refers_to([rest, others], _SCHEMA_REF + name):
            del schemas[name]
    return document


# JSON Schema's names for pydantic's numeric bounds.
_NUMERIC_KEYWORDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def numeric_bounds_as_json_schema(node: Any) -> Any:
    """``node`` (part of an OpenAPI document) with every number's bounds under JSON Schema's names.

    A bound applied after a validator (``Annotated[QueryInt, Query(ge=1, le=100)]``: the digits check,
    then the parameter's bounds) is written by pydantic under its own name, ``ge``/``le``, which no
    client or validator reads (pydantic issue 11576): here it becomes ``minimum``/``maximum``."""
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            for name, keyword in _NUMERIC_KEYWORDS.items():
                if name in node and keyword not in node:
                    node[keyword] = node.pop(name)
        for value in node.values():
            numeric_bounds_as_json_schema(value)
    elif isinstance(node, list):
        for value in node:
            numeric_bounds_as_json_schema(value)
    return node


class DocumentedResolver(APIGatewayHttpResolver):
    """A resolver whose OpenAPI document holds the responses its routes send, and only those.

    Powertools documents the success response only for routes without ``responses=``;
    every route here passes its door's error responses, so the success status (200, 201,
    ...) and its body schema would be missing from ``/openapi.json``. Found by the fuzzer,
    like the JSON body it documented for 204 responses, which have none. Powertools also
    documents a 422 for request validation on every route, which this service answers 400.
    """

    # Whether a route of this resolver reads a form (Powertools' ``Form``/``File`` parameters): door B's
    # multipart upload. Powertools reads a form body on any route; the others take JSON only.
    reads_forms = False

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        """Media types are case-insensitive (RFC 9110): Powertools compares ``Content-Type`` as written,
        so ``Application/JSON`` was a 415 and ``MULTIPART/form-data`` lost its boundary. It gets the
        header in one canonical spelling: type, subtype and parameter names in lower case.

        Powertools also reads ``application/x-www-form-urlencoded`` and ``multipart/form-data`` bodies on
        every route, and any type that begins ``application/json`` (``application/jsonx``) as JSON: a JSON
        route given a form answered "doc: is required" (what ``curl -d`` sends), not that its type is
        wrong. Those types are now given to Powertools as one it refuses, so they are a 415 naming
        ``Content-Type`` in the door's format.

        Every answer says ``Cache-Control: no-store``: they carry records and presigned URLs, which no
        browser or proxy should keep."""
        # Who asked, from where: the audit trail records it with every event of this request.
        request_context.set_current(request_context.from_http_event(event))
        headers = event.get("headers")
        if isinstance(headers, Mapping):
            spelled = {name.lower(): name for name in headers}
            if "content-type" in spelled:
                header = canonical_media_type(str(headers[spelled["content-type"]]))
                if self._refuses(media_type(header)):
                    header = _REFUSED_PREFIX + header
                rest = {name: value for name, value in headers.items() if name.lower() != "content-type"}
                event = {**event, "headers": {**rest, "content-type": header}}
        answer = super().resolve(event, context)
        answer["headers"] = {"Cache-Control": "no-store", **(answer.get("headers") or {})}
        return answer

    def _refuses(self, media: str) -> bool:
        """A request body type no route of this resolver reads (see ``resolve``)."""
        if media in _FORM_TYPES:
            return not self.reads_forms
        return media.startswith(JSON_MEDIA_TYPE) and media != JSON_MEDIA_TYPE

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> OpenAPI:
        from aws_lambda_powertools.event_handler.openapi.models import OpenAPI  # see TYPE_CHECKING above

        document = super().get_openapi_schema(*args, **kwargs).model_dump(by_alias=True, exclude_none=True)
        return OpenAPI.model_validate(numeric_bounds_as_json_schema(without_unsent_responses(document)))

    def route(  # Powertools' own signature, passed through unchanged
        self,
        rule: str,
        method: str | list[str] | tuple[str],
        cors: bool | None = None,
        compress: bool = False,
        cache_control: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        responses: dict[int, OpenAPIResponse] | None = None,
        response_description: str | None = DEFAULT_OPENAPI_RESPONSE_DESCRIPTION,
        tags: list[str] | None = None,
        operation_id: str | None = None,
        include_in_schema: bool = True,
        security: list[dict[str, list[str]]] | None = None,
        openapi_extensions: dict[str, Any] | None = None,
        deprecated: bool = False,
        enable_validation: bool | None = None,
        custom_response_validation_http_code: int | HTTPStatus | None = None,
        status_code: int = DEFAULT_STATUS_CODE,
        middlewares: list[Callable[..., Any]] | None = None,
    ) -> Callable[[Any], Any]:
        if responses is not None:
            if status_code not in responses:
                success = response_description or DEFAULT_OPENAPI_RESPONSE_DESCRIPTION
                responses = {status_code: {"description": success}, **responses}
            # A 204 has no body: without an explicit empty content, Powertools documents a JSON one.
            responses = {
                code: {**entry, "content": {}} if code in _NO_BODY and "content" not in entry else entry
                for code, entry in responses.items()
            }
        register = super().route(
            rule,
            method,
            cors,
            compress,
            cache_control,
            summary,
            description,
            responses,
            response_description or DEFAULT_OPENAPI_RESPONSE_DESCRIPTION,
            tags,
            operation_id,
            include_in_schema,
            security,
            openapi_extensions,
            deprecated,
            enable_validation,
            custom_response_validation_http_code,
            status_code,
            middlewares,
        )

        # What a success answers, as documented: a handler that returns a Response builds it in its body.
        answered = [
            media.get("model")
            for code, entry in (responses or {}).items()
            if 200 <= int(code) < 300
            for media in (entry.get("content") or {}).values()
        ]

        def registered(handler: Callable[..., Any]) -> Any:
            # The models this route validates and answers with are built now, as the first request needs
            # them; its door's other routes' models are not (schemas/deferred.py).
            hints = get_type_hints(handler, include_extras=True).values()
            build_reachable(*hints, *answered)
            if any(isinstance(meta, Form) for hint in hints for meta in getattr(hint, "__metadata__", ())):
                self.reads_forms = True
            return register(handler)

        return registered


def _json_bodies(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Every body Powertools would read as JSON goes through ``parse_body``, on every route.

    Routes with a body model have it parsed already (Powertools' validation runs first, and the
    event caches the result); this reads it on routes without one, so a broken body is a 400
    there too, never ignored on one route and refused on the next.
    """
    event = app.current_event
    if event.body and is_json_media_type(event.headers.get("content-type", "")):
        try:
            _ = event.json_body
        except json.JSONDecodeError as exc:
            raise InvalidField("body", "is not valid JSON") from exc
    return next_middleware(app)


def _form_field_names(content_type: str, body: bytes) -> list[str]:
    """The field names of a form body, in order, each as often as it was sent."""
    media = media_type(content_type)
    if media == "application/x-www-form-urlencoded":
        return [name for name, _ in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)]
    parameters = [part.strip() for part in content_type.split(";")[1:]]
    boundary = next((part[len("boundary=") :].strip('"') for part in parameters if part.startswith("boundary=")), "")
    if not boundary:
        return []
    names = []
    for part in body.split(b"--" + boundary.encode())[1:]:
        headers = part.partition(b"\r\n\r\n")[0]
        found = _DISPOSITION_NAME.search(headers)
        if found:
            names.append(found.group(1).decode("utf-8", "replace"))
    return names


_DISPOSITION_NAME = re.compile(rb'content-disposition:[^\r\n]*?;\s*name="([^"]*)"', re.IGNORECASE)


def _one_value_per_form_field(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """A form field sent twice is a 400 naming it: Powertools keeps the first value of a field that takes one,
    so ``file_path`` twice meant whichever came first (JSON bodies refuse a key given twice the same way)."""
    event = app.current_event
    content_type = event.headers.get("content-type", "")
    if event.body and media_type(content_type) in _FORM_TYPES:
        raw = base64.b64decode(event.body) if event.is_base64_encoded else event.body.encode()
        names = _form_field_names(content_type, raw)
        repeated = next((name for index, name in enumerate(names) if name in names[:index]), None)
        if repeated is not None:
            raise InvalidField(repeated, "is given more than once")
    return next_middleware(app)


def new_resolver(
    render: Renderer, error_headers: dict[str, str] | None = None, kind: type[DocumentedResolver] = DocumentedResolver
) -> APIGatewayHttpResolver:
    """A door's resolver: ``render`` writes its error bodies (sent with ``error_headers``); ``kind``: a door
    whose requests need more than ``DocumentedResolver`` does (door D reads FHIR's own JSON media type)."""
    app = kind(enable_validation=True, json_body_deserializer=parse_body)
    app.use([_json_bodies, _one_value_per_form_field])

    def reply(
        status: int, code: str, message: str, field: str | None, headers: dict[str, str] | None = None
    ) -> Response[Any]:
        return json_response(status, render(status, code, message, field), {**(error_headers or {}), **(headers or {})})

    def _refused(exc: Refused) -> Response[Any]:
        status, code = status_of(exc)
        logged = "(unknown parameter)" if getattr(exc, "named_by_client", False) else exc.field
        logger.info("request refused", extra={"status": status, "error_code": code, "field": logged})
        message = f"{exc.field}: {exc.message}" if exc.field else exc.message
        return reply(status, code, message, exc.field, headers_of(exc))

    def _invalid_request(exc: RequestValidationError) -> Response[Any]:
        field, message = describe_validation_error(exc.errors())
        logged = loggable_field(exc.errors())
        logger.info("request refused", extra={"status": 400, "error_code": "invalid_field", "field": logged})
        return reply(400, "invalid_field", f"{field}: {message}", field)

    def _unsupported_type(exc: RequestUnsupportedContentType) -> Response[Any]:
        return reply(415, "unsupported_media_type", "Content-Type: this endpoint does not accept it", "Content-Type")

    def _bad_response(exc: ResponseValidationError) -> Response[Any]:
        logger.error("response failed its own schema", extra={"where": _where(exc)})
        return reply(500, "internal_error", "internal error", None)

    def _undecodable_body(exc: UnicodeDecodeError) -> Response[Any]:
        # A JSON body that is not UTF-8 arrives base64-encoded; Powertools fails decoding it.
        logger.info("request refused", extra={"status": 400, "error_code": "invalid_field", "field": "body"})
        return reply(400, "invalid_field", "body: is not valid UTF-8 JSON", "body")

    def _value_error(exc: ValueError) -> Response[Any]:
        # The multipart parser raises a bare ValueError for a Content-Type without boundary.
        content_type = media_type(app.current_event.headers.get("content-type", ""))
        if content_type.startswith("multipart/") and "boundary" in str(exc):
            return reply(400, "invalid_field", "Content-Type: multipart body needs a boundary", "Content-Type")
        return _unexpected(exc)

    def _unexpected(exc: Exception) -> Response[Any]:
        # Type and location only: exception text can quote request data.
        logger.error("unhandled error", extra={"error_type": type(exc).__name__, "where": _where(exc)})
        return reply(500, "internal_error", "internal error", None)

    # Registered by call, not decorator: the decorator is untyped.
    app.exception_handler(Refused)(_refused)
    app.exception_handler(RequestValidationError)(_invalid_request)
    app.exception_handler(RequestUnsupportedContentType)(_unsupported_type)
    app.exception_handler(ResponseValidationError)(_bad_response)
    app.exception_handler(UnicodeDecodeError)(_undecodable_body)
    app.exception_handler(ValueError)(_value_error)
    app.exception_handler(Exception)(_unexpected)
    warmup.routes(app)  # its routes' validation, built before a SnapStart snapshot
    return app


# Statuses API Gateway can answer itself, in its own body, whatever the door: the JWT authorizer (401),
# the payload limits (413), route throttling (429, every route has a limit), a failed or timed-out function.
GATEWAY_STATUSES = {
    401: "Missing or invalid bearer token",
    413: "Request body too large",
    429: "Too many requests (route throttling)",
    500: "Internal error",
    503: "Service unavailable (function timed out or throttled)",
}


# What a use case that records an access-audit event answers when the event cannot be stored: nothing
# was done (no URL handed out, nothing written), and a retry may succeed (docs/audit.md, "Fail closed").
AUDIT_UNAVAILABLE = {503: "The access record could not be stored, so nothing was done (retry)"}


def error_responses(model: type[BaseModel], statuses: dict[int, str], public: bool = False) -> dict[int, Any]:
    """OpenAPI ``responses`` entries for one operation's refusals.

    ``statuses``: those its handler answers, in its door's error body (``model``). Those API Gateway
    may answer itself are added with its ``{"message": ...}`` body; where both may answer, either
    body is documented. Public routes have no authorizer, so the gateway never answers them 401.
    """
    gateway = {status: text for status, text in GATEWAY_STATUSES.items() if not (public and status == 401)}
    responses: dict[int, Any] = {}
    for status in sorted({*gateway, *statuses}):
        body: Any = GatewayErrorResponse
        if status in statuses:
            body = model | GatewayErrorResponse if status in gateway else model
        description = statuses.get(status) or gateway[status]
        responses[status] = {"description": description, "content": {"application/json": {"model": body}}}
    return responses
