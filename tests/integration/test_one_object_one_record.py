"""One object, one record (issue 13, probe findings).

Door B's Save Document took any upload URL of the patient's area, so two records could point at one
object, or a second record at a door A document's object: deleting either left the other pointing
at nothing. Deleting a patient's photo through door A left its file request listing a file whose
object was gone. And the record was deleted before the object, so an S3 failure stranded the object
with no record to retry from. Now every document claims its object in the transaction that writes
it (a claim item keyed by the object key, created only if absent), a delete removes the object
first and then, in one transaction, the document, its claim and the request's file, so it can be
retried until it is done; and no record ever points at a missing object.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from tests.integration import page_helpers
from tests.integration.probe_helpers import PATIENT, Outage, save_body, upload_unsigned
from tests.utils import STAFF_12, b64, call, pdf_bytes

DOCS = f"/api/v2/patients/{PATIENT}/documents"


def _save(api: Any, aws: Any, url: str) -> Any:
    return call(api, "POST", "/apis/v1/patient-document", save_body(aws, url), STAFF_12)


def _conflict_on_document_url(reply: Any) -> bool:
    body = reply.json
    return reply.status == 409 and body["code"] == 4090 and body["message"].startswith("document_url:")


def _object_exists(aws: Any, key: str) -> bool:
    try:
        aws.client("s3").head_object(Bucket=aws.bucket, Key=key)
    except ClientError:
        return False
    return True


def _records_pointing_at_missing_objects(aws: Any) -> list[str]:
    """Every stored item that names an object (documents, request files) whose object is gone."""
    return [
        f"{item['PK']['S']} {item['SK']['S']}"
        for item in aws.all_items()
        if "object_key" in item and not _object_exists(aws, item["object_key"]["S"])
    ]


def _documents(aws: Any) -> list[dict[str, Any]]:
    return [item for item in aws.all_items() if item.get("entity", {}).get("S") == "document"]


def test_a_document_url_already_recorded_is_refused_and_nothing_is_written(api, aws):
    # Given an upload saved once
    uploaded = upload_unsigned(api, aws, "card.png")
    assert _save(api, aws, uploaded["file_url"]).status == 200
    before = aws.all_items()
    # When the same URL is saved again, as written and spelled otherwise (path-style, upper-case host)
    key = urlsplit(uploaded["file_url"]).path.lstrip("/")
    spellings = [
        uploaded["file_url"],
        f"https://s3.us-east-1.amazonaws.com/{aws.bucket}/{key}",
        uploaded["file_url"].replace(aws.bucket, aws.bucket.upper(), 1),
    ]
    for url in spellings:
        reply = _save(api, aws, url)
        # Then each is a 409 naming document_url in door B's envelope
        assert _conflict_on_document_url(reply), (url, reply.body)
    # And nothing was written
    assert aws.all_items() == before


def test_a_door_a_documents_object_cannot_get_a_second_record_through_door_b(api, aws):
    # Given a door A document, whose object URL door B's list shows
    body = {
        "doc": {
            "document_name": "a.pdf",
            "data": b64(pdf_bytes()),
            "mime_type": "application/pdf",
            "record_type": "Test Result",
        }
    }
    assert call(api, "POST", DOCS, body, STAFF_12).status == 201
    listed = call(api, "GET", f"/apis/v1/patient-document/{PATIENT}", caller=STAFF_12).json["data"]["documents"]
    before = aws.all_items()
    # When that URL is saved as a new record
    reply = _save(api, aws, listed[0]["document_url"])
    # Then it is refused, and nothing is written
    assert _conflict_on_document_url(reply), reply.body
    assert aws.all_items() == before


def test_deleting_a_document_frees_nothing_else_and_leaves_no_record_without_its_object(api, aws):
    # Given two saved documents
    first = _save(api, aws, upload_unsigned(api, aws, "one.png")["file_url"]).json["data"]
    second = _save(api, aws, upload_unsigned(api, aws, "two.png")["file_url"]).json["data"]
    # When the first is deleted
    assert call(api, "DELETE", f"{DOCS}/{first['id']}", caller=STAFF_12).status == 204
    # Then only the second document remains, with its object, and no claim of the first is left
    assert [int(item["id"]["N"]) for item in _documents(aws)] == [second["id"]]
    assert _records_pointing_at_missing_objects(aws) == []
    leftovers = [item for item in aws.all_items() if item.get("document_id", {}).get("N") == str(first["id"])]
    assert leftovers == []
    # And its URL cannot be saved again: the object is gone
    reply = _save(api, aws, first["document_url"])
    assert reply.status == 400 and reply.json["message"].startswith("document_url:")


def test_deleting_a_patients_photo_document_removes_the_photo_from_its_request(api, aws):
    # Given a file request answered with a photo, which is a document of the patient too
    request = page_helpers.create_request(api)
    link = request["short_link_id"]
    page_helpers.upload(
        api, link, page_helpers.session_for(api, link), page_helpers.jpeg_bytes(), "a.jpg", "image/jpeg"
    )
    page_helpers.register(page_helpers.queued_events(aws))
    (photo,) = call(api, "GET", f"/v1/file-requests/{request['id']}", caller=STAFF_12).json["files"]
    # When staff delete that document through door A
    path = f"/api/v2/patients/{request['patient_number']}/documents/{photo['document_id']}"
    assert call(api, "DELETE", path, caller=STAFF_12).status == 204
    # Then the request no longer lists the photo, and nothing points at the deleted object
    answered = call(api, "GET", f"/v1/file-requests/{request['id']}", caller=STAFF_12).json
    assert answered["files"] == []
    assert _records_pointing_at_missing_objects(aws) == []


@pytest.mark.parametrize(
    ("service", "operation"),
    [("s3", "DeleteObject"), ("dynamodb", "TransactWriteItems")],
    ids=["the object's delete fails", "the records' delete fails"],
)
def test_a_failed_delete_can_be_retried_until_it_is_done(api, aws, service, operation):
    # Given a saved document
    doc = _save(api, aws, upload_unsigned(api, aws, "card.png")["file_url"]).json["data"]
    key = urlsplit(doc["document_url"]).path.lstrip("/")
    # When its delete fails half-way
    with Outage(service, "InternalError", operation) as outage:
        failed = call(api, "DELETE", f"{DOCS}/{doc['id']}", caller=STAFF_12)
    assert failed.status >= 500 and outage.calls >= 1
    # Then the document is still there to delete again (never a record gone with its object kept)
    assert len(_documents(aws)) == 1
    # And a retry finishes the job: no record, no object, nothing pointing at a missing object
    assert call(api, "DELETE", f"{DOCS}/{doc['id']}", caller=STAFF_12).status == 204
    assert _documents(aws) == [] and not _object_exists(aws, key)
    assert _records_pointing_at_missing_objects(aws) == []
