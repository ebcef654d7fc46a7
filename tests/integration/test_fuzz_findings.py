"""Regressions for what schemathesis found (tests/fuzz): each one a 500 or a response off its schema."""

from __future__ import annotations

import http.client
import json
import re
import threading

import pytest

from local.server import _Server
from local.template import http_routes
from tests.utils import STAFF_12, call

PATIENT = 1172416


@pytest.mark.parametrize(
    ("path", "door"),
    [(f"/api/v2/patients/{PATIENT}/documents", "A"), ("/apis/v1/file/upload/presigned", "B")],
)
def test_a_json_body_that_is_not_utf8_is_a_400_in_the_doors_format(api, aws, path, door):
    # Given a body declared as JSON whose bytes are not UTF-8 (it used to crash decoding: 500)
    reply = call(api, "POST", path, caller=STAFF_12, headers={"content-type": "application/json"}, raw=b"\t\xff\xfe}")
    # Then it is refused as bad input, naming the body, and nothing is written
    assert reply.status == 400, reply.body
    if door == "A":
        assert reply.json["error"]["field"] == "body"
    else:
        assert reply.json["code"] == 4000 and reply.json["data"] is None
    assert aws.all_items() == [] and aws.all_objects() == []


def test_a_list_bound_whose_offset_leaves_the_calendar_is_a_400(api, aws):
    reply = call(api, "GET", f"/apis/v1/patient-document/{PATIENT}?start=0001-01-01T00:00:00%2B01:00", caller=STAFF_12)
    assert reply.status == 400, reply.body
    assert reply.json["message"].startswith("start:")


def test_a_stored_date_whose_offset_leaves_the_calendar_is_a_400(api, aws):
    reply = call(api, "POST", "/apis/v1/patient-document/1", {"receipt_date": "0001-01-01T00:00:00+01:00"}, STAFF_12)
    assert reply.status == 400, reply.body
    assert reply.json["message"].startswith("receipt_date:")


def test_update_refuses_a_null_name_and_the_schema_says_it_is_not_nullable(api, aws):
    assert call(api, "POST", "/apis/v1/patient-document/1", {"name": None}, STAFF_12).status == 400
    schema = json.loads(api.openapi())["components"]["schemas"]["UpdateDocumentRequest"]["properties"]["name"]
    assert "anyOf" not in schema and schema["type"] == "string"


def test_every_operation_documents_its_success_response_with_a_body_schema(api, aws):
    # Routes pass their door's error responses; the success one used to be left out.
    document = json.loads(api.openapi())
    for route in http_routes():
        path = route.path
        operation = document["paths"][path][route.method.lower()]
        successes = [code for code in operation["responses"] if code.startswith("2")]
        assert successes, f"{route.route_key} documents no success response"
        for code in successes:
            if code != "204":
                content = operation["responses"][code]["content"]
                media = "text/html" if route.route_key == "GET /r/{short_link_id}" else "application/json"
                media = "application/fhir+json" if route.path.startswith("/fhir/") else media
                assert content[media]["schema"], route.route_key


def test_a_204_is_documented_without_a_body(api, aws):
    document = json.loads(api.openapi())
    operation = document["paths"]["/api/v2/patients/{patient_id}/documents/{document_id}"]["delete"]
    assert not operation["responses"]["204"].get("content")


