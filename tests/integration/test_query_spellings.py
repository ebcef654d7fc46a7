"""Integer and boolean query parameters take one spelling per value, on every route of every door.

The routes and their parameters are read from the document ``/openapi.json`` serves, so a new list
route, or a new integer or boolean filter on an old one, is checked without further ado. Each wrong
spelling below is one pydantic's lax mode (or Python's int()) read as a number or a boolean: each is
a 400 in the door's error format naming the parameter, and nothing is written (no item, no object,
no audit event).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from local.openapi import build_openapi
from local.template import http_routes
from tests.conftest import BASE_URL, NAMES
from tests.utils import STAFF_12, call

DOCUMENT: dict[str, Any] = json.loads(build_openapi(http_routes(), BASE_URL))
ADMIN_12 = {"role": "admin", "account": "12"}
PATIENT_TOKEN = {"role": "patient", "account": "12", "patient": 1172416}
# Who may call each route (the others: staff of account 12), so that a good spelling is a 200.
CALLERS = {"/v1/audit-events": ADMIN_12, "/v1/webhook-deliveries": ADMIN_12, "/v1/me/access-log": PATIENT_TOKEN}
# Values for the path variables and the required parameters of the routes that have them.
VALUES = {"patient_id": "1172416", "id": "1172416", "patient": "Patient/1172416"}

# Other spellings of 5 (or 50), as the query string carries them: spaces, signs, a fraction, an
# exponent, underscores, a leading zero, fullwidth, Arabic-Indic and superscript digits, other bases.
NOT_INTEGERS = [
    "5.0",
    "%205",
    "5%20",
    "+5",
    "%2B5",
    "5_0",
    "05",
    "%EF%BC%95",
    "%D9%A5",
    "%C2%B2",
    "5e0",
    "0x5",
    "five",
    "",
]
# What pydantic reads as a boolean besides true and false.
NOT_BOOLEANS = [
    "True",
    "TRUE",
    "False",
    "1",
    "0",
    "yes",
    "no",
    "on",
    "off",
    "t",
    "f",
    "y",
    "n",
    "%20true",
    "false%20",
    "",
]
GOOD = {"integer": ["5"], "boolean": ["true", "false"]}
BAD = {"integer": NOT_INTEGERS, "boolean": NOT_BOOLEANS}


def _kind(schema: dict[str, Any]) -> str | None:
    """``integer`` or ``boolean`` for a parameter of that type (or of that type or null), else None."""
    types = {schema.get("type")} | {member.get("type") for member in schema.get("anyOf", [])}
    found = types & {"integer", "boolean"}
    return found.pop() if found else None


PARAMETERS = [
    (path, parameter["name"], kind)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method == "get"
    for parameter in operation.get("parameters", [])
    if parameter["in"] == "query" and (kind := _kind(parameter["schema"]))
]
# Anything but GET with an integer or boolean query parameter would need a body here: there is none.
assert not [
    (method, path)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method != "get" and any(p["in"] == "query" and _kind(p["schema"]) for p in operation.get("parameters", []))
]


def _url(path: str, name: str, value: str) -> str:
    operation = DOCUMENT["paths"][path]["get"]
    filled = re.sub(r"\{(\w+)\}", lambda found: VALUES[found[1]], path)
    query = [
        f"{p['name']}={VALUES[p['name']]}" for p in operation["parameters"] if p["in"] == "query" and p["required"]
    ]
    return f"{filled}?{'&'.join([*query, f'{name}={value}'])}"


def _audit_items(aws: Any) -> list[Any]:
    return aws.client("dynamodb").scan(TableName=NAMES["AuditTable"])["Items"]


def _names(reply: Any, path: str, name: str) -> bool:
    """Whether the reply is a 400 in the format of the path's door, naming the parameter."""
    body = reply.json
    if path.startswith("/fhir/"):  # door D: an OperationOutcome
        return body["resourceType"] == "OperationOutcome" and name in body["issue"][0]["diagnostics"]
    if path.startswith("/apis/v1/"):  # door B: the vendor's envelope
        return body["code"] == 4000 and body["data"] is None and body["message"].startswith(f"{name}:")
    return body["error"]["status"] == 400 and body["error"]["field"] == name  # doors A and C


def test_the_walk_finds_every_integer_and_boolean_query_parameter():
    # The routes of today, at least: a walk that found none would check nothing
    assert {(path, name) for path, name, _ in PARAMETERS} >= {
        ("/api/v2/patients/{patient_id}/documents", "limit"),
        ("/apis/v1/patient-document/{id}", "page"),
        ("/apis/v1/patient-document/{id}", "size"),
        ("/apis/v1/patient-document/{id}", "signed"),
        ("/v1/file-requests", "limit"),
        ("/fhir/R4/DocumentReference", "_count"),
        ("/v1/webhook-deliveries", "limit"),
        ("/v1/audit-events", "patient_id"),
        ("/v1/audit-events", "document_id"),
        ("/v1/audit-events", "limit"),
        ("/v1/me/access-log", "limit"),
    }


@pytest.mark.parametrize(("path", "name", "kind"), PARAMETERS, ids=lambda value: str(value))
def test_each_other_spelling_is_a_400_naming_the_parameter_and_writes_nothing(api, aws, path, name, kind):
    caller = CALLERS.get(path, STAFF_12)
    for value in BAD[kind]:
        # When the parameter is spelled otherwise
        reply = call(api, "GET", _url(path, name, value), caller=caller)
        # Then it is a 400 in the door's format naming it, and nothing is written
        assert reply.status == 400, (value, reply.body)
        assert _names(reply, path, name), (value, reply.body)
        assert aws.all_items() == [] and aws.all_objects() == [] and _audit_items(aws) == [], value
    # While its one spelling is read: the route answers
    for value in GOOD[kind]:
        reply = call(api, "GET", _url(path, name, value), caller=caller)
        assert reply.status == 200, (value, reply.body)


def _bounds(path: str, name: str) -> tuple[int, int | None]:
    """The documented minimum and maximum (None: no maximum, a larger value is read as the largest served)."""
    (parameter,) = [p for p in DOCUMENT["paths"][path]["get"]["parameters"] if p["name"] == name]
    schema = next((m for m in parameter["schema"].get("anyOf", []) if m.get("type") == "integer"), parameter["schema"])
    return int(schema["minimum"]), int(schema["maximum"]) if "maximum" in schema else None


# The integers without a maximum: FHIR lets a server answer a smaller page than _count asks for.
UNBOUNDED = {("/fhir/R4/DocumentReference", "_count")}


INTEGERS = [(path, name) for path, name, kind in PARAMETERS if kind == "integer"]


@pytest.mark.parametrize(("path", "name"), INTEGERS, ids=lambda value: str(value))
def test_each_integer_takes_exactly_its_documented_bounds(api, aws, path, name):
    # The bounds /openapi.json states (JSON Schema's minimum and maximum, which clients read) are the ones
    # the parameter takes: one past either is a 400 naming it, the bounds themselves are answered
    low, high = _bounds(path, name)
    assert (high is None) == ((path, name) in UNBOUNDED)
    caller = CALLERS.get(path, STAFF_12)
    for value in (low - 1, high + 1) if high is not None else (low - 1,):
        reply = call(api, "GET", _url(path, name, str(value)), caller=caller)
        assert reply.status == 400 and _names(reply, path, name), (value, reply.body)
    assert aws.all_items() == [] and aws.all_objects() == [] and _audit_items(aws) == []
    for value in (low, high) if high is not None else (low, 10**30):
        reply = call(api, "GET", _url(path, name, str(value)), caller=caller)
        assert reply.status == 200, (value, reply.body)
