"""Request bodies that break a JSON parser, and Content-Types however they are spelled (issue 13, probe findings).

Every route of ``template.yaml`` is called with every kind of body that used to crash the parser
(500) or be read two ways: each must be a 400 in its door's error format naming ``body``, with
nothing written. The routes come from the template, so a new route is covered without an edit.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from local.template import Route, http_routes
from tests.integration.probe_helpers import multipart
from tests.utils import STAFF_12, b64, call, pdf_bytes, png_bytes

PATIENT = 1172416
ADMIN_12 = {**STAFF_12, "role": "admin"}
# A value for each path parameter a route may have: the body is refused before any is looked up.
PATH_VALUES = {
    "patient_id": str(PATIENT),
    "document_id": "1",
    "id": "1",
    "fileRequestId": str(uuid.UUID(int=7)),
    "short_link_id": "a49ekq3jAAAA",
    "webhookId": "wh_" + "0" * 24,
    "deliveryId": "whd_" + "0" * 28,
}

NASTY_BODIES: dict[str, bytes] = {
    "100,000 nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "100,000 nested objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "nested arrays inside an object": b'{"doc": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "33 levels of objects": b'{"a":' * 33 + b"1" + b"}" * 33,
    "1,001 objects side by side": b'{"a": [' + b",".join([b"{}"] * 1001) + b"]}",
    "an integer of 5,000 digits": b'{"patient_id": ' + b"9" * 5000 + b"}",
    "a float beyond a double": b'{"patient_id": 1e999, "size_bytes": 1}',
    "a negative float beyond a double": b'{"patient_id": -1.5e400}',
    "NaN": b'{"patient_id": NaN}',
    "Infinity": b'{"size_bytes": Infinity}',
    "-Infinity": b'{"size_bytes": -Infinity}',
    "a lone high surrogate": b'{"name": "\\ud800", "file_name": "a\\ud800.png"}',
    "a lone low surrogate as a key": b'{"\\udc00": 1}',
    "a key given twice": b'{"date_of_birth": "1980-06-17", "date_of_birth": "1980-06-18"}',
    "an array of an object": b'[{"doc": {}}]',
    "a string": b'"text"',
    "null": b"null",
    "a number": b"42",
    "true": b"true",
    "cut short": b'{"a": ',
    "not UTF-8": b"\t\xff\xfe{}",
}
# A body is read as JSON when the Content-Type says so, however it is spelled, or says nothing.
JSON_CONTENT_TYPES = ["application/json", "Application/JSON; charset=UTF-8", None]


# The query a route needs before its body is looked at (required parameters are checked first).
QUERIES = {"GET /fhir/R4/DocumentReference": f"?patient={PATIENT}"}


def _path(route: Route) -> str:
    return route.path.format(**PATH_VALUES) + QUERIES.get(route.route_key, "")


def _routes(with_body: bool | None = None) -> list[Route]:
    from local.server import LocalApi

    document = json.loads(LocalApi("http://127.0.0.1:3000", quiet=True).openapi())
    chosen = []
    for route in http_routes():
        takes_body = "requestBody" in document["paths"][route.path][route.method.lower()]
        if with_body is None or takes_body == with_body:
            chosen.append(route)
    return chosen


def _names_the_body(route: Route, reply: Any) -> bool:
    """The door's error format, naming the body: door B's envelope, door D's OperationOutcome, or the
    others' ``error`` object."""
    if route.path.startswith("/apis/v1/"):
        body = reply.json
        return body["code"] == 4000 and body["data"] is None and body["message"].startswith("body: ")
    if route.path.startswith("/fhir/"):
        (issue,) = reply.json["issue"]
        return reply.json["resourceType"] == "OperationOutcome" and issue["expression"] == ["body"]
    return reply.json["error"] == {
        "status": 400,
        "code": "invalid_field",
        "message": reply.json["error"]["message"],
        "field": "body",
    }


def _nothing_written(aws: Any) -> bool:
    return aws.all_items() == [] and aws.all_objects() == [] and aws.sms_messages() == []


def test_the_routes_that_take_a_body_are_the_ones_expected():
    # The generated list below must not silently shrink (a route losing its body model, or the document).
    keys = {route.route_key for route in _routes(with_body=True)}
    assert keys >= {
        "POST /api/v2/patients/{patient_id}/documents",
        "POST /apis/v1/file/upload/unsigned",
        "POST /apis/v1/file/upload/presigned",
        "POST /apis/v1/patient-document",
        "POST /apis/v1/patient-document/{id}",
        "POST /v1/file-requests",
        "POST /v1/patient-devices",
        "PUT /v1/account-settings",
        "POST /r/{short_link_id}/verify",
        "POST /r/{short_link_id}/uploads",
    }


@pytest.mark.parametrize("route", _routes(with_body=True), ids=lambda route: route.route_key)
def test_every_body_that_breaks_a_json_parser_is_a_400_naming_the_body(api, aws, route):
    # Given a route that reads a body, and each body that breaks a parser, under each JSON Content-Type
    failures = []
    for name, raw in NASTY_BODIES.items():
        for content_type in JSON_CONTENT_TYPES:
            headers = {"content-type": content_type} if content_type else {}
            # When it is sent (by a caller the route accepts, with a body nothing else is wrong with)
            reply = call(api, route.method, _path(route), None, ADMIN_12, headers=headers, raw=raw)
            # Then it is a 400 in the door's format naming the body, never a 500 or a field deeper in
            if reply.status != 400 or not _names_the_body(route, reply):
                failures.append(f"{name} ({content_type}): {reply.status} {reply.body[:120]!r}")
    assert failures == []
    # And nothing was written: no item, no object, no SMS
    assert _nothing_written(aws)


