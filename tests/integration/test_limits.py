"""Limits that hold on every route: patient ids within 1..2^53-1, server-owned fields refused on
every create, and a request past its time answered alike by cancel and resend."""

from __future__ import annotations

import re
from typing import Any

import pytest

from local.template import http_routes
from patient_docs.rules.ids import MAX_ID
from patient_docs.schemas.file_requests import SERVER_OWNED, CreateFileRequestBody, FileRequestOut
from tests.authz_fixtures import multipart
from tests.integration.page_helpers import SEED_REQUEST, create_request
from tests.utils import STAFF_12, call, png_bytes

OUT_OF_RANGE = ["0", str(MAX_ID + 1), "99999999999999999999"]
# What int() would take from text for a valid id: each is another spelling of 1172416, and none is an id.
SPELLINGS = ["1172416.0", "+1172416", "1172_416", "%201172416", "1172416%20", "%EF%BC%91172416", "1e6", "01172416"]
ID_PARAMETERS = {"patient_id", "document_id", "id"}  # the integer ids in paths (door B's {id}: patient or document)
ID_ROUTES = [route for route in http_routes() if ID_PARAMETERS & set(re.findall(r"\{(\w+)\}", route.path))]


def _snapshot(aws: Any) -> tuple[list[Any], list[str]]:
    return sorted(aws.all_items(), key=repr), sorted(aws.all_objects())


def _message(reply: Any) -> str:
    body = reply.json
    if body.get("resourceType") == "OperationOutcome":  # door D
        return str(body["issue"][0]["diagnostics"])
    return str(body["error"]["message"] if "error" in body else body["message"])


def test_every_route_with_an_id_in_its_path_is_covered():
    # A new route naming an integer id in its path is checked below without further ado; this keeps
    # the list honest (the doors A and B routes as today).
    assert len(ID_ROUTES) >= 5, [route.route_key for route in ID_ROUTES]


@pytest.mark.parametrize("value", OUT_OF_RANGE + SPELLINGS)
@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda route: route.route_key)
def test_ids_in_paths_outside_1_to_2_53_minus_1_or_not_in_digits_are_a_400_naming_them(api, aws, route, value):
    # Given a path whose integer ids are all valid but one
    names = re.findall(r"\{(\w+)\}", route.path)
    for wrong in [name for name in names if name in ID_PARAMETERS]:
        path = route.path
        for name in names:
            path = path.replace("{" + name + "}", value if name == wrong else "1172416")
        body = {"notes": "x"} if route.method == "POST" else None
        if route.method == "POST" and "documents" in route.path:
            body = {
                "doc": {"document_name": "a.png", "data": "AAAA", "mime_type": "image/png", "record_type": "Behavioral"}
            }
        # When it is called
        reply = call(api, route.method, path, body, STAFF_12)
        # Then it is a 400 naming the id, and nothing is written
        assert reply.status == 400, (path, reply.body)
        assert wrong in _message(reply)
        assert aws.all_items() == [] and aws.all_objects() == []


@pytest.mark.parametrize("value", [0, MAX_ID + 1, -1])
def test_patient_ids_in_door_b_bodies_outside_the_range_are_a_400(api, aws, value):
    presign = {"patient_id": value, "file_name": "a.png", "content_type": "image/png", "size_bytes": 10}
    save = {"patient_id": value, "name": "A", "document_url": "https://example.com/a.png", "bucket_name": "b"}
    for path, body in [("/apis/v1/file/upload/presigned", presign), ("/apis/v1/patient-document", save)]:
        reply = call(api, "POST", path, body, STAFF_12)
        assert reply.status == 400 and "patient_id" in reply.json["message"], reply.body
    assert aws.all_items() == [] and aws.all_objects() == []


@pytest.mark.parametrize(
    "file_path",
    [
        "patients/0/documents",
        f"patients/{MAX_ID + 1}/documents",
        "patients/9999999999999999/documents",
        # One spelling per id, as in paths: no leading zero, no space or line end around it
        "patients/01172416/documents",
        " patients/1172416/documents",
        "patients/1172416/documents\n",
        "patients/1172416 /documents",
    ],
)
def test_patient_ids_in_door_b_file_path_outside_the_range_are_a_400_naming_file_path(api, aws, file_path):
    # Given an upload whose file_path names a patient id out of range
    raw, content_type = multipart(
        {"bucket_name": aws.bucket, "file_path": file_path, "file_name": "a.png"}, "a.png", png_bytes(), "image/png"
    )
    # When it is sent
    reply = call(api, "POST", "/apis/v1/file/upload/unsigned", None, STAFF_12, {"content-type": content_type}, raw)
    # Then it is a 400 naming file_path, and nothing is stored
    assert reply.status == 400 and reply.json["message"].startswith("file_path:"), reply.body
    assert aws.all_objects() == []


