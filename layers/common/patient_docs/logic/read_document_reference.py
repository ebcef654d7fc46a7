"""Door D read: one document's record (not its bytes), recorded in the audit trail as a read; 410 Gone once deleted."""

from __future__ import annotations

from patient_docs.auth import Caller
from patient_docs.errors import NotFound
from patient_docs.logic import audit_trail
from patient_docs.logic.read_documents import get_document, missing_document
from patient_docs.models.audit import Target
from patient_docs.models.documents import Document


def read_document_reference(caller: Caller, document_id: int) -> Document:
    try:
        doc = get_document(caller, document_id)
    except NotFound:
        raise missing_document(caller, document_id) from None  # 410 for a deleted one
    audit_trail.record(
        "document.read", audit_trail.actor_of(caller), Target(patient_id=doc.patient_id, document_id=doc.id)
    )
    return doc
