"""Door D reads a deleted document as FHIR says: 410 Gone (an OperationOutcome, code ``deleted``), to those
who could have read it; 404 to everyone else, and for an id that never was."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_fhir import PATIENT, PATIENT_TOKEN, fhir_get, scanned_clean
from tests.utils import STAFF_12, STAFF_13, b64, call, pdf_bytes

DOCS = f"/api/v2/patients/{PATIENT}/documents"


def _created_then_deleted(api: Any, aws: Any) -> int:
    doc = {"document_name": "a.pdf", "data": b64(pdf_bytes()), "mime_type": "application/pdf"}
    created = call(api, "POST", DOCS, {"doc": {**doc, "record_type": "Patient Record"}}, STAFF_12)
    assert created.status == 201, created.body
    document_id = created.json["doc"]["id"]
    scanned_clean(aws, document_id)
    assert fhir_get(api, f"DocumentReference/{document_id}").status == 200
    assert call(api, "DELETE", f"{DOCS}/{document_id}", None, STAFF_12).status in (200, 204)
    return int(document_id)


@pytest.mark.parametrize("path", ["DocumentReference/{id}", "Binary/{id}"])
def test_a_deleted_document_is_410_gone_on_door_d(api, aws, path):
    # Given a document that was read, then deleted through door A
    document_id = _created_then_deleted(api, aws)
    # When door D reads it, as staff of its account and as its patient
    for caller in (STAFF_12, PATIENT_TOKEN):
        reply = fhir_get(api, path.format(id=document_id), caller)
        # Then it is gone, in FHIR's words
        assert reply.status == 410, reply.body
        assert reply.json["resourceType"] == "OperationOutcome"
        assert reply.json["issue"][0]["code"] == "deleted"
    # And nothing of the document is left but its tombstone
    left = [item for item in aws.all_items() if str(document_id) in str(item.get("PK"))]
    assert [item["SK"] for item in left] == [{"S": "DELETED"}], left
    assert set(left[0]) == {"PK", "SK", "entity", "account_id", "patient_id", "deleted_at"}


@pytest.mark.parametrize("path", ["DocumentReference/{id}", "Binary/{id}"])
def test_a_deleted_document_is_404_to_those_who_could_not_read_it_and_for_ids_that_never_were(api, aws, path):
    document_id = _created_then_deleted(api, aws)
    other_patient = {"role": "patient", "account": "12", "patient": PATIENT + 1}
    for caller in (STAFF_13, other_patient):
        assert fhir_get(api, path.format(id=document_id), caller).status == 404
    assert fhir_get(api, path.format(id=document_id + 1), STAFF_12).status == 404


def test_doors_a_and_b_still_answer_404_for_a_deleted_document(api, aws):
    document_id = _created_then_deleted(api, aws)
    assert call(api, "GET", f"{DOCS}/{document_id}", None, STAFF_12).status == 404
    update = call(api, "POST", f"/apis/v1/patient-document/{document_id}", {"notes": "x"}, STAFF_12)
    assert update.status == 404, update.body
