"""Door A delete: the record goes, then the object (the versioned bucket keeps history)."""

from __future__ import annotations

from patient_docs.adapters import documents_table, object_store
from patient_docs.auth import Caller


def delete_document(caller: Caller, patient_id: int, document_id: int) -> None:
    caller.require_patient(caller.account_id, patient_id)
    doc = documents_table.delete_document(document_id, caller.account_id, patient_id)
    object_store.delete_object(doc.object_key)
