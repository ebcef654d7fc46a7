"""Door A delete: the object goes, then its records, so that a failure half-way can be retried.

The object first, and an image's renditions (those on the document, and those its object's scan entry
holds but the document does not yet: made while it is deleted; the versioned bucket keeps its history):
when S3 fails, nothing has changed. Then, in one transaction with its audit event, the document, its object's claim,
its patient's document counts (the total, its day's and its hour's), its object's scan entry and, for
a patient's photo, the file its request lists: no record is left pointing at the deleted object; a
tombstone (whose it was, when) is left instead, for door D's 410. A
failure of that transaction leaves the document in place for the retry, which deletes the object
again (S3 deletes are idempotent) and finishes.
"""

from __future__ import annotations

from patient_docs.adapters import documents_table, file_requests_table, object_store, scan_results_table
from patient_docs.adapters.table import Item
from patient_docs.auth import Caller
from patient_docs.logic import audit_trail, clean_images
from patient_docs.logic.read_documents import get_document
from patient_docs.models.audit import Target
from patient_docs.models.documents import Document
from patient_docs.permissions import Action
from patient_docs.rules.images import is_image
from patient_docs.rules.patient_page import parse_request_file_key
from patient_docs.rules.timestamps import utc_now


def _request_file_of(doc: Document) -> list[Item]:
    """A patient's photo is a file of its request too: it leaves the request with its document."""
    photo = parse_request_file_key(doc.object_key) if doc.file_request_id else None
    return [file_requests_table.delete_file_write(photo.file_request_id, photo.file_id)] if photo else []


def _renditions_of(doc: Document) -> list[str]:
    """An image's renditions: those on the document, and those kept under its object but not yet on the
    document (made while it is deleted). Read after the object is deleted: renditions kept later are
    deleted by the image processor, which looks for the object after keeping them."""
    if not is_image(doc.mime_type):
        return []
    entry = scan_results_table.get_entry(doc.object_key)
    kept = clean_images.image_keys(entry.image) if entry is not None and entry.image is not None else []
    return sorted({*clean_images.rendition_keys(doc), *kept})


def delete_document(caller: Caller, patient_id: int, document_id: int) -> None:
    # Read first: whether the caller may delete depends on who added the document.
    doc = get_document(caller, document_id, patient_id, Action.DELETE_DOCUMENT)
    event = audit_trail.pending(
        "document.deleted", audit_trail.actor_of(caller), Target(patient_id=patient_id, document_id=document_id)
    )
    object_store.delete_object(doc.object_key)
    for key in _renditions_of(doc):  # an image's clean copy, thumbnail and preview
        object_store.delete_object(key)
    also = [
        *documents_table.count_changes(doc.account_id, doc.patient_id, doc.created_at, -1),
        *_request_file_of(doc),
        scan_results_table.forget_write(doc.object_key),  # its scan result and renditions' entry
        documents_table.tombstone_write(doc, utc_now()),  # door D answers 410 Gone for it from now on
    ]
    documents_table.delete_document(document_id, caller.account_id, patient_id, doc.object_key, event, also)
