"""Door A delete: the caller's document record goes first, then its object."""

from __future__ import annotations

import pytest
from botocore.stub import ANY

from patient_docs.adapters import documents_table, object_store
from patient_docs.errors import AuditUnavailable, Forbidden, NotFound
from patient_docs.logic.delete_document import delete_document
from tests.unit.doubles import PATIENT_NUMBER, a_document, cancelled, client_error, patient, staff

pytestmark = pytest.mark.usefixtures("no_network")

REAL_DELETE = documents_table.delete_document


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


def test_when_the_object_cannot_be_deleted_the_record_is_already_gone(fakes, stored, monkeypatch):
    # Given S3 fails the delete
    def s3_down(key):
        raise client_error("InternalError", "DeleteObject")

    monkeypatch.setattr(object_store, "delete_object", s3_down)
    # When the document is deleted
    with pytest.raises(Exception, match="InternalError"):
        delete_document(staff(), PATIENT_NUMBER, stored.id)
    # Then the record is gone (the object is left, unreferenced, in the versioned bucket)
    assert fakes.documents.items == {}


def test_dynamodb_refusing_the_ownership_condition_is_not_found_and_s3_untouched(fakes, stored, stub, monkeypatch):
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
        modeled_fields=cancelled("ConditionalCheckFailed", "None"),
        expected_params={"TransactItems": [{"Delete": delete}, ANY]},
    )
    # When staff delete it
    with pytest.raises(NotFound):
        delete_document(staff(), PATIENT_NUMBER, 1001)
    # Then no object is deleted, and no deletion recorded
    assert fakes.objects.deleted == []
    assert fakes.audit == []


def test_a_throttled_delete_is_an_error_not_a_missing_document(fakes, stored, stub, monkeypatch):
    monkeypatch.setattr(documents_table, "delete_document", REAL_DELETE)
    stub("dynamodb").add_client_error("transact_write_items", "ProvisionedThroughputExceededException")
    # A 503 (retry): nothing was written, the document nor its event
    with pytest.raises(AuditUnavailable):
        delete_document(staff(), PATIENT_NUMBER, 1001)
    assert fakes.objects.deleted == []


def fail_if_called(*args, **kwargs):
    raise AssertionError("not expected to be called")
