"""Door A delete: the object goes first, then its records (document, claim, count, scan entry, a photo's file) in
one transaction."""

from __future__ import annotations

import pytest
from botocore.stub import ANY

from patient_docs.adapters import documents_table, object_store
from patient_docs.errors import AuditUnavailable, Forbidden, NotFound
from patient_docs.logic.delete_document import delete_document
from tests.unit.doubles import PATIENT_NUMBER, a_document, cancelled, client_error, patient, staff

pytestmark = pytest.mark.usefixtures("no_network")

REAL_DELETE = documents_table.delete_document


def _count_down(sort_key: str, entity: str) -> dict:
    return {
        "Update": {
            "TableName": ANY,
            "Key": {"PK": {"S": f"DOCCOUNT#12#{PATIENT_NUMBER}"}, "SK": {"S": sort_key}},
            "UpdateExpression": "SET entity = :entity ADD documents :delta",
            "ExpressionAttributeValues": {":entity": {"S": entity}, ":delta": {"N": "-1"}},
        }
    }


# The patient's document counts, one down, in the delete's transaction: the total, and those of the UTC
# day and hour the document was created in (a_document: NOW, 2026-11-22T12:00:00Z).
COUNT_DOWN = [
    _count_down("COUNT", "document_count"),
    _count_down("D#2026-11-22", "document_day_count"),
    _count_down("H#2026-11-22T12", "document_hour_count"),
]


def tombstone(doc):
    """The deleted document's tombstone (door D answers 410 Gone for it), put in the delete's transaction."""
    item = {
        "PK": {"S": f"DOC#{doc.id}"},
        "SK": {"S": "DELETED"},
        "entity": {"S": "deleted_document"},
        "account_id": {"S": doc.account_id},
        "patient_id": {"N": str(doc.patient_id)},
        "deleted_at": ANY,
    }
    return {"Put": {"TableName": ANY, "Item": item}}


def forget(object_key):
    """The object's scan entry, removed in the delete's transaction."""
    return {"Delete": {"TableName": ANY, "Key": {"PK": {"S": f"SCAN#{object_key}"}, "SK": {"S": "SCAN"}}}}


@pytest.fixture
def stored(fakes):
    doc = a_document()
    fakes.documents.add(doc)
    fakes.objects.put_object(doc.object_key, b"%PDF-", "application/pdf", doc.name)
    return doc


def test_the_record_and_its_object_are_deleted(fakes, stored):
    delete_document(staff(), PATIENT_NUMBER, stored.id)
    assert fakes.documents.items == {}
    assert fakes.objects.deleted == [stored.object_key]
    # With the object's claim, one off the patient's document counts and the object's scan entry, and nothing
    # else (not a photo of a request)
    assert fakes.documents.deleted_with == [
        (stored.id, stored.object_key, [*COUNT_DOWN, forget(stored.object_key), tombstone(stored)])
    ]


def test_a_patients_photo_leaves_its_request_with_its_document(fakes):
    # Given the document of a photo a patient sent for file request R, file F
    request_id, file_id = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"
    key = f"file-requests/12/{request_id}/{file_id}.jpg"
    doc = a_document(object_key=key, file_request_id=request_id, source="file_request")
    fakes.documents.add(doc)
    # When it is deleted
    delete_document(staff(), PATIENT_NUMBER, doc.id)
    # Then the same transaction removes the request's file item
    ((_, _, also),) = fakes.documents.deleted_with
    assert also == [
        *COUNT_DOWN,
        {"Delete": {"TableName": ANY, "Key": {"PK": {"S": f"FILEREQ#{request_id}"}, "SK": {"S": f"FILE#{file_id}"}}}},
        forget(key),
        tombstone(doc),
    ]


def test_a_patient_deletes_a_document_it_added_itself(fakes):
    # Given a document the patient added
    doc = a_document(author_role="patient", author_subject="patient-sub-1")
    fakes.documents.add(doc)
    fakes.objects.put_object(doc.object_key, b"%PDF-", "application/pdf", doc.name)
    # When the patient deletes it, Then the record and its object go
    delete_document(patient(), PATIENT_NUMBER, doc.id)
    assert fakes.documents.items == {}
    assert fakes.objects.deleted == [doc.object_key]


