"""``/openapi.json`` as a contract clients generate code from.

Valid OpenAPI 3.1; one stable ``operationId`` per operation; path templates API Gateway accepts; each
operation documents exactly the statuses its handler or API Gateway answers; dates and timestamps
carry their format. What the handlers really send is checked against it in
``tests/integration/test_openapi_conformance.py``, and a generated client calls every door in
``tests/e2e/test_generated_client.py``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import FormatChecker
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from local.openapi import build_openapi
from local.template import http_routes
from patient_docs.http.resolver import GATEWAY_STATUSES
from patient_docs.rules.timestamps import DATETIME_PATTERN, iso_naive_utc, iso_with_offset
from patient_docs.schemas.common import NAIVE_UTC_PATTERN

ROUTES = http_routes()
DOCUMENT: dict[str, Any] = json.loads(build_openapi(ROUTES, "http://127.0.0.1:3000"))
FORMATS = FormatChecker()

# Stable names for generated clients: changing one breaks every client built from the document.
OPERATION_IDS = {
    "POST /api/v2/patients/{patient_id}/documents": "createInlineDocument",
    "GET /api/v2/patients/{patient_id}/documents": "listInlineDocuments",
    "GET /api/v2/patients/{patient_id}/documents/{document_id}": "getInlineDocument",
    "DELETE /api/v2/patients/{patient_id}/documents/{document_id}": "deleteInlineDocument",
    "POST /apis/v1/file/upload/unsigned": "uploadFileUnsigned",
    "POST /apis/v1/file/upload/presigned": "presignFileUpload",
    "POST /apis/v1/patient-document": "savePatientDocument",
    "GET /apis/v1/patient-document/{id}": "listPatientDocuments",
    "POST /apis/v1/patient-document/{id}": "updatePatientDocument",
    "POST /v1/file-requests": "createFileRequest",
    "GET /v1/file-requests/{fileRequestId}": "getFileRequest",
    "GET /v1/file-requests": "listFileRequests",
    "POST /v1/file-requests/{fileRequestId}/cancel": "cancelFileRequest",
    "POST /v1/file-requests/{fileRequestId}/resend": "resendFileRequest",
    "POST /v1/patient-devices": "registerPatientDevice",
    "GET /v1/account-settings": "getAccountSettings",
    "PUT /v1/account-settings": "updateAccountSettings",
    "GET /v1/audit-events": "listAuditEvents",
    "GET /v1/me/access-log": "getAccessLog",
    "GET /fhir/R4/metadata": "getFhirCapabilities",
    "GET /fhir/R4/DocumentReference": "searchDocumentReferences",
    "GET /fhir/R4/DocumentReference/{id}": "readDocumentReference",
    "POST /fhir/R4/DocumentReference": "createDocumentReference",
    "GET /fhir/R4/Binary/{id}": "readBinary",
    "GET /r/{short_link_id}": "openPatientPage",
    "POST /r/{short_link_id}/verify": "verifyPatient",
    "POST /r/{short_link_id}/uploads": "presignPhotoUpload",
    "POST /v1/webhooks": "createWebhook",
    "GET /v1/webhooks": "listWebhooks",
    "DELETE /v1/webhooks/{webhookId}": "deleteWebhook",
    "POST /v1/webhooks/{webhookId}/rotate-secret": "rotateWebhookSecret",
    "POST /v1/webhook-deliveries/{deliveryId}/redeliver": "redeliverWebhook",
    "GET /v1/webhook-deliveries": "listWebhookDeliveries",
}

# The refusals each operation's handler answers, read from the code (logic/ and http/resolver.py):
# 400 everywhere (a JSON body that is not an object is refused before any route's own checks),
# 401 where a token lacks the claims the service needs, 415 only where the route reads a body,
# 500 everywhere. The rest of what the document lists is API Gateway's own (GATEWAY_STATUSES).
HANDLER_STATUSES = {
    # 409 and 422 on the creates: an Idempotency-Key in flight, or reused with another body.
    "POST /api/v2/patients/{patient_id}/documents": {400, 401, 404, 409, 413, 415, 422, 500, 503},
    "GET /api/v2/patients/{patient_id}/documents": {400, 401, 404, 500, 503},
    # 409: the file is not served (its malware scan is pending, or found a threat, or withheld by policy)
    "GET /api/v2/patients/{patient_id}/documents/{document_id}": {400, 401, 404, 409, 500, 503},
    "DELETE /api/v2/patients/{patient_id}/documents/{document_id}": {400, 401, 403, 404, 500, 503},
    "POST /apis/v1/file/upload/unsigned": {400, 401, 404, 413, 415, 500},
    "POST /apis/v1/file/upload/presigned": {400, 401, 404, 413, 415, 500},
    "POST /apis/v1/patient-document": {400, 401, 403, 404, 409, 415, 422, 500, 503},
    "GET /apis/v1/patient-document/{id}": {400, 401, 404, 500, 503},
    "POST /apis/v1/patient-document/{id}": {400, 401, 403, 404, 415, 500, 503},
    "POST /v1/file-requests": {400, 401, 404, 409, 415, 422, 500, 503},
    "GET /v1/file-requests/{fileRequestId}": {400, 401, 404, 500, 503},
    "GET /v1/file-requests": {400, 401, 404, 500, 503},
    "POST /v1/file-requests/{fileRequestId}/cancel": {400, 401, 404, 409, 500, 503},
    "POST /v1/file-requests/{fileRequestId}/resend": {400, 401, 404, 409, 429, 500, 503},
    "POST /v1/patient-devices": {400, 401, 404, 415, 500, 503},
    "GET /v1/account-settings": {400, 401, 404, 500},
    "PUT /v1/account-settings": {400, 401, 403, 404, 415, 500, 503},
    "GET /v1/audit-events": {400, 401, 403, 404, 500, 503},
    "GET /v1/me/access-log": {400, 401, 404, 500, 503},
    # Door D: 409 where a file is not served (its scan) or a file_url already has its record.
    "GET /fhir/R4/metadata": {400, 401, 406, 500},
    "GET /fhir/R4/DocumentReference": {400, 401, 404, 406, 500, 503},
    "GET /fhir/R4/DocumentReference/{id}": {400, 401, 404, 406, 410, 500, 503},
    "POST /fhir/R4/DocumentReference": {400, 401, 404, 406, 409, 413, 415, 422, 500, 503},
    "GET /fhir/R4/Binary/{id}": {400, 401, 404, 406, 409, 410, 500, 503},
    "GET /r/{short_link_id}": {400, 404, 410, 423, 500, 503},
    "POST /r/{short_link_id}/verify": {400, 404, 410, 415, 423, 500, 503},
    "POST /r/{short_link_id}/uploads": {400, 404, 409, 410, 413, 415, 423, 500, 503},
    # Webhooks: the admin's (403 for staff); 409 where the webhook, delivery or the account's endpoints changed
    # meanwhile.
    "POST /v1/webhooks": {400, 401, 403, 404, 409, 415, 500, 503},
    "GET /v1/webhooks": {400, 401, 403, 404, 500},
    "DELETE /v1/webhooks/{webhookId}": {400, 401, 403, 404, 500, 503},
    "POST /v1/webhooks/{webhookId}/rotate-secret": {400, 401, 403, 404, 409, 500, 503},
    "POST /v1/webhook-deliveries/{deliveryId}/redeliver": {400, 401, 403, 404, 409, 500, 503},
    "GET /v1/webhook-deliveries": {400, 401, 403, 404, 500},
}


def _operation(route_key: str) -> dict[str, Any]:
    method, path = route_key.split(" ", 1)
    operation: dict[str, Any] = DOCUMENT["paths"][path][method.lower()]
    return operation


def _bodies(response: dict[str, Any]) -> set[str]:
    """The schemas a response documents: component names, or the media type of an inline one."""
    found = set()
    for media, content in response.get("content", {}).items():
        schema = content.get("schema", {})
        options = schema.get("anyOf", [schema])
        refs = {option["$ref"].rsplit("/", 1)[-1] for option in options if "$ref" in option}
        found |= refs or {media}
    return found


def variable_conflicts(paths: Iterable[str]) -> dict[str, set[str]]:
    """API Gateway's rule: below one parent, the variable segment has a single name.

    ``/a/{x}`` and ``/a/{y}`` are refused ("conflicting variable on the same hierarchical level"),
    and OpenAPI reads them as one path template. Earlier variables are compared by position only.
    """
    names: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        parent = ""
        for segment in path.strip("/").split("/"):
            if segment.startswith("{"):
                names[parent].add(segment.strip("{}+"))
                parent += "/{}"
            else:
                parent += "/" + segment
    return {parent: found for parent, found in names.items() if len(found) > 1}


def test_the_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate(DOCUMENT, cls=OpenAPIV31SpecValidator)


# Pydantic's names for constraints: in a JSON Schema they are unknown keywords, which validators and
# generated clients ignore, so a bound written this way is enforced but not documented.
PYDANTIC_ONLY_KEYWORDS = {"ge", "gt", "le", "lt", "min_length", "max_length", "multiple_of", "strict"}


def _keywords_outside_properties(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if not path.endswith("/properties"):
                yield path, key
            yield from _keywords_outside_properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _keywords_outside_properties(value, f"{path}/{index}")


def test_bounds_are_written_as_json_schema_keywords():
    found = [f"{path}: {key}" for path, key in _keywords_outside_properties(DOCUMENT) if key in PYDANTIC_ONLY_KEYWORDS]
    assert found == []
    bounded = DOCUMENT["components"]["schemas"]["UpdateDocumentRequest"]["properties"]["eligible_visit_count"]
    assert {"minimum": 0, "maximum": 100000}.items() <= bounded["anyOf"][0].items()
    # The daily SMS quota states the ceiling no deployment exceeds (docs/capacity.md, "SMS spend")
    (settings,) = [s for s in DOCUMENT["components"]["schemas"].values() if "smsDailyQuota" in s.get("properties", {})]
    assert {"minimum": 1, "maximum": 50000}.items() <= settings["properties"]["smsDailyQuota"]["anyOf"][0].items()


def test_every_operation_has_its_short_stable_operation_id():
    found = {route.route_key: _operation(route.route_key).get("operationId") for route in ROUTES}
    assert found == OPERATION_IDS
    assert all(re.fullmatch(r"[a-z][A-Za-z]{2,30}", name) for name in OPERATION_IDS.values())
    assert len(set(OPERATION_IDS.values())) == len(OPERATION_IDS)


def test_the_document_has_exactly_the_templates_routes_each_declaring_its_path_variables():
    documented = {f"{method.upper()} {path}" for path, item in DOCUMENT["paths"].items() for method in item}
    assert documented == {route.route_key for route in ROUTES}
    for route in ROUTES:
        parameters = _operation(route.route_key).get("parameters", [])
        declared = {p["name"] for p in parameters if p["in"] == "path" and p["required"]}
        assert declared == set(re.findall(r"\{(\w+)\}", route.path)), route.route_key


def test_no_two_variables_share_a_path_level_as_api_gateway_requires():
    assert variable_conflicts(route.path for route in ROUTES) == {}
    templates = [re.sub(r"\{[^}]+\}", "{}", path) for path in DOCUMENT["paths"]]
    assert len(templates) == len(set(templates)), "two paths differ only in a variable's name"


def test_the_conflict_check_finds_the_paths_api_gateway_refused():
    old = ["/apis/v1/patient-document/{patientId}", "/apis/v1/patient-document/{documentId}", "/x/{a}/y/{b}"]
    assert variable_conflicts([*old, "/x/{c}/z"]) == {
        "/apis/v1/patient-document": {"patientId", "documentId"},
        "/x": {"a", "c"},
    }


def test_door_b_names_its_one_path_variable_for_what_each_operation_means():
    item = DOCUMENT["paths"]["/apis/v1/patient-document/{id}"]
    meaning = {method: [p["description"] for p in op["parameters"] if p["in"] == "path"] for method, op in item.items()}
    assert meaning == {"get": ["The patient's id"], "post": ["The document's id"]}


@pytest.mark.parametrize("route_key", list(HANDLER_STATUSES))
def test_each_operation_documents_what_its_handler_or_the_gateway_answers_and_nothing_else(route_key):
    responses = _operation(route_key)["responses"]
    public = any(route.public for route in ROUTES if route.route_key == route_key)
    handler = HANDLER_STATUSES[route_key]
    gateway = {status for status in GATEWAY_STATUSES if not (public and status == 401)}
    refusals = {int(status) for status in responses if not status.startswith(("2", "3"))}  # 3xx: a redirect
    assert refusals == handler | gateway
    for status in refusals:
        bodies = _bodies(responses[str(status)])
        # The gateway's {"message"} body exactly where the gateway answers; the door's where the handler does.
        assert ("GatewayErrorResponse" in bodies) == (status in gateway), (status, bodies)
        assert bool(bodies - {"GatewayErrorResponse"}) == (status in handler), (status, bodies)


def test_no_operation_documents_the_422_powertools_adds_for_validation_errors():
    # Validation errors are answered 400 in each door's format; the one 422 is a reused Idempotency-Key.
    text = json.dumps(DOCUMENT)
    assert "HTTPValidationError" not in text and "#/components/schemas/ValidationError" not in text
    with_422 = {route.route_key for route in ROUTES if "422" in _operation(route.route_key)["responses"]}
    creates = {
        "POST /api/v2/patients/{patient_id}/documents": {"ErrorResponse"},
        "POST /apis/v1/patient-document": {"DoorBErrorResponse"},
        "POST /v1/file-requests": {"ErrorResponse"},
        "POST /fhir/R4/DocumentReference": {"OperationOutcome"},
    }
    assert with_422 == set(creates)
    for route_key, body in creates.items():
        assert _bodies(_operation(route_key)["responses"]["422"]) == body, route_key


def test_every_create_taking_an_idempotency_key_documents_the_header():
    for route_key in (
        "POST /api/v2/patients/{patient_id}/documents",
        "POST /apis/v1/patient-document",
        "POST /v1/file-requests",
        "POST /fhir/R4/DocumentReference",
    ):
        headers = [p for p in _operation(route_key).get("parameters", []) if p["in"] == "header"]
        assert [p["name"] for p in headers] == ["idempotency-key"], route_key
        assert not headers[0].get("required"), route_key


# Door B's bodies speak the vendor's format; everything else writes RFC 3339 with an offset.
DOOR_B_RESPONSES = {"PatientDocumentOut", "PresignedUploadOut"}
DOOR_B_REQUESTS = {"SaveDocumentRequest", "UpdateDocumentRequest"}
TIME_FIELD = re.compile(r"(_at|_date|DateOfBirth|date_of_birth)$")


def _kind(spec: dict[str, Any]) -> set[str | None]:
    options = [option for option in spec.get("anyOf", [spec]) if option.get("type") != "null"]
    return {option.get("format") or option.get("pattern") for option in options}


def test_every_date_and_timestamp_carries_its_format():
    checked = 0
    for name, schema in DOCUMENT["components"]["schemas"].items():
        for field, spec in schema.get("properties", {}).items():
            if not TIME_FIELD.search(field):
                continue
            checked += 1
            if "birth" in field.lower():
                expected = "date"
            elif name in DOOR_B_RESPONSES:
                expected = NAIVE_UTC_PATTERN
            elif name in DOOR_B_REQUESTS:
                expected = DATETIME_PATTERN
            else:
                expected = "date-time"
            assert _kind(spec) == {expected}, f"{name}.{field}: {spec}"
    assert checked >= 30  # every *_at of doors A and C, door B's dates, both dates of birth


AWARE = st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(2999, 12, 30)).flatmap(
    lambda moment: st.integers(-14 * 60, 14 * 60).map(
        lambda minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    )
)


@given(AWARE)
def test_doors_a_and_c_timestamps_are_rfc_3339_date_times(moment):
    assert FORMATS.conforms(iso_with_offset(moment), "date-time")


@given(AWARE)
def test_door_b_timestamps_match_their_pattern_and_are_not_rfc_3339(moment):
    # No offset: a date-time parser could refuse it or read it as local time, hence the pattern.
    sent = iso_naive_utc(moment)
    assert re.fullmatch(NAIVE_UTC_PATTERN, sent)
    assert not FORMATS.conforms(sent, "date-time")
    assert datetime.fromisoformat(sent).replace(tzinfo=UTC) == moment.replace(microsecond=0)
