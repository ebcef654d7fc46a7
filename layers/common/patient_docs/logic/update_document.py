"""Door B partial update: fields sent change (null clears), fields omitted keep their value."""

from __future__ import annotations

from patient_docs.adapters import documents_table
from patient_docs.auth import Caller
from patient_docs.errors import InvalidField
from patient_docs.logic import audit_trail
from patient_docs.logic.read_documents import get_document
from patient_docs.models.audit import Target
from patient_docs.models.documents import Document
from patient_docs.permissions import Action, document_target, require, signature_field
from patient_docs.rules.timestamps import utc_now
from patient_docs.schemas.patient_documents import UpdateDocumentRequest


def update_document(caller: Caller, document_id: int, request: UpdateDocumentRequest) -> Document:
    changes = {name: getattr(request, name) for name in request.model_fields_set}
    if "name" in changes and changes["name"] is None:
        raise InvalidField("name", "must not be null")
    if "eligible_visit_count" in changes and changes["eligible_visit_count"] is None:
        changes["eligible_visit_count"] = 0
    actor = audit_trail.actor_of(caller)
    if not changes:
        doc = get_document(caller, document_id)
        audit_trail.record("document.read", actor, Target(patient_id=doc.patient_id, document_id=doc.id))
        return doc
    # Read first: whether the caller may change it depends on who added it.
    doc = get_document(caller, document_id, action=Action.UPDATE_DOCUMENT)
    signing = signature_field(changes)
    if signing is not None:
        require(caller, Action.SIGN_DOCUMENT, document_target(doc), signing)
    event = audit_trail.pending("document.updated", actor, Target(patient_id=doc.patient_id, document_id=doc.id))
    return documents_table.update_document(document_id, doc.account_id, doc.patient_id, changes, utc_now(), event)