@pytest.mark.parametrize("route", _routes(with_body=False), ids=lambda route: route.route_key)
def test_a_route_that_reads_no_body_refuses_a_broken_one_too(api, aws, route):
    # Given a route without a body model (a GET, cancel, resend): a broken JSON body used to be
    # refused there when it began with "[" and ignored otherwise
    for name in ("100,000 nested objects", "an integer of 5,000 digits", "a key given twice", "cut short"):
        # When it is sent with or without a JSON Content-Type
        for headers in ({"content-type": "application/json"}, {}):
            reply = call(api, route.method, _path(route), None, ADMIN_12, headers=headers, raw=NASTY_BODIES[name])
            # Then it is the same 400 naming the body
            assert reply.status == 400 and _names_the_body(route, reply), (name, headers, reply.body[:200])
    assert _nothing_written(aws)


def test_the_deepest_body_allowed_is_still_read_and_refused_for_its_fields(api, aws):
    # Given a body nested exactly 32 levels deep (the limit), with the fields of a file request missing
    raw = b'{"a":' * 31 + b"1" + b"}" * 31
    # When it is sent
    reply = call(
        api, "POST", "/v1/file-requests", None, STAFF_12, headers={"content-type": "application/json"}, raw=raw
    )
    # Then the parser read it, and the model names the first missing field
    assert reply.status == 400 and reply.json["error"]["field"] == "prompt"


def _inline_doc(name: str = "card.pdf") -> dict[str, Any]:
    return {
        "doc": {
            "document_name": name,
            "data": b64(pdf_bytes()),
            "mime_type": "application/pdf",
            "record_type": "Test Result",
        }
    }


@pytest.mark.parametrize("content_type", ["application/json", None, "text/plain; charset=utf-8"])
def test_a_valid_body_wrapped_in_an_array_is_refused_whatever_the_content_type(api, aws, content_type):
    # Given a valid door A body inside a one-element array (Powertools read it as the element
    # when the Content-Type was absent: the object check only ran for application/json)
    raw = json.dumps([_inline_doc()]).encode()
    headers = {"content-type": content_type} if content_type else {}
    # When it is posted
    reply = call(api, "POST", f"/api/v2/patients/{PATIENT}/documents", None, STAFF_12, headers=headers, raw=raw)
    # Then it is refused (a 415 for a type the route does not read), and nothing is written
    if content_type and content_type.startswith("text/"):
        assert reply.status == 415
    else:
        assert reply.status == 400 and reply.json["error"]["field"] == "body", reply.body
    assert _nothing_written(aws)


@pytest.mark.parametrize(
    "content_type", ["Application/JSON", "APPLICATION/JSON; CHARSET=UTF-8", "application/json;charset=utf-8", None]
)
def test_a_json_content_type_is_read_however_it_is_spelled(api, aws, content_type):
    # Given a valid door A body, with the media type in upper or mixed case (it was a 415)
    headers = {"content-type": content_type} if content_type else {}
    # When it is posted
    raw = json.dumps(_inline_doc()).encode()
    reply = call(api, "POST", f"/api/v2/patients/{PATIENT}/documents", None, STAFF_12, headers=headers, raw=raw)
    # Then the document is created
    assert reply.status == 201, reply.body


def test_a_multipart_upload_is_read_however_its_media_types_are_spelled(api, aws):
    # Given door B's multipart upload with the media type, the boundary parameter's name and the
    # file part's type in upper case
    fields = {"bucket_name": aws.bucket, "file_path": f"patients/{PATIENT}/documents", "file_name": "scan.png"}
    raw, content_type = multipart(fields, "scan.png", png_bytes(), "IMAGE/PNG")
    boundary = content_type.split("boundary=", 1)[1]
    # When it is posted
    headers = {"content-type": f"MULTIPART/Form-Data; BOUNDARY={boundary}"}
    reply = call(api, "POST", "/apis/v1/file/upload/unsigned", caller=STAFF_12, headers=headers, raw=raw)
    # Then the file is stored, as image/png
    assert reply.status == 200, reply.body
    [key] = aws.all_objects()
    assert aws.client("s3").head_object(Bucket=aws.bucket, Key=key)["ContentType"] == "image/png"


def test_declared_types_in_bodies_are_compared_without_case(api, aws):
    # Given door A's mime_type, door B's presign content_type and the patient page's, in mixed case
    created = call(
        api,
        "POST",
        f"/api/v2/patients/{PATIENT}/documents",
        {**_inline_doc(), "doc": {**_inline_doc()["doc"], "mime_type": "Application/PDF"}},
        STAFF_12,
    )
    # Then each is read as the media type it names, and stored or pinned in lower case
    assert created.status == 201 and created.json["doc"]["mime_type"] == "application/pdf"
    presign = {"patient_id": PATIENT, "file_name": "a.png", "content_type": "Image/PNG; Charset=x", "size_bytes": 10}
    presigned = call(api, "POST", "/apis/v1/file/upload/presigned", presign, STAFF_12)
    assert presigned.status == 200 and presigned.json["data"]["fields"]["Content-Type"] == "image/png"
