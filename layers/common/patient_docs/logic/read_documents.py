"""Reading documents the caller may see: one, a patient's list, a download link.

Listing and handing out a download link are recorded in the audit trail before anything is
returned (``get_document`` alone records nothing: the use cases that read through it do)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from patient_docs.adapters import documents_table, object_store
from patient_docs.adapters.table import INDEX_POSITION
from patient_docs.auth import Caller
from patient_docs.errors import Gone, InvalidField, NotFound
from patient_docs.logic import audit_trail, clean_images, file_safety
from patient_docs.models.audit import Target
from patient_docs.models.documents import Document
from patient_docs.permissions import Action, Decision, decide, document_target, patient_target, require
from patient_docs.rules.cursors import decode_cursor, encode_cursor
from patient_docs.rules.timestamps import utc_now
from patient_docs.settings import get_settings


def get_document(
    caller: Caller, document_id: int, patient_id: int | None = None, action: Action = Action.READ_DOCUMENT
) -> Document:
    """The document, if the caller may ``action`` it (door A names its patient in the path too)."""
    if patient_id is not None:
        require(caller, Action.READ_DOCUMENT, patient_target(caller.account_id, patient_id))
    doc = documents_table.get_document(document_id)
    if doc is None or (patient_id is not None and doc.patient_id != patient_id):
        raise NotFound("document")
    require(caller, Action.READ_DOCUMENT, document_target(doc))
    if action is not Action.READ_DOCUMENT:
        require(caller, action, document_target(doc))
    return doc


def missing_document(caller: Caller, document_id: int) -> NotFound | Gone:
    """What door D answers for a document it cannot read: 410 Gone when it was deleted and the caller could
    have read it (FHIR reads a deleted resource so); else 404, as for one that never was (or is another
    account's or patient's: the answer says nothing the caller could not see)."""
    deleted = documents_table.deleted_document(document_id)
    if deleted is not None and decide(caller, Action.READ_DOCUMENT, patient_target(*deleted)) is Decision.ALLOW:
        return Gone("document was deleted")
    return NotFound("document")


def list_documents(
    caller: Caller, patient_id: int, limit: int, cursor: str | None = None
) -> tuple[list[Document], str | None]:
    """A page of the patient's documents, newest first, and the cursor of the next page (None: last)."""
    require(caller, Action.LIST_DOCUMENTS, patient_target(caller.account_id, patient_id))
    after = None
    if cursor is not None:
        # A cursor only ever moves within the list it came from.
        partition = documents_table.patient_partition(caller.account_id, patient_id)
        try:
            after = decode_cursor(cursor, INDEX_POSITION, within=partition)
        except ValueError as exc:
            raise InvalidField("cursor", str(exc)) from exc
    docs, position = documents_table.list_patient_documents_page(caller.account_id, patient_id, limit, after)
    audit_trail.record("document.listed", audit_trail.actor_of(caller), Target(patient_id=patient_id))
    return docs, encode_cursor(position) if position else None


def download_link(caller: Caller, doc: Document) -> tuple[Document, str, datetime]:
    """The document as served (its scan result settled) with a short-lived URL of its file, and when
    that expires. Only a file whose malware scan allows it is served (logic/file_safety.py)."""
    require(caller, Action.DOWNLOAD_DOCUMENT, document_target(doc))
    doc = file_safety.require_servable(doc)
    # No URL unless its event is stored (AuditUnavailable, a 503, otherwise).
    target = Target(patient_id=doc.patient_id, document_id=doc.id)
    audit_trail.record("document.downloaded", audit_trail.actor_of(caller), target)
    served = clean_images.served_file(doc)  # an image's clean rendition, never its original
    url = object_store.presign_download(served.key, served.file_name, served.mime_type)
    return doc, url, utc_now() + timedelta(seconds=get_settings().download_ttl_seconds)


def thumbnail_urls(caller: Caller, docs: Sequence[Document]) -> dict[int, str]:
    """Door B's ``thumbnail_url`` where the client gave none: a short-lived URL of each image document's
    thumbnail, once its file may be served (its malware scan allows it) and its image is processed, to a
    caller who may download the document (the permissions table; one who may not gets none, no refusal).

    A thumbnail shows the patient's image, so each URL is a read, recorded as door A get and door C's files
    record theirs (``document.downloaded``): the events are stored, one transaction per patient, before any
    URL is signed (AuditUnavailable, a 503, otherwise). Documents are taken as read: no scan result is
    applied here (one not yet on the document means no thumbnail until the next read)."""
    shown = [
        doc
        for doc in docs
        if doc.thumbnail_url is None
        and file_safety.servable(doc)
        and clean_images.thumbnail_key(doc) is not None
        and decide(caller, Action.DOWNLOAD_DOCUMENT, document_target(doc)) is Decision.ALLOW
    ]
    if not shown:
        return {}
    actor = audit_trail.actor_of(caller)
    now = utc_now()
    for patient_id in sorted({doc.patient_id for doc in shown}):
        events = [
            audit_trail.pending("document.downloaded", actor, Target(patient_id=patient_id, document_id=doc.id), at=now)
            for doc in shown
            if doc.patient_id == patient_id
        ]
        audit_trail.record_all(events)
    urls: dict[int, str] = {}
    for doc in shown:
        key = clean_images.thumbnail_key(doc)
        if key is not None:
            urls[doc.id] = object_store.presign_view(key, "image/jpeg")
    return urls


def image_views(doc: Document) -> tuple[str | None, str | None]:
    """A served image's thumbnail and preview URLs (after ``download_link``, whose audit event covers them)."""
    return clean_images.view_urls(doc)
