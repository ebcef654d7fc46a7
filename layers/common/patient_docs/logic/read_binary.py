"""Door D Binary: a document's bytes, by redirect to a short-lived download URL or, when small, inline.

Either way as every other download: the caller may download the document (permissions), the file
may be served (the malware gate, ``file_safety.require_servable``), and its ``document.downloaded`` event is
stored before any byte or URL is handed out (the audit trail fails closed).
"""

from __future__ import annotations

from dataclasses import dataclass

from patient_docs.adapters import object_store
from patient_docs.auth import Caller
from patient_docs.errors import NotFound
from patient_docs.logic import audit_trail, clean_images, file_safety
from patient_docs.logic.read_documents import download_link, get_document, missing_document
from patient_docs.models.audit import Target
from patient_docs.models.documents import Document
from patient_docs.permissions import Action
from patient_docs.settings import MiB

# Largest file answered inline as a Binary resource: base64 in JSON grows it by a third, and a
# client asking for JSON wants a resource it can hold, not megabytes. Larger files are redirected.
INLINE_BINARY_MAX_BYTES = 1 * MiB


@dataclass(frozen=True)
class BinaryContent:
    document: Document
    content: bytes | None = None  # the file, when answered inline
    url: str | None = None  # else where to fetch it (a presigned GET, short-lived)


def read_binary(caller: Caller, document_id: int, inline: bool) -> BinaryContent:
    """The file of a document the caller may download: its bytes when ``inline`` and small enough, else a URL."""
    try:
        doc = get_document(caller, document_id, action=Action.DOWNLOAD_DOCUMENT)
    except NotFound:
        raise missing_document(caller, document_id) from None  # 410 for a deleted one
    if inline:
        doc = file_safety.require_servable(doc)  # settled first: an image's clean copy has a size of its own
    size = doc.served_content().size_bytes
    if inline and size is not None and size <= INLINE_BINARY_MAX_BYTES:
        target = Target(patient_id=doc.patient_id, document_id=doc.id)
        audit_trail.record("document.downloaded", audit_trail.actor_of(caller), target)
        served = clean_images.served_file(doc)  # an image's clean rendition, never its original
        if served.key == doc.object_key:
            found = object_store.read_head(served.key, max(size, 1))
        else:
            found = object_store.read_object(served.key)
        if found is None:  # the record outlived its object (deleted in the meantime)
            raise NotFound("document")
        return BinaryContent(doc, content=found[1])
    doc, url, _ = download_link(caller, doc)  # the same gate and event, then a presigned URL
    return BinaryContent(doc, url=url)
