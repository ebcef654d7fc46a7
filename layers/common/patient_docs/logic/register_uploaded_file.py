"""A photo has landed in the bucket: check its real bytes, then record it once, or quarantine it.

Runs for every S3 ObjectCreated event under ``file-requests/`` (through SQS, so a failure
is retried and ends in the dead-letter queue). The same event delivered twice, even at
the same time, records one file: the transaction that records it is conditional on the
file not being there yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from patient_docs.adapters import documents_table, events, file_requests_table, object_store
from patient_docs.adapters.object_store import StoredObject
from patient_docs.logic import audit_trail, file_safety, webhooks
from patient_docs.logic.notify_patient import drop_reminder
from patient_docs.models.audit import Target
from patient_docs.models.documents import Document
from patient_docs.models.file_requests import FileRequest, RequestFile
from patient_docs.observability import logger
from patient_docs.rules.content_types import PHOTO_TYPES, SNIFF_BYTES, content_verdict
from patient_docs.rules.file_requests import OPEN_STATUSES
from patient_docs.rules.ids import new_document_id
from patient_docs.rules.patient_page import page_state, parse_request_file_key, quarantine_key
from patient_docs.rules.webhooks import WebhookEventType
from patient_docs.settings import get_settings

Outcome = Literal["recorded", "duplicate", "quarantined", "gone"]
_ID_ATTEMPTS = 5


# The audit trail's name for this function when it acts (checking and recording a patient's photo).
ACTOR = "uploaded-file-register"


def _target(request: FileRequest, file_id: str, document_id: int | None = None) -> Target:
    return Target(
        patient_id=request.patient_number, file_request_id=request.id, file_id=file_id, document_id=document_id
    )


def _quarantine(key: str, reason: str, request: FileRequest | None = None, file_id: str | None = None) -> Outcome:
    if request is not None and file_id is not None:
        # Recorded before the move: a move that fails is retried, and the event is already there.
        actor = audit_trail.system_actor(request.account_id, ACTOR)
        audit_trail.record("file.quarantined", actor, _target(request, file_id))
        webhooks.announce_quarantined(request.account_id, _target(request, file_id), key)
    object_store.quarantine(key, quarantine_key(key))
    logger.warning("upload quarantined", extra={"reason": reason})
    return "quarantined"


def _mark_responded(request: FileRequest, now: datetime) -> None:
    """Move an open request to ``responded``; one that the read showed answered needs no write.

    A write of its own, not part of the recording transaction: photos sent together are
    registered in parallel, and transactions on the one request item would cancel each other.
    """
    if request.status in OPEN_STATUSES:
        file_requests_table.mark_responded(request.id, now)
        drop_reminder(request.id)  # answered: no reminder (its claim would refuse one anyway)


def register_uploaded_file(key: str, now: datetime) -> Outcome:
    parsed = parse_request_file_key(key)
    if parsed is None:
        return _quarantine(key, "key not issued by this service")
    request = file_requests_table.get_file_request(parsed.file_request_id)
    if request is None or request.account_id != parsed.account_id:
        return _quarantine(key, "no such request")
    if any(file.id == parsed.file_id for file in request.files):
        _mark_responded(request, now)  # in case an earlier delivery stopped short
        file_safety.settle(key)  # of this too: a scan result that came before the file did
        return "duplicate"
    if page_state(request.status, request.short_link_expires_at, request.failed_verifications, now) in (
        "cancelled",
        "expired",
    ):
        return _quarantine(key, "request no longer open", request, parsed.file_id)
    found = object_store.read_head(key, SNIFF_BYTES)
    if found is None:
        return "gone"  # an earlier delivery already moved it
    stored, head = found
    try:  # the verdict every door gets: photo types need only their first bytes
        declared = content_verdict(stored.content_type, head, PHOTO_TYPES)
    except ValueError:
        return _quarantine(key, "not a photo of an accepted type", request, parsed.file_id)
    if not 0 < stored.size_bytes <= get_settings().photo_max_bytes:
        return _quarantine(key, "size outside the limit", request, parsed.file_id)
    return _record(request, parsed.file_id, parsed.extension, stored, declared, now)


def _record(
    request: FileRequest, file_id: str, extension: str, stored: StoredObject, mime_type: str, now: datetime
) -> Outcome:
    original_name = stored.original_name or f"photo.{extension}"
    expires_at = now + timedelta(hours=get_settings().file_access_hours)
    for _ in range(_ID_ATTEMPTS):
        document = Document(
            id=new_document_id(),
            account_id=request.account_id,
            patient_id=request.patient_number,
            name=original_name,
            original_file_name=original_name,
            mime_type=mime_type,
            extension=extension,
            size_bytes=stored.size_bytes,
            object_key=stored.key,
            source="file_request",
            uploaded_by=request.patient_number,
            uploaded_by_name="patient",
            created_at=now,
            updated_at=now,
            record_type="Patient Record",
            document_category="MEDICAL_HISTORY",
            file_request_id=request.id,
            author_role="patient",  # sent through the patient page: the patient's own document
            scan_status=file_safety.initial_status(),
        )
        file = RequestFile(
            id=file_id,
            file_request_id=request.id,
            account_id=request.account_id,
            created_at=now,
            expires_at=expires_at,
            mime_type=mime_type,
            original_name=original_name,
            size=stored.size_bytes,
            object_key=stored.key,
            document_id=document.id,
        )
        actor = audit_trail.system_actor(request.account_id, ACTOR)
        event = audit_trail.pending("file.registered", actor, _target(request, file_id, document.id))
        links = [
            *file_safety.link_writes(stored.key, document.id, document.patient_id),
            *documents_table.count_changes(document.account_id, document.patient_id, document.created_at, 1),
        ]
        outcome = file_requests_table.record_answer(file, documents_table.document_item(document), event, links)
        if outcome == "document_id_taken":
            continue
        _mark_responded(request, now)
        file_safety.settle(stored.key)  # the photo's malware scan may have finished first
        if outcome == "duplicate":
            return "duplicate"
        ids: dict[str, str | int] = {
            "file_request_id": request.id,
            "account_id": request.account_id,
            "file_id": file_id,
            "document_id": document.id,
        }
        logger.info("file recorded", extra=ids)
        events.publish("FileRequestResponded", ids)
        created = {"document_id": document.id, "patient_id": document.patient_id, "file_request_id": request.id}
        announced: list[tuple[WebhookEventType, dict[str, Any]]] = [
            ("file_request.responded", {**ids, "account_id": None}),
            ("document.created", created),
        ]
        webhooks.announce_all(request.account_id, announced)
        return "recorded"
    raise RuntimeError("could not allocate a document id")