def test_a_patient_may_not_delete_what_staff_added_and_both_stay(fakes, stored):
    with pytest.raises(Forbidden, match="staff added this one"):
        delete_document(patient(), PATIENT_NUMBER, stored.id)
    assert fakes.documents.items == {stored.id: stored}
    assert fakes.objects.deleted == []


@pytest.mark.parametrize(
    ("caller", "patient_id"),
    [
        (staff(account="13"), PATIENT_NUMBER),
        (patient(number=PATIENT_NUMBER + 1), PATIENT_NUMBER + 1),
        (staff(), PATIENT_NUMBER + 1),
    ],
    ids=["staff of another account", "another patient's token", "the document under another patient's path"],
)
def test_a_document_outside_the_callers_reach_is_not_found_and_both_stay(fakes, stored, caller, patient_id):
    with pytest.raises(NotFound):
        delete_document(caller, patient_id, stored.id)
    assert fakes.documents.items == {stored.id: stored}
    assert fakes.objects.deleted == []


def test_a_patient_token_is_refused_another_patients_path_before_any_write(fakes, stored, monkeypatch):
    monkeypatch.setattr(documents_table, "delete_document", fail_if_called)
    with pytest.raises(NotFound):
        delete_document(patient(number=1), PATIENT_NUMBER, stored.id)


def test_when_the_object_cannot_be_deleted_the_record_stays_for_a_retry(fakes, stored, monkeypatch):
    # Given S3 fails the delete
    def s3_down(key):
        raise client_error("InternalError", "DeleteObject")

    monkeypatch.setattr(object_store, "delete_object", s3_down)
    # When the document is deleted
    with pytest.raises(Exception, match="InternalError"):
        delete_document(staff(), PATIENT_NUMBER, stored.id)
    # Then nothing changed: the record is there to delete again, no deletion recorded
    assert fakes.documents.items == {stored.id: stored}
    assert fakes.audit == []


def test_dynamodb_refusing_the_ownership_condition_is_not_found(fakes, stored, stub, monkeypatch):
    # Given a document that reads as the caller's, and DynamoDB then refuses the conditional delete
    # (deleted in the meantime)
    # (deleted in the meantime): the transaction of the delete and its audit event is cancelled
    monkeypatch.setattr(documents_table, "delete_document", REAL_DELETE)
    delete = {
        "TableName": ANY,
        "Key": {"PK": {"S": "DOC#1001"}, "SK": {"S": "DOC"}},
        "ConditionExpression": ANY,
        "ExpressionAttributeValues": {":account": {"S": "12"}, ":patient": {"N": str(PATIENT_NUMBER)}},
    }
    stub("dynamodb").add_client_error(
        "transact_write_items",
        "TransactionCanceledException",
        modeled_fields=cancelled("ConditionalCheckFailed", *["None"] * 7),
        expected_params={
            "TransactItems": [{"Delete": delete}, ANY, *COUNT_DOWN, forget(stored.object_key), tombstone(stored), ANY]
        },
    )
    # When staff delete it
    with pytest.raises(NotFound):
        delete_document(staff(), PATIENT_NUMBER, 1001)
    # Then no deletion is recorded (its object went first, as a retry's would: the document is gone anyway)
    assert fakes.audit == []


def test_a_throttled_delete_is_an_error_not_a_missing_document(fakes, stored, stub, monkeypatch):
    monkeypatch.setattr(documents_table, "delete_document", REAL_DELETE)
    stub("dynamodb").add_client_error("transact_write_items", "ProvisionedThroughputExceededException")
    # A 503 (retry): no record was deleted, nor an event written; the object went first, and a retry
    # deletes it again (S3 deletes are idempotent) before the records
    with pytest.raises(AuditUnavailable):
        delete_document(staff(), PATIENT_NUMBER, 1001)
    assert fakes.objects.deleted == [stored.object_key]
    assert fakes.audit == []


def fail_if_called(*args, **kwargs):
    raise AssertionError("not expected to be called")
