"""Serving clean images: an image document's file is its clean rendition, never the original.

An image document (rules/images.py) is served only once the image processor has made its clean
image (logic/process_image.py): until then a download is ``ImageNotProcessed`` (409 with Retry-After,
like a file still being scanned), and an image that could not be decoded is ``ImageWithheld``. Its
thumbnail and preview go with it as short-lived URLs. The processor's result reaches the document
the way a scan result does: kept under the object's key first, applied to the document by whichever
of the two (the result, the document's record) comes second (``settle_image``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from patient_docs.adapters import documents_table, object_store, scan_results_table
from patient_docs.errors import ImageNotProcessed, ImageWithheld
from patient_docs.logic import audit_trail
from patient_docs.models.audit import Outcome, Target
from patient_docs.models.documents import Document, ImageRenditions
from patient_docs.rules.images import EXTENSION, is_image, served_name
from patient_docs.rules.scanning import RETRY_AFTER_SECONDS, object_ids
from patient_docs.rules.timestamps import utc_now

# The audit trail's name for the image processor, whichever function applies its result.
ACTOR = "image-processing"


@dataclass(frozen=True)
class ServedFile:
    key: str
    mime_type: str
    file_name: str


def awaits_image(doc: Document) -> bool:
    """An image document whose renditions have not reached it yet."""
    return doc.image is None and is_image(doc.mime_type)


def apply_image(
    object_key: str, document_id: int, patient_id: int, image: ImageRenditions, at: datetime | None = None
) -> bool:
    """Put the renditions on the document (once, with its audit event), a clean image's as updated ``at``
    (default: now): whether this call did."""
    ids = object_ids(object_key)
    account_id = ids.account_id if ids is not None else ""
    target = Target(
        patient_id=patient_id,
        document_id=document_id,
        file_request_id=ids.file_request_id if ids else None,
        file_id=ids.file_id if ids else None,
    )
    outcome: Outcome = "success" if image.status == "clean" else "failure"
    actor = audit_trail.system_actor(account_id, ACTOR)
    event = audit_trail.pending("file.image_processed", actor, target, outcome)
    return documents_table.set_image(document_id, image, event, at or utc_now())


def settle_image(doc: Document) -> Document:
    """The document with its renditions, if the processor's result reached the object's entry first."""
    if not awaits_image(doc):
        return doc
    entry = scan_results_table.get_entry(doc.object_key)
    if entry is None or entry.image is None:
        return doc
    now = utc_now()
    applied = apply_image(doc.object_key, doc.id, doc.patient_id, entry.image, now)
    update: dict[str, object] = {"image": entry.image}
    if entry.image.status == "clean" and entry.image.mime_type is not None:
        update.update(mime_type=entry.image.mime_type, extension=EXTENSION[entry.image.mime_type], updated_at=now)
    settled = doc.model_copy(update=update)
    if not applied:
        # Applied meanwhile (the processor, another read): the document as that left it, if it is still there.
        return documents_table.get_document(doc.id) or settled
    return settled


def servable_image(doc: Document) -> bool:
    """Whether the document's file may be served as far as images go (not an image, or a clean one)."""
    return not is_image(doc.mime_type) or (doc.image is not None and doc.image.status == "clean")


def served_file(doc: Document, file_name: str | None = None) -> ServedFile:
    """What a download of the document serves: the clean image of an image, else the file itself."""
    name = file_name or doc.original_file_name
    if doc.image is None:
        if is_image(doc.mime_type):
            raise ImageNotProcessed(RETRY_AFTER_SECONDS)
        return ServedFile(doc.object_key, doc.mime_type, name)
    if doc.image.status != "clean" or doc.image.clean_key is None or doc.image.mime_type is None:
        raise ImageWithheld()
    return ServedFile(doc.image.clean_key, doc.image.mime_type, served_name(name, doc.image.mime_type))


def view_urls(doc: Document) -> tuple[str | None, str | None]:
    """Short-lived URLs of a clean image's thumbnail and preview (None, None for anything else)."""
    image = doc.image
    if image is None or image.status != "clean" or image.thumbnail_key is None or image.preview_key is None:
        return None, None
    return (
        object_store.presign_view(image.thumbnail_key, "image/jpeg"),
        object_store.presign_view(image.preview_key, "image/jpeg"),
    )


def thumbnail_key(doc: Document) -> str | None:
    """The key of a clean image's thumbnail (None for anything else, or an image not processed yet)."""
    image = doc.image
    if image is None or image.status != "clean":
        return None
    return image.thumbnail_key


def rendition_keys(doc: Document) -> list[str]:
    """The objects made from the document's file (removed with it)."""
    return image_keys(doc.image) if doc.image is not None else []


def image_keys(image: ImageRenditions) -> list[str]:
    """The objects of an image's renditions."""
    return [key for key in (image.clean_key, image.thumbnail_key, image.preview_key) if key is not None]
