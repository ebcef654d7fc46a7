"""Door B partial update: fields sent change, null clears, omitted fields keep their value."""

from __future__ import annotations

import pytest
from botocore.stub import ANY

from patient_docs.adapters import documents_table
from patient_docs.errors import AuditUnavailable, Forbidden, InvalidField, NotFound
from patient_docs.logic.update_document import update_document
from patient_docs.schemas.patient_documents import UpdateDocumentRequest
from tests.unit.doubles import NOW, PATIENT_NUMBER, a_document, cancelled, patient, staff

pytestmark = pytest.mark.usefixtures("no_network", "fixed_now")

REAL_UPDATE = documents_table.update_document


@pytest.fixture
def stored(fakes):
    doc = a_document(
        notes="first visit", eligible_visit_count=3, document_category="INSURANCE", updated_at=NOW.replace(year=2025)
    )
    fakes.documents.add(doc)
    return doc


def update(body, caller=None, document_id=1001):
    return update_document(caller or staff(), document_id, UpdateDocumentRequest.model_validate(body))


def test_fields_sent_change_and_the_rest_keep_their_values(fakes, stored):
    updated = update({"notes": "second visit", "signature_status": "COMPLETED"})
    assert (updated.notes, updated.signature_status) == ("second visit", "COMPLETED")
    assert (updated.name, updated.document_category, updated.eligible_visit_count) == (stored.name, "INSURANCE", 3)
    assert updated.updated_at == NOW
    assert fakes.documents.updates == [
        (1001, "12", PATIENT_NUMBER, {"notes": "second visit", "signature_status": "COMPLETED"})
    ]


def test_null_clears_a_field(fakes, stored):
    assert update({"notes": None}).notes is None


def test_a_null_visit_count_is_zero_not_absent(fakes, stored):
    assert update({"eligible_visit_count": None}).eligible_visit_count == 0


def test_the_name_may_change_but_never_be_cleared(fakes, stored):
    assert update({"name": "Renamed"}).name == "Renamed"
    with pytest.raises(InvalidField) as caught:
        update({"name": None, "notes": "x"})
    assert caught.value.field == "name"
    assert len(fakes.documents.updates) == 1
    assert fakes.documents.items[1001].notes == "first visit"


def test_an_empty_update_writes_nothing_and_answers_the_document(fakes, stored):
    assert update({}) == stored
    assert fakes.documents.updates == []


@pytest.mark.parametrize("body", [{}, {"notes": "x"}], ids=["empty update", "update"])
@pytest.mark.parametrize(
    "caller", [staff(account="13"), patient(number=PATIENT_NUMBER + 1)], ids=["other account", "another patient"]
)
def test_a_document_outside_the_callers_reach_is_not_found_whether_or_not_anything_changes(fakes, stored, caller, body):
    with pytest.raises(NotFound):
        update(body, caller)
    assert fakes.documents.items[1001] == stored


def test_a_patient_token_updates_a_document_it_added_within_its_own_patient(fakes):
    fakes.documents.add(a_document(id=1002, author_role="patient"))
    update({"notes": "from the app"}, patient(), document_id=1002)
    assert fakes.documents.updates[0][2] == PATIENT_NUMBER


def test_a_patient_token_may_not_change_what_staff_added(fakes, stored):
    with pytest.raises(Forbidden, match="staff added this one"):
        update({"notes": "from the app"}, patient())
    assert fakes.documents.updates == []


@pytest.mark.parametrize("field", ["signature_status", "signed_by", "signed_at"])
def test_a_patient_token_never_sets_a_signature_field_even_on_its_own_document(fakes, field):
    # Given a document the patient added
    fakes.documents.add(a_document(id=1002, author_role="patient"))
    # When it sets a signature field (null included), Then it is refused naming the field, nothing written
    with pytest.raises(Forbidden) as caught:
        update({"notes": "x", field: None}, patient(), document_id=1002)
    assert caught.value.field == field
    assert fakes.documents.updates == []


def test_dynamodb_refusing_the_ownership_condition_is_not_found(fakes, stored, stub, monkeypatch):
    monkeypatch.setattr(documents_table, "update_document", REAL_UPDATE)
    update_item = {
        "TableName": ANY,
        "Key": {"PK": {"S": "DOC#1001"}, "SK": {"S": "DOC"}},
        "UpdateExpression": ANY,
        "ConditionExpression": ANY,
        "ExpressionAttributeNames": ANY,
        "ExpressionAttributeValues": ANY,
    }
    stub("dynamodb").add_client_error(
        "transact_write_items",
        "TransactionCanceledException",
        modeled_fields=cancelled("ConditionalCheckFailed", "None"),
        expected_params={"TransactItems": [{"Update": update_item}, ANY]},
    )
    with pytest.raises(NotFound):
        update({"notes": "x"})
    assert fakes.audit == []


def test_a_throttled_update_is_an_error_not_a_missing_document(fakes, stored, stub, monkeypatch):
    monkeypatch.setattr(documents_table, "update_document", REAL_UPDATE)
    stub("dynamodb").add_client_error("transact_write_items", "ProvisionedThroughputExceededException")
    with pytest.raises(AuditUnavailable):  # a 503: nothing written, retry
        update({"notes": "x"})
