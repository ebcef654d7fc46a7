"""Recording a new document: id allocation without a counter, and cleanup on failure."""

from __future__ import annotations

from collections.abc import Callable

from patient_docs.adapters import documents_table, object_store
from patient_docs.errors import DocumentIdTaken
from patient_docs.models.documents import Document
from patient_docs.rules.ids import new_document_id

_ID_ATTEMPTS = 5


def record_new_document(build: Callable[[int], Document], uploaded_key: str | None = None) -> Document:
    """Write ``build(id)`` under a fresh id; on failure remove the object just uploaded."""
    try:
        for _ in range(_ID_ATTEMPTS):
            doc = build(new_document_id())
            try:
                documents_table.put_document(doc)
            except DocumentIdTaken:
                continue
            return doc
        raise RuntimeError("could not allocate a document id")
    except Exception:
        if uploaded_key:
            object_store.delete_object(uploaded_key)
        raise
