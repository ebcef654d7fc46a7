"""Recording a new document: a fresh id for every attempt, no counter, and no orphaned upload on failure."""

from __future__ import annotations

import pytest

from patient_docs.adapters import object_store
from patient_docs.errors import AuditUnavailable
from patient_docs.logic import audit_trail, new_document
from patient_docs.logic.new_document import record_new_document
from tests.unit.doubles import ANY_TRANSACTION, a_document, cancelled, client_error, expect_audit_tail, staff

pytestmark = pytest.mark.usefixtures("no_network")

UPLOADED = "accounts/12/patients/1172416/documents/" + "b" * 32 + ".png"
ACTOR = audit_trail.actor_of(staff())


def builder(built):
    """``build(id)`` as the use cases pass it, remembering every id it was given."""

    def build(document_id):
        built.append(document_id)
        return a_document(id=document_id)

    return build


def test_the_document_is_written_under_the_id_it_was_built_with(fakes):
    built = []
    doc = record_new_document(builder(built), ACTOR)
    assert [doc.id] == built == fakes.documents.put_attempts
    assert fakes.documents.items[doc.id] == doc
    # And its creation is recorded with it, by the actor, naming the patient and the document
    (event,) = fakes.audit
    assert (event["action"], event["actor_sub"]) == ("document.created", "staff-sub-1")
    assert (event["patient_id"], event["document_id"]) == (doc.patient_id, doc.id)


def test_an_id_already_taken_is_drawn_again_and_the_document_rebuilt(fakes, monkeypatch):
    # Given the first id drawn clashes with a stored document (two ids in one millisecond)
    ids = iter([7, 7, 8])
    monkeypatch.setattr(new_document, "new_document_id", lambda: next(ids))
    fakes.documents.add(a_document(id=7))
    built = []
    # When a new document is recorded
    doc = record_new_document(builder(built), ACTOR, uploaded_key=UPLOADED)
    # Then it is rebuilt with a fresh id until one is free, and the upload is kept
    assert built == [7, 7, 8]
    assert doc.id == 8
    assert fakes.objects.deleted == []


def test_after_five_clashes_it_gives_up_and_removes_the_object_just_uploaded(fakes, monkeypatch):
    # Given every id drawn is taken
    monkeypatch.setattr(new_document, "new_document_id", lambda: 7)
    fakes.documents.taken.add(7)
    # When a new document is recorded
    with pytest.raises(RuntimeError, match="document id"):
        record_new_document(builder([]), ACTOR, uploaded_key=UPLOADED)
    # Then five writes were tried and the uploaded object is gone
    assert fakes.documents.put_attempts == [7] * 5
    assert fakes.objects.deleted == [UPLOADED]


def test_any_failure_of_the_write_removes_the_object_and_is_raised_as_is(fakes):
    fakes.documents.failure = client_error("ProvisionedThroughputExceededException", "PutItem")
    with pytest.raises(Exception, match="ProvisionedThroughputExceeded"):
        record_new_document(builder([]), ACTOR, uploaded_key=UPLOADED)
    assert fakes.objects.deleted == [UPLOADED]
    assert fakes.documents.items == {}


def test_a_failure_to_build_the_record_also_removes_the_object(fakes):
    def broken(document_id):
        raise ValueError("bad record")

    with pytest.raises(ValueError, match="bad record"):
        record_new_document(broken, ACTOR, uploaded_key=UPLOADED)
    assert fakes.objects.deleted == [UPLOADED]


def test_without_an_uploaded_object_nothing_is_deleted_on_failure(fakes):
    fakes.documents.failure = client_error("InternalServerError", "PutItem")
    with pytest.raises(Exception, match="InternalServerError"):
        record_new_document(builder([]), ACTOR)
    assert fakes.objects.deleted == []


# ------------------------------------------------------------------ through the real adapter (Stubber)


def test_dynamodb_refusing_the_condition_is_a_clash_and_the_next_id_is_written(stub, monkeypatch):
    # Given DynamoDB cancels the first transaction (the document's id is taken), and takes the second
    dynamodb = stub("dynamodb")
    expect_audit_tail(dynamodb)
    dynamodb.add_client_error(
        "transact_write_items",
        "TransactionCanceledException",
        modeled_fields=cancelled("ConditionalCheckFailed", "None"),
        expected_params=ANY_TRANSACTION,
    )
    expect_audit_tail(dynamodb)
    dynamodb.add_response("transact_write_items", {}, expected_params=ANY_TRANSACTION)
    dynamodb.add_response("get_item", {})  # then its file's scan entry: no result has come yet
    ids = iter([7, 8])
    monkeypatch.setattr(new_document, "new_document_id", lambda: next(ids))
    deleted = []
    monkeypatch.setattr(object_store, "delete_object", deleted.append)
    # When a new document is recorded
    doc = record_new_document(builder([]), ACTOR, uploaded_key=UPLOADED)
    # Then the second id is the document's, and the upload stays
    assert doc.id == 8
    assert deleted == []


def test_dynamodb_throttling_is_not_a_clash_it_fails_and_the_upload_is_removed(stub, monkeypatch):
    # Given DynamoDB throttles the transaction (the record and its audit event)
    dynamodb = stub("dynamodb")
    expect_audit_tail(dynamodb)
    dynamodb.add_client_error(
        "transact_write_items", "ProvisionedThroughputExceededException", expected_params=ANY_TRANSACTION
    )
    deleted = []
    monkeypatch.setattr(object_store, "delete_object", deleted.append)
    # When a new document is recorded: no second id is tried (one stubbed answer only)
    with pytest.raises(AuditUnavailable):
        record_new_document(builder([]), ACTOR, uploaded_key=UPLOADED)
    # Then nothing was stored (a 503: retry), and the object just uploaded is removed
    assert deleted == [UPLOADED]
