"""What every route's answer shares, whatever the door: no caching, and request bodies only in the
media types the route reads (a form on a JSON route is a 415 naming Content-Type, and writes nothing)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from local.template import api_cors, http_routes
from tests.utils import STAFF_12, b64, call, pdf_bytes

ROUTES = http_routes()
RECORD = "Patient Record"


def _path(route: Any) -> str:
    return re.sub(r"\{\w+\}", "1172416", route.path)


def _json_body_routes(api: Any) -> list[Any]:
    """Routes whose documented request body is JSON (from /openapi.json)."""
    document = json.loads(api.openapi())
    found = []
    for route in ROUTES:
        operation = document["paths"].get(route.path, {}).get(route.method.lower(), {})
        content = operation.get("requestBody", {}).get("content", {})
        if any(media.endswith("json") for media in content):
            found.append(route)
    return found


def _error_message(reply: Any) -> str:
    body = reply.json
    if body.get("resourceType") == "OperationOutcome":
        return str(body["issue"][0]["diagnostics"])
    return str(body["error"]["message"] if "error" in body else body["message"])


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.public], ids=lambda route: route.route_key)
def test_every_answer_of_every_route_says_no_store(api, aws, route):
    # Given any route, called as a staff member (whatever it answers: a record, a list, a refusal)
    reply = call(api, route.method, _path(route), {} if route.method == "POST" else None, STAFF_12)
    # Then no browser or proxy may keep it
    assert reply.status < 500, reply.body
    assert reply.headers.get("cache-control") == "no-store", (reply.status, reply.headers)


def test_a_created_record_and_its_read_say_no_store(api, aws):
    doc = {"document_name": "a.pdf", "data": b64(pdf_bytes()), "mime_type": "application/pdf", "record_type": RECORD}
    body = {"doc": doc}
    created = call(api, "POST", "/api/v2/patients/1172416/documents", body, STAFF_12)
    assert created.status == 201 and created.headers["cache-control"] == "no-store"
    read = call(api, "GET", f"/api/v2/patients/1172416/documents/{created.json['doc']['id']}", None, STAFF_12)
    assert read.status < 500 and read.headers["cache-control"] == "no-store", read.body


FORMS = {
    "application/x-www-form-urlencoded": b"doc=x&patient_id=1172416",
    "multipart/form-data; boundary=zz": b'--zz\r\nContent-Disposition: form-data; name="doc"\r\n\r\nx\r\n--zz--\r\n',
    "application/jsonx": b'{"doc": {}}',
    "application/json-patch+json": b"[]",
}


@pytest.mark.parametrize("content_type", sorted(FORMS))
def test_json_routes_refuse_forms_and_other_types_as_415_naming_content_type(api, aws, content_type):
    routes = _json_body_routes(api)
    assert len(routes) >= 10, [route.route_key for route in routes]  # the list is the real one
    for route in routes:
        # Given a JSON route, sent a body of another type (what curl -d sends, say)
        headers = {"content-type": content_type}
        reply = call(api, route.method, _path(route), None, STAFF_12, headers, FORMS[content_type])
        # Then it is a 415 in the door's format naming Content-Type, and nothing is written
        assert reply.status == 415, (route.route_key, reply.status, reply.body)
        assert "Content-Type" in _error_message(reply), reply.body
        assert aws.all_items() == [] and aws.all_objects() == []


def test_browsers_may_read_the_headers_clients_need_and_send_prefer(api, aws):
    cors = api_cors()
    assert {"location", "retry-after"} <= set(cors["ExposeHeaders"])
    assert "prefer" in cors["AllowHeaders"]
    # The local server answers as the template configures the gateway
    origin = {"origin": "http://127.0.0.1:3000"}
    preflight = call(api, "OPTIONS", "/fhir/R4/DocumentReference", headers=origin)
    assert "prefer" in preflight.headers["access-control-allow-headers"].split(",")
    reply = call(api, "GET", "/fhir/R4/metadata", None, STAFF_12, origin)
    assert reply.headers.get("access-control-expose-headers") == "location,retry-after", reply.headers


def test_the_local_gateway_passes_door_a_its_largest_file_as_lambda_would(api, aws):
    # Given a 4 MiB file (door A's limit), 5.6 MB of base64 in a JSON body: as text in the event, it is
    # within Lambda's 6 MB payload (the local gateway once counted it a third larger, as if base64 again)
    data = pdf_bytes() + b"\n%" + b"0" * (4 * 1024 * 1024 - len(pdf_bytes()) - 2)
    doc = {"document_name": "big.pdf", "data": b64(data), "mime_type": "application/pdf", "record_type": RECORD}
    reply = call(api, "POST", "/api/v2/patients/1172416/documents", {"doc": doc}, STAFF_12)
    # Then the function gets it and stores it
    assert reply.status == 201, reply.body[:300]
    assert len(aws.all_objects()) == 1
    # And a body beyond the payload is still the gateway's 413, before any function runs
    doc["data"] = b64(data + b"0" * (2 * 1024 * 1024))
    too_big = call(api, "POST", "/api/v2/patients/1172416/documents", {"doc": doc}, STAFF_12)
    assert too_big.status == 413 and too_big.json == {"message": "Request Entity Too Large"}
    assert len(aws.all_objects()) == 1


def _upload_form(aws: Any, extra: list[tuple[str, bytes]]) -> tuple[dict[str, str], bytes]:
    boundary = "zz"
    parts = [("bucket_name", aws.bucket.encode()), ("file_path", b"patients/1172416/documents"), *extra]
    raw = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
        for name, value in parts
    )
    raw += (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="card.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + pdf_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return {"content-type": f"multipart/form-data; boundary={boundary}"}, raw


@pytest.mark.parametrize("repeated", ["file_path", "file_name", "bucket_name"])
def test_a_form_field_sent_twice_is_a_400_naming_it_and_writes_nothing(api, aws, repeated):
    # Given door B's upload form with one field twice (another patient's area second, say)
    second = {"file_path": b"patients/1172417/documents", "file_name": b"b.pdf", "bucket_name": aws.bucket.encode()}
    headers, raw = _upload_form(aws, [("file_name", b"card.pdf"), (repeated, second[repeated])])
    # When it is sent
    reply = call(api, "POST", "/apis/v1/file/upload/unsigned", None, STAFF_12, headers, raw)
    # Then it is a 400 naming the field, in door B's format, and nothing is stored
    assert reply.status == 400, reply.body
    assert reply.json["code"] == 4000 and reply.json["message"].startswith(repeated), reply.json
    assert aws.all_objects() == [] and aws.all_items() == []


def test_the_same_form_with_each_field_once_is_stored(api, aws):
    headers, raw = _upload_form(aws, [("file_name", b"card.pdf")])
    reply = call(api, "POST", "/apis/v1/file/upload/unsigned", None, STAFF_12, headers, raw)
    assert reply.status == 200, reply.body
    assert len(aws.all_objects()) == 1


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/apis/v1/patient-document/1172416?size=5&size=6", "size"),
        ("/fhir/R4/DocumentReference?patient=1172416&patient=1172417", "patient"),
        ("/v1/file-requests?limit=5&limit=5", "limit"),
    ],
)
def test_a_query_parameter_that_takes_one_value_given_twice_says_so(api, aws, path, name):
    reply = call(api, "GET", path, None, STAFF_12)
    assert reply.status == 400, reply.body
    message = _error_message(reply)
    assert message.startswith(name) and "more than once" in message, message


def test_an_upload_form_without_its_file_names_file(api, aws):
    headers, raw = _upload_form(aws, [("file_name", b"card.pdf")])
    raw = raw[: raw.index(b'--zz\r\nContent-Disposition: form-data; name="file"')] + b"--zz--\r\n"
    reply = call(api, "POST", "/apis/v1/file/upload/unsigned", None, STAFF_12, headers, raw)
    assert reply.status == 400 and reply.json["message"] == "file: is required", reply.body
    assert aws.all_objects() == [] and aws.all_items() == []