def test_statuses_the_gateway_answers_itself_document_its_body_too(api, aws):
    # The JWT authorizer answers 401 {"message": "Unauthorized"} in every door.
    document = json.loads(api.openapi())
    for route in http_routes():
        operation = document["paths"][route.path][route.method.lower()]
        if route.public:  # no authorizer, so no 401 from the gateway, and no bearer scheme
            assert "401" not in operation["responses"] and operation.get("security") == [], route.route_key
            continue
        schema = operation["responses"]["401"]["content"]["application/json"]["schema"]
        refs = {option.get("$ref", "").rsplit("/", 1)[-1] for option in schema.get("anyOf", [schema])}
        assert "GatewayErrorResponse" in refs, route.route_key
    assert call(api, "GET", f"/api/v2/patients/{PATIENT}/documents").json == {"message": "Unauthorized"}


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "PATCH"])
def test_an_undeclared_method_is_404_like_the_gateway_not_501(api, aws, method):
    # The local HTTP server answered 501 for methods it had no do_<METHOD> for.
    # Given the local HTTP server on a free port
    server = _Server(("127.0.0.1", 0), api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host, port = server.server_address[:2]
        connection = http.client.HTTPConnection(str(host), int(port), timeout=10)
        # When a request uses a method no route declares
        connection.request(method, f"/api/v2/patients/{PATIENT}/documents")
        response = connection.getresponse()
        # Then it is the gateway's 404, not the HTTP server's 501
        assert response.status == 404
        assert json.loads(response.read()) == {"message": "Not Found"}
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "path",
    ["/api/v2/patients/1172416/documents", "/apis/v1/patient-document", "/apis/v1/file/upload/presigned"],
)
@pytest.mark.parametrize("raw", [b"[]", b'[{"doc": {}}]', b'"text"', b"null", b"42"])
def test_a_json_body_that_is_not_an_object_is_400_on_every_door(api, aws, path, raw):
    reply = call(api, "POST", path, None, STAFF_12, headers={"content-type": "application/json"}, raw=raw)
    assert reply.status == 400, reply.body
    assert aws.all_items() == [] and aws.all_objects() == []


def test_a_valid_body_wrapped_in_an_array_is_refused_not_unwrapped(api, aws):
    from tests.utils import b64, png_bytes

    # Given a valid door A body, wrapped in a one-element array
    doc = {"document_name": "a.png", "data": b64(png_bytes()), "mime_type": "image/png", "record_type": "Behavioral"}
    raw = json.dumps([{"doc": doc}]).encode()
    path = "/api/v2/patients/1172416/documents"
    # When it is posted
    reply = call(api, "POST", path, None, STAFF_12, headers={"content-type": "application/json"}, raw=raw)
    # Then it is refused naming the body, and nothing is written
    assert reply.status == 400 and reply.json["error"]["field"] == "body"
    assert aws.all_items() == [] and aws.all_objects() == []


def test_the_sender_id_rule_is_stated_in_the_schema_and_an_empty_one_is_refused(api, aws):
    # The schema used to allow "" (and anything up to 64 characters) that the rule then refused.
    document = json.loads(api.openapi())
    schema = document["components"]["schemas"]["AccountSettingsBody"]["properties"]["smsSenderId"]
    assert schema["minLength"] == 1 and schema["maxLength"] == 11
    pattern = re.compile(schema["pattern"])
    assert pattern.search("Clinic12") and not pattern.search("123456") and not pattern.search("Dr Smith")
    # And an admin sending an empty one is refused, naming it, with nothing written
    admin = {**STAFF_12, "role": "admin"}
    reply = call(api, "PUT", "/v1/account-settings", {"smsSenderId": "", "linkLifetimeHours": 72}, admin)
    assert reply.status == 400 and reply.json["error"]["field"] == "smsSenderId"
    assert aws.all_items() == []


def test_the_patient_page_documents_each_status_it_answers_with_html(api, aws):
    # The friendly pages for unknown, expired or cancelled, and locked links were undocumented.
    operation = json.loads(api.openapi())["paths"]["/r/{short_link_id}"]["get"]
    for status in ("200", "404", "410", "423"):
        assert "text/html" in operation["responses"][status]["content"], status
    reply = call(api, "GET", "/r/0", None)
    assert reply.status == 404 and reply.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(("sent", "status"), [(309.0, 200), (309, 200), ("309", 400), (True, 400), (309.5, 400)])
def test_a_whole_number_written_with_a_fraction_is_an_integer_as_json_schema_says(api, aws, sent, status):
    # JSON Schema counts 309.0 as an integer, so a schema-valid request must not be refused for it.
    admin = {**STAFF_12, "role": "admin"}
    reply = call(api, "PUT", "/v1/account-settings", {"smsSenderId": "Clinic12", "linkLifetimeHours": sent}, admin)
    assert reply.status == status, reply.body
    if status == 200:
        assert reply.json["link_lifetime_hours"] == 309 and isinstance(reply.json["link_lifetime_hours"], int)
    else:
        assert reply.json["error"]["field"] == "linkLifetimeHours" and aws.all_items() == []
