"""``make invoke``: every file in ``events/`` runs through ``local.invoke`` and answers in its door's format.

In-process against moto (the ``aws`` fixture) rather than through ``make run``'s embedded AWS:
the code path from the event to the result is the one ``make invoke`` takes. Events that name a
document, a file request or a link get that record seeded first, with the event's own ids.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from local.invoke import default_event, find_function, invoke
from local.template import ROOT, functions
from tests import scanning
from tests.authz_fixtures import multipart
from tests.utils import STAFF_12, bearer, call, pdf_bytes

EVENTS = sorted((ROOT / "events").glob("*.json"))
DOCUMENT_ID = 373761287972556
PATIENT = 1172416
FILE_REQUEST_ID = "f4d47426-c99a-43df-81ea-8304a62c5127"
SHORT_LINK = "a49ekq3jXyZ1"
DEVICE_PATIENT = 373765057021127


def event_of(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "events" / f"{name}.json").read_text())
    return loaded


# ------------------------------------------------------------------ seeds, with the events' own ids
def seed_inline_document(api: Any, aws: Any, clock: Any) -> None:
    from patient_docs.logic import new_document

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(new_document, "new_document_id", lambda: DOCUMENT_ID)
        created = invoke(find_function("inline_documents_create"), event_of("inline_documents_create"))
    assert json.loads(created["body"])["doc"]["id"] == DOCUMENT_ID
    scanning.scan_all(aws)  # its malware scan finds nothing: it may be downloaded


def seed_clean_inline_document(api: Any, aws: Any, clock: Any) -> None:
    """The inline document, scanned clean: its file may be served."""
    seed_inline_document(api, aws, clock)
    aws.client("dynamodb").update_item(
        TableName=aws.table,
        Key={"PK": {"S": f"DOC#{DOCUMENT_ID}"}, "SK": {"S": "DOC"}},
        UpdateExpression="SET scan_status = :clean",
        ExpressionAttributeValues={":clean": {"S": "clean"}},
    )


def seed_patient_document(api: Any, aws: Any, clock: Any) -> None:
    from patient_docs.logic import new_document

    fields = {"bucket_name": aws.bucket, "file_path": f"patients/{PATIENT}/documents", "file_name": "card.pdf"}
    raw, content_type = multipart(fields, "card.pdf", pdf_bytes(), "application/pdf")
    headers = {**bearer(**STAFF_12), "content-type": content_type}
    uploaded = call(api, "POST", "/apis/v1/file/upload/unsigned", headers=headers, raw=raw)
    save = {"patient_id": PATIENT, "name": "Insurance Card", "document_url": uploaded.json["data"]["file_url"]}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(new_document, "new_document_id", lambda: DOCUMENT_ID)
        saved = call(api, "POST", "/apis/v1/patient-document", {**save, "bucket_name": aws.bucket}, STAFF_12)
    assert saved.json["data"]["id"] == DOCUMENT_ID, saved.body


def seed_file_request(api: Any, aws: Any, clock: Any) -> None:
    from patient_docs.logic import create_file_request

    fixed = uuid.UUID(FILE_REQUEST_ID)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(create_file_request.uuid, "uuid4", lambda: fixed)
        patch.setattr(create_file_request, "new_short_link_id", lambda: SHORT_LINK)
        patch.setattr(create_file_request, "new_patient_number", lambda: DEVICE_PATIENT)
        created = invoke(find_function("file_requests_create"), event_of("file_requests_create"))
    assert json.loads(created["body"])["short_link_id"] == SHORT_LINK, created


def seed_file_request_notified_an_hour_ago(api: Any, aws: Any, clock: Any) -> None:
    seed_file_request(api, aws, clock)
    clock.advance(3600)  # a resend sooner after the SMS is refused


Seed = Callable[[Any, Any, Any], None]
SEEDS: dict[str, Seed] = {
    "inline_documents_get": seed_inline_document,
    "inline_documents_delete": seed_inline_document,
    "patient_document_update": seed_patient_document,
    "file_requests_get": seed_file_request,
    "file_requests_cancel": seed_file_request,
    "file_requests_resend": seed_file_request_notified_an_hour_ago,
    "patient_page_open": seed_file_request,
    "patient_page_verify": seed_file_request,
    "fhir_document_reference_read": seed_inline_document,
    "fhir_binary_read": seed_clean_inline_document,
}


# ------------------------------------------------------------------ each door's format
def assert_in_door_format(path: str, result: dict[str, Any]) -> None:
    status = result["statusCode"]
    assert isinstance(status, int) and status < 500, result
    body = result.get("body") or ""
    if path.startswith("/r/") and result["headers"].get("Content-Type", "").startswith("text/html"):
        assert body.lower().startswith("<!doctype html>"), body[:200]
        return
    if status == 204:
        assert body == ""
        return
    payload = json.loads(body)
    assert isinstance(payload, dict), payload
    if path.startswith("/api/v2/"):  # door A
        assert {"doc"} <= payload.keys() or {"docs"} <= payload.keys() or {"error"} <= payload.keys(), payload
    elif path.startswith("/apis/v1/"):  # door B
        assert {"code", "data"} <= payload.keys() or {"code", "message"} <= payload.keys(), payload
    elif path.startswith("/fhir/"):  # door D: a FHIR resource, an OperationOutcome when refused
        assert "resourceType" in payload and (status < 400) == (payload["resourceType"] != "OperationOutcome")
    elif status >= 400:  # door C, account settings, the patient page's JSON
        assert set(payload["error"]) >= {"status", "code", "message"} and payload["error"]["status"] == status


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_make_invoke_runs_every_event_file(path: Path, api, aws, clock):
    # Given the function the event file is named after, and the records the event names
    function = find_function(path.stem)
    assert default_event(function) == path
    seeded = path.stem in SEEDS
    if seeded:
        SEEDS[path.stem](api, aws, clock)

    # When make invoke's code path runs it
    result = invoke(function, json.loads(path.read_text()))

    # Then the result is the door's: a batch response for a queue, outcomes for a topic, an outcome for an
    # EventBridge target, an HTTP answer otherwise
    records = json.loads(path.read_text()).get("Records")
    if records and records[0].get("EventSource") == "aws:sns":
        assert result == {"outcomes": ["ignored"]}  # SES feedback naming a request this stage never made
        return
    if records:
        assert result == {"batchItemFailures": []}
        return
    if "detail-type" in json.loads(path.read_text()):
        assert result == {"outcome": "ignored"}  # the example names an object of a deployed stage's bucket
        return
    assert_in_door_format(json.loads(path.read_text())["rawPath"], result)
    if seeded:
        assert 200 <= result["statusCode"] < 300, result


def test_every_function_has_an_event_file():
    missing = [f.logical_id for f in functions() if not default_event(f).is_file()]
    assert missing == []
