"""Door A delete: the record goes, then the object (the versioned bucket keeps history)."""

from __future__ import annotations

from patient_docs.adapters import documents_table, object_store
from patient_docs.auth import Caller
from patient_docs.logic import audit_trail
from patient_docs.logic.read_documents import get_document
from patient_docs.models.audit import Target
from patient_docs.permissions import Action


def delete_document(caller: Caller, patient_id: int, document_id: int) -> None:
    # Read first: whether the caller may delete depends on who added the document.
    doc = get_document(caller, document_id, patient_id, Action.DELETE_DOCUMENT)
    event = audit_trail.pending(
        "document.deleted", audit_trail.actor_of(caller), Target(patient_id=patient_id, document_id=document_id)
    )
    documents_table.delete_document(document_id, caller.account_id, patient_id, event)
    object_store.delete_object(doc.object_key)
