"""Recording a new document: id allocation without a counter, its audit event, and cleanup on failure."""

from __future__ import annotations

from collections.abc import Callable

from patient_docs.adapters import documents_table, object_store
from patient_docs.errors import DocumentIdTaken
from patient_docs.logic import audit_trail, file_safety, webhooks
from patient_docs.models.audit import Actor, Target
from patient_docs.models.documents import Document
from patient_docs.rules.ids import new_document_id

_ID_ATTEMPTS = 5


def record_new_document(build: Callable[[int], Document], actor: Actor, uploaded_key: str | None = None) -> Document:
    """Write ``build(id)`` under a fresh id with its ``document.created`` event by ``actor``; on failure
    remove the object just uploaded."""
    try:
        for _ in range(_ID_ATTEMPTS):
            doc = build(new_document_id()).model_copy(update={"scan_status": file_safety.initial_status()})
            target = Target(patient_id=doc.patient_id, document_id=doc.id)
            links = file_safety.link_writes(doc.object_key, doc.id, doc.patient_id)
            try:
                documents_table.put_document(doc, audit_trail.pending("document.created", actor, target), links)
            except DocumentIdTaken:
                continue
            break
        else:
            raise RuntimeError("could not allocate a document id")
    except Exception:
        if uploaded_key:
            object_store.delete_object(uploaded_key)
        raise
    webhooks.announce("document.created", doc.account_id, {"document_id": doc.id, "patient_id": doc.patient_id})
    # Its file's malware scan may have finished already (a door B upload is saved later).
    return file_safety.settled(doc)
