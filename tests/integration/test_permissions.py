"""Who may do what (patient_docs/permissions.py), each decision through the real handlers.

The matrix (test_authorization_matrix.py) checks every route against the table; these tests pin
the decisions themselves, so that a changed table cell fails here whatever the matrix derives:
a patient reads, downloads and creates its own documents, changes or deletes only what it added,
never signs; staff do everything on their account's documents and file requests but settings
and the audit trail belong to admin; who added a document is recorded by every door.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.authz_fixtures import multipart
from tests.images import same_pixels
from tests.integration.page_helpers import create_request, queued_events, register, session_for, upload
from tests.scanning import scan_all
from tests.utils import STAFF_12, b64, call, png_bytes

PATIENT = 1172416
ME = {"role": "patient", "account": "12", "patient": PATIENT}
ADMIN_12 = {"role": "admin", "account": "12"}
DOCS = f"/api/v2/patients/{PATIENT}/documents"


def _door_a(api: Any, caller: dict[str, Any]) -> dict[str, Any]:
    body = {
        "doc": {
            "document_name": "scan.png",
            "data": b64(png_bytes()),
            "mime_type": "image/png",
            "record_type": "Test Result",
        }
    }
    reply = call(api, "POST", DOCS, body, caller)
    assert reply.status == 201, reply.body
    return dict(reply.json["doc"])


def _upload(api: Any, aws: Any, caller: dict[str, Any]) -> str:
    raw, content_type = multipart(
        {"bucket_name": aws.bucket, "file_path": f"patients/{PATIENT}/documents", "file_name": "card.png"},
        "card.png",
        png_bytes(),
        "image/png",
    )
    reply = call(api, "POST", "/apis/v1/file/upload/unsigned", None, caller, {"content-type": content_type}, raw)
    assert reply.status == 200, reply.body
    return str(reply.json["data"]["file_url"])


def _save_body(aws: Any, file_url: str, **fields: Any) -> dict[str, Any]:
    return {"patient_id": PATIENT, "name": "Card", "document_url": file_url, "bucket_name": aws.bucket, **fields}


def _door_b(api: Any, aws: Any, caller: dict[str, Any]) -> dict[str, Any]:
    reply = call(api, "POST", "/apis/v1/patient-document", _save_body(aws, _upload(api, aws, caller)), caller)
    assert reply.status == 200, reply.body
    return dict(reply.json["data"])


def _stored(aws: Any, document_id: int) -> dict[str, Any]:
    key = {"PK": {"S": f"DOC#{document_id}"}, "SK": {"S": "DOC"}}
    return dict(aws.client("dynamodb").get_item(TableName=aws.table, Key=key).get("Item", {}))


def _snapshot(aws: Any) -> tuple[list[Any], list[str]]:
    return sorted(aws.all_items(), key=repr), sorted(aws.all_objects())


# ------------------------------------------------------------------ what a patient may do
def test_a_patient_lists_reads_and_downloads_what_staff_added_for_it(api, aws):
    # Given a document staff added for the patient
    doc = _door_a(api, STAFF_12)
    scan_all(aws)  # found clean by the malware scan
    # When the patient lists, reads and downloads it
    listed = call(api, "GET", DOCS, caller=ME)
    door_b = call(api, "GET", f"/apis/v1/patient-document/{PATIENT}", caller=ME)
    read = call(api, "GET", f"{DOCS}/{doc['id']}", caller=ME)
    # Then it sees it through both doors, and the download URL serves the file (its clean copy: docs/images.md)
    assert [d["id"] for d in listed.json["docs"]] == [doc["id"]]
    assert [d["id"] for d in door_b.json["data"]["documents"]] == [doc["id"]]
    assert read.status == 200
    assert same_pixels(requests.get(read.json["doc"]["download_url"], timeout=30).content, png_bytes())


def test_every_door_records_who_added_a_document(api, aws):
    # When the patient adds documents through door A and door B, and staff through door A
    mine_a, mine_b, staffs = _door_a(api, ME), _door_b(api, aws, ME), _door_a(api, STAFF_12)
    # Then each record names its author's role and token subject
    for doc, role, subject in [
        (mine_a, "patient", f"patient-12-{PATIENT}"),
        (mine_b, "patient", f"patient-12-{PATIENT}"),
        (staffs, "staff", "staff-12-user"),
    ]:
        item = _stored(aws, doc["id"])
        assert (item["author_role"]["S"], item["author_subject"]["S"]) == (role, subject)


def test_a_patient_may_ask_for_a_presigned_upload_for_itself_only(api, aws):
    body = {"patient_id": PATIENT, "file_name": "card.png", "content_type": "image/png", "size_bytes": 100}
    assert call(api, "POST", "/apis/v1/file/upload/presigned", body, ME).status == 200
    other = call(api, "POST", "/apis/v1/file/upload/presigned", {**body, "patient_id": PATIENT + 1}, ME)
    assert other.status == 404 and other.json["code"] == 4040


def test_a_patient_changes_and_deletes_what_it_added(api, aws):
    # Given documents the patient added through each door
    door_a, door_b = _door_a(api, ME), _door_b(api, aws, ME)
    # When it changes one and deletes the other, Then both succeed
    changed = call(api, "POST", f"/apis/v1/patient-document/{door_b['id']}", {"notes": "from my phone"}, ME)
    assert changed.status == 200 and changed.json["data"]["notes"] == "from my phone"
    assert call(api, "DELETE", f"{DOCS}/{door_a['id']}", caller=ME).status == 204
    assert _stored(aws, door_a["id"]) == {}


def test_a_patient_may_not_change_or_delete_what_staff_added(api, aws):
    # Given documents staff added for the patient
    door_a, door_b = _door_a(api, STAFF_12), _door_b(api, aws, STAFF_12)
    before = _snapshot(aws)
    # When the patient changes one and deletes the other
    changed = call(api, "POST", f"/apis/v1/patient-document/{door_b['id']}", {"notes": "not mine"}, ME)
    deleted = call(api, "DELETE", f"{DOCS}/{door_a['id']}", caller=ME)
    # Then both are 403 in their door's format, saying what is refused, and nothing changed
    assert changed.status == 403 and changed.json["code"] == 4030 and changed.json["data"] is None
    assert "change documents only if it added them itself" in changed.json["message"]
    assert deleted.status == 403
    assert deleted.json["error"]["code"] == "forbidden" and "delete documents" in deleted.json["error"]["message"]
    assert _snapshot(aws) == before


@pytest.mark.parametrize("field", ["signature_status", "signed_by", "signed_at"])
def test_a_patient_never_signs_not_even_its_own_document(api, aws, field):
    # Given a document the patient added, and one more uploaded file
    mine = _door_b(api, aws, ME)
    file_url = _upload(api, aws, ME)
    value = {"signature_status": "COMPLETED", "signed_by": "Me", "signed_at": "2026-04-01T12:00:00"}[field]
    before = _snapshot(aws)
    # When it sets a signature field on its document, or saves a new record with one
    updated = call(api, "POST", f"/apis/v1/patient-document/{mine['id']}", {"notes": "x", field: value}, ME)
    saved = call(api, "POST", "/apis/v1/patient-document", _save_body(aws, file_url, **{field: value}), ME)
    cleared = call(api, "POST", f"/apis/v1/patient-document/{mine['id']}", {field: None}, ME)
    # Then each is 403 naming the field, and nothing is written
    for reply in (updated, saved, cleared):
        assert reply.status == 403, reply.body
        assert reply.json["message"].startswith(f"{field}: the patient role may not sign documents")
    assert _snapshot(aws) == before


def test_records_stored_before_authorship_count_as_staff_authored(api, aws):
    # Given a document the patient added, stored as records were before authorship was recorded
    mine = _door_b(api, aws, ME)
    aws.client("dynamodb").update_item(
        TableName=aws.table,
        Key={"PK": {"S": f"DOC#{mine['id']}"}, "SK": {"S": "DOC"}},
        UpdateExpression="REMOVE author_role, author_subject",
    )
    # When the patient changes it, Then it is refused as staff's
    reply = call(api, "POST", f"/apis/v1/patient-document/{mine['id']}", {"notes": "x"}, ME)
    assert reply.status == 403 and "staff added this one" in reply.json["message"]


def test_a_photo_the_patient_sent_through_the_page_is_its_own(api, aws):
    # Given a photo the patient sent through the page, registered as a document
    created = create_request(api)
    link = created["short_link_id"]
    upload(api, link, session_for(api, link), png_bytes(), "rash.png", "image/png")
    assert register(queued_events(aws)) == {"batchItemFailures": []}
    me = {"role": "patient", "account": "12", "patient": created["patient_number"]}
    (doc,) = call(api, "GET", f"/api/v2/patients/{created['patient_number']}/documents", caller=me).json["docs"]
    # Then it is recorded as the patient's, and the patient may delete it
    assert _stored(aws, doc["id"])["author_role"]["S"] == "patient"
    reply = call(api, "DELETE", f"/api/v2/patients/{created['patient_number']}/documents/{doc['id']}", caller=me)
    assert reply.status == 204


def test_a_patient_has_no_file_requests_and_no_settings(api, aws):
    # Given a request for the patient
    created = create_request(api)
    me = {"role": "patient", "account": "12", "patient": created["patient_number"]}
    before = _snapshot(aws)
    # When the patient reads, lists, cancels or resends requests, asks for one, or reads or changes settings
    replies = [
        call(api, "GET", f"/v1/file-requests/{created['id']}", caller=me),
        call(api, "GET", "/v1/file-requests", caller=me),
        call(api, "POST", f"/v1/file-requests/{created['id']}/cancel", caller=me),
        call(api, "POST", f"/v1/file-requests/{created['id']}/resend", caller=me),
        call(api, "POST", "/v1/file-requests", {**_request_body(), "patientMobile": "+447911123477"}, me),
        call(api, "GET", "/v1/account-settings", caller=me),
        call(api, "PUT", "/v1/account-settings", {"smsSenderId": "Mine", "linkLifetimeHours": 1}, me),
    ]
    # Then each is a 404, as if none existed, and nothing changed
    assert [reply.status for reply in replies] == [404] * len(replies)
    assert _snapshot(aws) == before


def _request_body() -> dict[str, Any]:
    from tests.integration.page_helpers import SEED_REQUEST

    return dict(SEED_REQUEST)


# ------------------------------------------------------------------ staff and admin
def test_staff_sign_and_delete_what_the_patient_added(api, aws):
    # Given documents the patient added
    door_a, door_b = _door_a(api, ME), _door_b(api, aws, ME)
    # When staff sign one and delete the other, Then both succeed
    body = {"signature_status": "COMPLETED", "signed_by": "Dr Rachel Williams", "signed_at": "2026-04-01T12:00:00"}
    signed = call(api, "POST", f"/apis/v1/patient-document/{door_b['id']}", body, STAFF_12)
    assert signed.status == 200 and signed.json["data"]["signature_status"] == "COMPLETED"
    assert call(api, "DELETE", f"{DOCS}/{door_a['id']}", caller=STAFF_12).status == 204


def test_staff_read_settings_but_only_admin_changes_them(api, aws):
    change = {"smsSenderId": "Clinic12", "linkLifetimeHours": 24}
    # When staff read settings and try to change them
    assert call(api, "GET", "/v1/account-settings", caller=STAFF_12).status == 200
    refused = call(api, "PUT", "/v1/account-settings", change, STAFF_12)
    # Then the change is 403 naming what is refused, and nothing is stored
    assert (
        refused.status == 403 and refused.json["error"]["message"] == "the staff role may not change account settings"
    )
    assert aws.all_items() == []
    # When an admin changes them, Then they change
    changed = call(api, "PUT", "/v1/account-settings", change, ADMIN_12)
    assert changed.status == 200 and changed.json["sms_sender_id"] == "Clinic12"


def test_admin_may_do_what_staff_may(api, aws):
    # Given a request and a patient's document
    created = create_request(api)
    doc = _door_b(api, aws, ME)
    # When an admin reads and lists requests, cancels one, and signs the document, Then all succeed
    assert call(api, "GET", f"/v1/file-requests/{created['id']}", caller=ADMIN_12).status == 200
    assert call(api, "GET", "/v1/file-requests", caller=ADMIN_12).status == 200
    assert call(api, "POST", f"/v1/file-requests/{created['id']}/cancel", caller=ADMIN_12).status == 200
    signing = {"signature_status": "COMPLETED"}
    assert call(api, "POST", f"/apis/v1/patient-document/{doc['id']}", signing, ADMIN_12).status == 200