def test_the_largest_patient_id_is_accepted_in_file_path(api, aws):
    raw, content_type = multipart(
        {"bucket_name": aws.bucket, "file_path": f"patients/{MAX_ID}/documents", "file_name": "a.png"},
        "a.png",
        png_bytes(),
        "image/png",
    )
    reply = call(api, "POST", "/apis/v1/file/upload/unsigned", None, STAFF_12, {"content-type": content_type}, raw)
    assert reply.status == 200, reply.body
    assert f"/patients/{MAX_ID}/documents/" in reply.json["data"]["file_url"]


# ------------------------------------------------------------------ door C create: server-owned fields
def test_every_field_the_server_sets_on_a_request_is_server_owned():
    # Every FileRequest field that a create does not take, in both spellings
    for name in set(FileRequestOut.model_fields) - set(CreateFileRequestBody.model_fields):
        camel = re.sub(r"_(\w)", lambda found: found[1].upper(), name)
        assert {name, camel} <= set(SERVER_OWNED), name


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "7f0c7a4e-2a52-4f43-9d0b-8c3c7d1e2f00"),
        ("status", "responded"),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("shortLinkId", "AAAAAAAAAAAA"),
        ("short_link_id", "AAAAAAAAAAAA"),
        ("short_link_expires_at", "2099-01-01T00:00:00Z"),
        ("patientId", "7f0c7a4e-2a52-4f43-9d0b-8c3c7d1e2f00"),
        ("patient_number", 1),
        ("resendCount", 0),
        ("files", []),
    ],
)
def test_door_c_create_refuses_server_owned_fields_naming_each_and_writes_nothing(api, aws, field, value):
    # When a create sends a field the server sets
    reply = call(api, "POST", "/v1/file-requests", {**SEED_REQUEST, field: value}, STAFF_12)
    # Then it is a 400 naming that field, and nothing is stored or sent
    assert reply.status == 400, reply.body
    assert reply.json["error"]["field"] == field
    assert reply.json["error"]["message"] == f"{field}: is set by the server and must not be sent"
    assert aws.all_items() == [] and aws.sms_messages() == []


# ------------------------------------------------------------------ cancel and resend past the link's time
def test_cancelling_an_expired_request_answers_as_resending_it_does(api, aws, clock):
    # Given a request whose link lifetime (72 hours) has passed
    created = create_request(api)
    clock.advance(72 * 3600 + 1)
    before = _snapshot(aws)
    # When staff cancel it and resend it
    cancelled = call(api, "POST", f"/v1/file-requests/{created['id']}/cancel", caller=STAFF_12)
    resent = call(api, "POST", f"/v1/file-requests/{created['id']}/resend", caller=STAFF_12)
    # Then both are the same 409 naming its state, and nothing changed
    assert (cancelled.status, resent.status) == (409, 409)
    assert "the request is expired" in _message(cancelled) and "the request is expired" in _message(resent)
    assert _snapshot(aws) == before
    fetched = call(api, "GET", f"/v1/file-requests/{created['id']}", caller=STAFF_12).json
    assert fetched["status"] == "expired" and fetched["cancelled_at"] is None


def test_a_request_still_open_is_cancelled_a_second_before_it_expires(api, aws, clock):
    clock.freeze()  # the second before expiry, whatever the time the notice's sending takes
    created = create_request(api)
    clock.advance(72 * 3600 - 1)
    reply = call(api, "POST", f"/v1/file-requests/{created['id']}/cancel", caller=STAFF_12)
    assert reply.status == 200 and reply.json["status"] == "cancelled"


def test_a_resend_refused_for_a_missing_patient_uses_nothing_up(api, aws, clock):
    # Given a request notified long enough ago, whose patient record has since gone
    created = create_request(api)
    notified = call(api, "GET", f"/v1/file-requests/{created['id']}", caller=STAFF_12).json["last_notification_at"]
    assert notified is not None  # sent from the queue
    clock.advance(120)
    dynamodb = aws.client("dynamodb")
    for item in aws.all_items():
        if item.get("entity", {}).get("S") in ("patient", "patient_number"):
            dynamodb.delete_item(TableName=aws.table, Key={"PK": item["PK"], "SK": item["SK"]})
    sms_before = len(aws.sms_messages())
    # When staff resend it
    reply = call(api, "POST", f"/v1/file-requests/{created['id']}/resend", caller=STAFF_12)
    # Then it is a 404, no message goes, and the resend is not counted
    assert reply.status == 404, reply.body
    assert len(aws.sms_messages()) == sms_before
    fetched = call(api, "GET", f"/v1/file-requests/{created['id']}", caller=STAFF_12).json
    assert fetched["resend_count"] == 0
    assert fetched["last_notification_at"] == notified
