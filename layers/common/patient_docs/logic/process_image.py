"""An image's malware scan let it be served: make its clean image, thumbnail and preview, once.

Triggered by the scan's result (GuardDuty, through EventBridge) rather than by the upload: renditions
are made only of bytes the scanner has passed, from every door alike (door A and B objects under
``accounts/``, patient page photos under ``file-requests/``), whether or not the object's record exists
yet. With scanning switched off, S3's own "Object Created" event starts it instead.

Each run: read the original, render it (logic/image_renditions.py), write the renditions under
``derived/`` carrying the original's verdict tag (the bucket policy serves nothing there without it),
tag the original superseded (the lifecycle rule removes it after ``ImageOriginalRetentionDays``), then
keep the result under the object's key and put it on the document if one is recorded
(logic/clean_images.py). The result records the clean image's type, size and SHA-1: what door D's
DocumentReference says of the bytes its Binary serves. An image that cannot be decoded (corrupt,
truncated, a decompression bomb) is moved to quarantine and recorded as refused; the consumer itself
never fails on it. A repeated event finds the result kept and changes nothing. Renditions made of an
object that is gone by then (deleted with its document while it was rendered) are deleted again, and
their entry, once no record names it, expires (``file_safety.expire_if_gone``).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Literal

from botocore.exceptions import ClientError

from patient_docs.adapters import object_store, scan_results_table
from patient_docs.logic import audit_trail, clean_images, file_safety, webhooks
from patient_docs.logic.image_renditions import ImageRefused, render
from patient_docs.models.audit import Target
from patient_docs.models.documents import ImageRenditions
from patient_docs.observability import logger
from patient_docs.rules.images import SUPERSEDED_TAG, SUPERSEDED_VALUE, derived_key, is_image
from patient_docs.rules.patient_page import quarantine_key
from patient_docs.rules.scanning import SCAN_TAG, ScanStatus, object_ids
from patient_docs.settings import get_settings

Outcome = Literal["processed", "refused", "unchanged", "ignored"]


@dataclass(frozen=True)
class StoredImage:
    bucket: str
    object_key: str
    # The scan's verdict (None: scanning is switched off) and GuardDuty's own word for it, which the
    # renditions carry as their tag.
    scan_status: ScanStatus | None = None
    scan_tag: str | None = None


def process_image(found: StoredImage) -> Outcome:
    """``processed``: renditions made; ``refused``: not decodable, quarantined; ``unchanged``: done
    before; ``ignored``: not an image of this service's, or a verdict that does not let it be served."""
    settings = get_settings()
    ids = object_ids(found.object_key)
    if found.bucket != settings.bucket_name or ids is None:
        return "ignored"
    if found.scan_status is None and settings.malware_scanning == "Enabled":
        return "ignored"  # an upload event: the scan's result starts processing
    if found.scan_status is not None and not file_safety.may_serve(found.scan_status):
        return "ignored"  # never served, so never rendered (an infected file goes to quarantine instead)
    entry = scan_results_table.get_entry(found.object_key)
    if entry is not None and entry.image is not None:
        _reach_document(found.object_key, entry)
        if entry.image.status == "refused" and object_store.head_object(found.object_key) is not None:
            _contain(found.object_key, entry, ids.account_id)  # an earlier run stopped before the move
        return "unchanged"
    stored = object_store.read_object(found.object_key)
    if stored is None or not is_image(stored[0].content_type):
        return "ignored"  # gone (deleted, quarantined), or not an image
    meta, data = stored
    try:
        rendered = render(data, meta.content_type)
    except ImageRefused as exc:
        logger.warning("image refused", extra={"reason": exc.reason})
        return _refuse(found.object_key, meta.content_type, ids.account_id)
    tags = {SCAN_TAG: found.scan_tag} if found.scan_tag else {}
    image = ImageRenditions(
        status="clean",
        original_mime_type=meta.content_type,
        mime_type=rendered.mime_type,
        clean_key=derived_key(found.object_key, "clean", rendered.mime_type),
        thumbnail_key=derived_key(found.object_key, "thumbnail"),
        preview_key=derived_key(found.object_key, "preview"),
        width=rendered.width,
        height=rendered.height,
        size_bytes=len(rendered.clean),
        sha1=base64.b64encode(hashlib.sha1(rendered.clean, usedforsecurity=False).digest()).decode(),
    )
    for key, body, content_type in (
        (image.clean_key, rendered.clean, rendered.mime_type),
        (image.thumbnail_key, rendered.thumbnail, "image/jpeg"),
        (image.preview_key, rendered.preview, "image/jpeg"),
    ):
        object_store.put_derived(str(key), body, content_type, tags)
    if not _supersede(found.object_key, image):
        return "ignored"
    _keep(found.object_key, image)
    logger.info("image processed", extra={"width": rendered.width, "height": rendered.height})
    return "processed"


def _keep(object_key: str, image: ImageRenditions) -> None:
    """Keep the renditions under the object's key and put them on its document, if one is recorded."""
    stored_entry = scan_results_table.store_image(object_key, image)
    _reach_document(object_key, stored_entry)
    if object_store.head_object(object_key) is None:
        # Looked at after the entry holds the renditions: a delete that removed the object later reads them there.
        _forget_renditions(image)
    file_safety.expire_if_gone(object_key, stored_entry)  # deleted while it was rendered


def _supersede(object_key: str, image: ImageRenditions) -> bool:
    """Tag the original superseded; False (its renditions deleted again) when it was deleted meanwhile."""
    try:
        object_store.add_tag(object_key, SUPERSEDED_TAG, SUPERSEDED_VALUE)
    except ClientError:
        if object_store.head_object(object_key) is not None:
            raise
        _forget_renditions(image)
        return False
    return True


def _forget_renditions(image: ImageRenditions) -> None:
    """The object was deleted (or moved to quarantine) while it was rendered: nothing made of it stays."""
    for key in clean_images.image_keys(image):
        object_store.delete_object(key)


def _refuse(object_key: str, mime_type: str, account_id: str) -> Outcome:
    """Record that an image cannot be decoded (so it is never served), then move it to quarantine."""
    refused = ImageRenditions(status="refused", original_mime_type=mime_type)
    entry = scan_results_table.store_image(object_key, refused)
    _reach_document(object_key, entry)
    _contain(object_key, entry, account_id)
    file_safety.expire_if_gone(object_key, entry)  # quarantined, with no record to name it
    return "refused"


def _contain(object_key: str, entry: scan_results_table.ScanEntry, account_id: str) -> None:
    ids = object_ids(object_key)
    target = Target(
        patient_id=entry.patient_id or (ids.patient_id if ids else None),
        document_id=entry.document_id,
        file_request_id=ids.file_request_id if ids else None,
        file_id=ids.file_id if ids else None,
    )
    # Recorded before the move: a move that fails is retried, and the event is already there.
    audit_trail.record("file.quarantined", audit_trail.system_actor(account_id, clean_images.ACTOR), target)
    webhooks.announce_quarantined(account_id, target, object_key)
    object_store.quarantine(object_key, quarantine_key(object_key))


def _reach_document(object_key: str, entry: scan_results_table.ScanEntry) -> None:
    if entry.image is not None and entry.document_id is not None and entry.patient_id is not None:
        clean_images.apply_image(object_key, entry.document_id, entry.patient_id, entry.image)
