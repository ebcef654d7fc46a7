"""The access-audit trail through the real handlers against moto: every action's event, what an event
holds (and never holds), the hash chains, and failing closed when an event cannot be stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from patient_docs.adapters.audit_log import decode
from patient_docs.rules.audit_chain import verify_chain
from tests.conftest import NAMES
from tests.integration.page_helpers import (
    DOB,
    SEED_REQUEST,
    create_request,
    queued_events,
    register,
    session_for,
    upload,
    verify,
)
from tests.scanning import scan_all
from tests.utils import STAFF_12, b64, call, pdf_bytes, png_bytes

PATIENT = 1172416


@pytest.fixture(autouse=True)
def _files_are_served_unscanned(monkeypatch):
    """The audit trail, not file safety, is under test: files are served without a malware scan."""
    from patient_docs.settings import get_settings

    monkeypatch.setenv("MALWARE_SCANNING", "Disabled")
    monkeypatch.setenv("UNSCANNED_FILE_POLICY", "serve-unsupported")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


ADMIN_12 = {"role": "admin", "account": "12", "sub": "admin-12-auditor", "name": "Dr Ada Admin"}
NAMED_STAFF = {"role": "staff", "account": "12", "sub": "staff-12-rw", "name": "Dr Rachel Williams"}
DOCUMENT_NAME = "knee-mri-results.pdf"


def audit_events(aws: Any) -> list[dict[str, Any]]:
    """Every stored audit event, as plain values, in chain order."""
    items = aws.client("dynamodb").scan(TableName=NAMES["AuditTable"])["Items"]
    return sorted((decode(item) for item in items), key=lambda e: (e["chain"], e["seq"]))


def actions(aws: Any) -> list[str]:
    return [e["action"] for e in sorted(audit_events(aws), key=lambda e: e["at"])]


def inline_document(api: Any, caller: dict[str, Any] = NAMED_STAFF, patient: int = PATIENT) -> dict[str, Any]:
    body = {"doc": {"document_name": DOCUMENT_NAME, "mime_type": "application/pdf", "data": b64(pdf_bytes())}}
    body["doc"]["record_type"] = "Test Result"
    reply = call(api, "POST", f"/api/v2/patients/{patient}/documents", body, caller)
    assert reply.status == 201, reply.body
    return dict(reply.json["doc"])


def assert_chains_intact(aws: Any) -> None:
    by_chain: dict[str, list[dict[str, Any]]] = {}
    for event in audit_events(aws):
        by_chain.setdefault(event["chain"], []).append(event)
    for chain, events in by_chain.items():
        report = verify_chain(chain, events, datetime.now(UTC))
        assert report.intact, (chain, report.problems)


# ------------------------------------------------------------------ every action records its event
def test_door_a_records_created_listed_downloaded_and_deleted(api, aws):
    # Given a staff member who adds a document, lists the patient's, opens it and deletes it
    doc = inline_document(api)
    call(api, "GET", f"/api/v2/patients/{PATIENT}/documents", caller=NAMED_STAFF)
    opened = call(api, "GET", f"/api/v2/patients/{PATIENT}/documents/{doc['id']}", caller=NAMED_STAFF)
    assert opened.status == 200 and opened.json["doc"]["download_url"]
    assert call(api, "DELETE", f"/api/v2/patients/{PATIENT}/documents/{doc['id']}", caller=NAMED_STAFF).status == 204
    # Then each is one event on the patient's chain, by that staff member, naming patient and document
    events = audit_events(aws)
    assert [e["action"] for e in events] == [
        "document.created",
        "document.listed",
        "document.downloaded",
        "document.deleted",
    ]
    assert {e["chain"] for e in events} == {f"12#P#{PATIENT}"}
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    for event in events:
        assert (event["actor_sub"], event["actor_role"], event["actor_name"]) == (
            "staff-12-rw",
            "staff",
            "Dr Rachel Williams",
        )
        assert (event["account_id"], event["patient_id"], event["outcome"]) == ("12", PATIENT, "success")
        assert event["request_id"] and event["source_ip"] == "127.0.0.1"
    assert [e.get("document_id") for e in events] == [doc["id"], None, doc["id"], doc["id"]]
    assert_chains_intact(aws)


def test_door_b_records_created_listed_updated_and_read(api, aws):
    # Given a file uploaded and saved through door B, listed, updated, and "updated" with nothing (a read)
    uploaded = call(
        api,
        "POST",
        "/apis/v1/file/upload/presigned",
        {"patient_id": PATIENT, "file_name": DOCUMENT_NAME, "content_type": "application/pdf", "size_bytes": 45},
        STAFF_12,
    ).json["data"]
    import requests

    files = {"file": (DOCUMENT_NAME, pdf_bytes(), "application/pdf")}
    assert requests.post(uploaded["url"], data=uploaded["fields"], files=files, timeout=30).status_code in (200, 204)
    saved = call(
        api,
        "POST",
        "/apis/v1/patient-document",
        {"patient_id": PATIENT, "name": "MRI", "document_url": uploaded["file_url"], "bucket_name": aws.bucket},
        STAFF_12,
    )
    assert saved.status == 200, saved.body
    document_id = saved.json["data"]["id"]
    call(api, "GET", f"/apis/v1/patient-document/{PATIENT}", caller=STAFF_12)
    assert call(api, "POST", f"/apis/v1/patient-document/{document_id}", {"notes": "seen"}, STAFF_12).status == 200
    assert call(api, "POST", f"/apis/v1/patient-document/{document_id}", {}, STAFF_12).status == 200
    # Then: created, listed, updated, read, in that order, on the patient's chain
    events = audit_events(aws)
    assert [e["action"] for e in events] == ["document.created", "document.listed", "document.updated", "document.read"]
    assert {e["chain"] for e in events} == {f"12#P#{PATIENT}"}
    assert_chains_intact(aws)


def test_door_c_and_the_patient_page_record_every_step(api, aws, clock):
    # Given a request: created, opened, answered wrong then right, a photo sent and registered, read by
    # staff (its photo's URL handed out), listed, resent and cancelled
    created = create_request(api)
    link = created["short_link_id"]
    assert call(api, "GET", f"/r/{link}").status == 200
    assert verify(api, link, "1999-01-01").status == 400
    session = session_for(api, link)
    queued_events(aws)  # S3's test event
    upload(api, link, session, png_bytes(), "IMG_0292.png", "image/png")
    assert register([m for m in queued_events(aws) if '"Records"' in m["Body"]]) == {"batchItemFailures": []}
    scan_all(aws)  # found clean (and its clean copy made): it may be served
    read = call(api, "GET", f"/v1/file-requests/{created['id']}", caller=STAFF_12).json
    call(api, "GET", "/v1/file-requests", caller=STAFF_12)
    clock.advance(61)
    second = create_request(api, prompt="Another photo, please.")
    clock.advance(61)
    assert call(api, "POST", f"/v1/file-requests/{second['id']}/resend", {}, STAFF_12).status == 200
    assert call(api, "POST", f"/v1/file-requests/{second['id']}/cancel", {}, STAFF_12).status == 200
    # Then every step is an event, the patient's on its chain, the listing on an account chain
    events = audit_events(aws)
    patient_chain = f"12#P#{created['patient_number']}"
    on_patient = [e["action"] for e in events if e["chain"] == patient_chain]
    assert on_patient == [
        "file_request.created",
        "patient_page.opened",
        "patient_page.verify_failed",
        "patient_page.verified",
        "patient_page.upload_issued",
        "file.registered",
        "file.image_processed",
        "file_request.read",
        "document.downloaded",
        "file_request.created",
        "file_request.resent",
        "file_request.cancelled",
    ]
    assert [e["action"] for e in events if e["chain"].startswith("12#S#")] == ["file_request.listed"]
    # And the page's events name the link by its request, never by the link itself
    page = [e for e in events if e["action"].startswith("patient_page.")]
    assert {(e["actor_role"], e["actor_link"]) for e in page} == {("link", created["id"])}
    assert link not in json.dumps(events)
    # And the photo's events name the file and the document it became
    (photo,) = read["files"]
    registered = next(e for e in events if e["action"] == "file.registered")
    downloaded = next(e for e in events if e["action"] == "document.downloaded")
    assert registered["file_id"] == downloaded["file_id"] == photo["id"]
    assert registered["document_id"] == downloaded["document_id"]
    assert (registered["actor_role"], registered["actor_sub"]) == ("system", "uploaded-file-register")
    assert_chains_intact(aws)


def test_the_fifth_wrong_answer_is_the_lock_and_later_answers_are_denied(api, aws):
    link = create_request(api)["short_link_id"]
    for _ in range(5):
        verify(api, link, "1999-01-01")
    assert verify(api, link, DOB).status == 423
    outcomes = [(e["action"], e["outcome"]) for e in audit_events(aws) if e["action"].startswith("patient_page.")]
    assert outcomes == [("patient_page.verify_failed", "failure")] * 4 + [
        ("patient_page.locked", "failure"),
        ("patient_page.verify_failed", "denied"),
    ]


def test_a_quarantined_upload_is_recorded(api, aws):
    created = create_request(api)
    link = created["short_link_id"]
    session = session_for(api, link)
    queued_events(aws)
    upload(api, link, session, b"MZ not a photo at all" * 10, "x.png", "image/png")
    register([m for m in queued_events(aws) if '"Records"' in m["Body"]])
    (quarantined,) = [e for e in audit_events(aws) if e["action"] == "file.quarantined"]
    assert (quarantined["patient_id"], quarantined["file_request_id"]) == (created["patient_number"], created["id"])


def test_settings_changes_are_recorded_on_an_account_chain(api, aws):
    body = {"smsSenderId": "Clinic12", "linkLifetimeHours": 24}
    assert call(api, "PUT", "/v1/account-settings", body, ADMIN_12).status == 200
    (event,) = audit_events(aws)
    assert (event["action"], event["actor_sub"], event["actor_role"]) == (
        "account_settings.changed",
        "admin-12-auditor",
        "admin",
    )
    assert event["chain"].startswith("12#S#") and "patient_id" not in event


def test_an_event_holds_api_gateways_request_id_and_the_clients_address(api, aws, monkeypatch):
    # Given API Gateway's request id and the client's address for a request
    import local.server as server

    real = server.http_event

    def from_gateway(*args: Any, **kwargs: Any) -> dict[str, Any]:
        event = real(*args, **{**kwargs, "source_ip": "198.51.100.23"})
        event["requestContext"]["requestId"] = "Jx1Y2abcIAMEVxw="
        return event

    monkeypatch.setattr(server, "http_event", from_gateway)
    # When a document is listed
    call(api, "GET", f"/api/v2/patients/{PATIENT}/documents", caller=STAFF_12)
    # Then its event says so
    (event,) = audit_events(aws)
    assert (event["request_id"], event["source_ip"]) == ("Jx1Y2abcIAMEVxw=", "198.51.100.23")


def test_no_event_holds_a_name_date_of_birth_phone_number_file_name_prompt_or_link(api, aws):
    # Given every flow run with recognisable personal values
    doc = inline_document(api)
    call(api, "GET", f"/api/v2/patients/{PATIENT}/documents/{doc['id']}", caller=NAMED_STAFF)
    created = create_request(api)
    link = created["short_link_id"]
    call(api, "GET", f"/r/{link}")
    verify(api, link, "1999-01-01")
    session = session_for(api, link)
    queued_events(aws)
    upload(api, link, session, png_bytes(), "IMG_secret-rash.png", "image/png")
    register([m for m in queued_events(aws) if '"Records"' in m["Body"]])
    scan_all(aws)
    call(api, "GET", f"/v1/file-requests/{created['id']}", caller=STAFF_12)
    # Then no stored event holds any of them
    stored = json.dumps(audit_events(aws))
    secrets = [
        SEED_REQUEST["patientFirstName"],
        SEED_REQUEST["patientLastName"],
        DOB,
        "1999-01-01",
        SEED_REQUEST["patientMobile"],
        SEED_REQUEST["patientMobile"][3:],
        SEED_REQUEST["prompt"][:30],
        DOCUMENT_NAME,
        "IMG_secret-rash",
        session,
        link,
    ]
    for secret in secrets:
        assert secret not in stored, secret
    # While the events are there to be checked
    assert len(audit_events(aws)) >= 10


# ------------------------------------------------------------------ fail closed
@pytest.fixture
def failing_audit_writes():
    """Every write to the audit table fails at DynamoDB (InternalServerError), alone or in a transaction."""
    from patient_docs.adapters import aws as clients

    table = NAMES["AuditTable"]

    class Answer:
        status_code = 500

    def refuse(params: dict[str, Any], **_: Any) -> Any:
        sent = json.loads(params["body"] or b"{}")  # the request as DynamoDB receives it
        items = sent.get("TransactItems", [])
        touched = [sent.get("TableName")] + [body.get("TableName") for item in items for body in item.values()]
        if table in touched:
            return Answer(), {"Error": {"Code": "InternalServerError", "Message": "injected"}}
        return None

    client = clients.dynamodb()
    for operation in ("PutItem", "TransactWriteItems"):
        client.meta.events.register(f"before-call.dynamodb.{operation}", refuse, unique_id=f"fail-{operation}")
    yield
    for operation in ("PutItem", "TransactWriteItems"):
        client.meta.events.unregister(f"before-call.dynamodb.{operation}", unique_id=f"fail-{operation}")


def test_door_a_answers_503_without_a_url_when_the_event_cannot_be_stored(api, aws, request):
    doc = inline_document(api)
    request.getfixturevalue("failing_audit_writes")
    reply = call(api, "GET", f"/api/v2/patients/{PATIENT}/documents/{doc['id']}", caller=STAFF_12)
    assert reply.status == 503
    assert reply.json["error"]["code"] == "service_unavailable"
    assert "download_url" not in reply.body.decode() and "X-Amz-Signature" not in reply.body.decode()
    assert "http" not in reply.body.decode()


def test_door_c_answers_503_without_urls_when_the_events_cannot_be_stored(api, aws, request):
    # Given a request with a registered photo
    created = create_request(api)
    link = created["short_link_id"]
    session = session_for(api, link)
    queued_events(aws)
    upload(api, link, session, png_bytes(), "a.png", "image/png")
    register([m for m in queued_events(aws) if '"Records"' in m["Body"]])
    # When staff read it while the audit trail cannot be written
    request.getfixturevalue("failing_audit_writes")
    reply = call(api, "GET", f"/v1/file-requests/{created['id']}", caller=STAFF_12)
    # Then no URL comes back
    assert reply.status == 503
    assert "download_url" not in reply.body.decode() and "X-Amz-Signature" not in reply.body.decode()


def test_a_write_without_its_event_does_not_happen(api, aws, request):
    # Given a document, and an audit trail that cannot be written
    doc = inline_document(api)
    before = len(audit_events(aws))
    request.getfixturevalue("failing_audit_writes")
    # When staff delete it, update it, and add another
    path = f"/api/v2/patients/{PATIENT}/documents/{doc['id']}"
    assert call(api, "DELETE", path, caller=STAFF_12).status == 503
    assert call(api, "POST", f"/apis/v1/patient-document/{doc['id']}", {"notes": "x"}, STAFF_12).status == 503
    body = {"doc": {"document_name": "b.pdf", "mime_type": "application/pdf", "data": b64(pdf_bytes())}}
    body["doc"]["record_type"] = "Test Result"
    assert call(api, "POST", f"/api/v2/patients/{PATIENT}/documents", body, STAFF_12).status == 503
    # Then nothing changed: the document is there, unchanged, alone, and no event was added
    items = [i for i in aws.all_items() if i.get("entity", {}).get("S") == "document"]
    assert len(items) == 1 and "notes" not in items[0]
    assert len(audit_events(aws)) == before


def test_the_patient_page_shows_nothing_when_its_opening_cannot_be_recorded(api, aws, request):
    link = create_request(api)["short_link_id"]
    request.getfixturevalue("failing_audit_writes")
    reply = call(api, "GET", f"/r/{link}")
    assert reply.status == 503 and reply.headers["content-type"].startswith("text/html")
    assert "Dr Rachel Williams" not in reply.body.decode()
    answer = verify(api, link)
    assert answer.status == 503 and "upload_session" not in answer.json
