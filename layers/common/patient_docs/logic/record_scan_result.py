"""A malware scan's result has come (GuardDuty, through EventBridge): keep it, record it on the file's
document once, and move an infected file to quarantine, telling staff systems.

EventBridge delivers each result at least once, and results may come before the upload's record
exists (a door B upload is saved later; the patient page's register step runs on its own queue).
So the result is first kept under its object key (``scan_results_table``); a record made later
finds it there (``file_safety.link_new_document``), and a record made earlier is named there and
updated now. Every write is conditional on what it changes (``rules.scanning.next_status``): a
duplicate, or an older result arriving late, changes nothing and records no second audit event.

An infected file leaves its place at once, whether or not a record of it exists yet: it is copied
under ``quarantine/`` and deleted, and a ``FileInfected`` event (ids only) goes to the bus. The
event is sent before the move, so that a failure between the two repeats the event rather than
losing it: staff systems may hear of one file twice, never not at all.

A result for an object already gone (its document deleted, or removed before anything recorded it)
would be kept for a record that can never come: once the result is handled, an entry no document
names whose object is no longer in its place gets an expiry (``file_safety.expire_if_gone``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from patient_docs.adapters import events, file_requests_table, object_store, scan_results_table
from patient_docs.adapters.scan_results_table import ScanEntry
from patient_docs.logic import audit_trail, file_safety, webhooks
from patient_docs.logic.file_safety import ACTOR, apply_entry
from patient_docs.models.audit import Target
from patient_docs.observability import logger
from patient_docs.rules.patient_page import quarantine_key
from patient_docs.rules.scanning import ObjectIds, ScanStatus, object_ids
from patient_docs.settings import get_settings

Outcome = Literal["recorded", "kept", "gone", "unchanged", "ignored"]


@dataclass(frozen=True)
class ScanResult:
    bucket: str
    object_key: str
    status: ScanStatus
    scanned_at: datetime


def record_scan_result(result: ScanResult) -> Outcome:
    """``recorded``: a document now shows the result; ``kept``: stored for a record still to come (an
    infected file: moved to quarantine); ``gone``: the object is gone and no record names it, so its entry
    now expires; ``unchanged``: a duplicate or an older result; ``ignored``: not an object of this service's."""
    ids = object_ids(result.object_key)
    if result.bucket != get_settings().bucket_name or ids is None:
        logger.warning("scan result for an object this service did not store")
        return "ignored"
    kept, entry = scan_results_table.store_result(result.object_key, result.status, result.scanned_at)
    # Applied whether or not this delivery kept it: an earlier one may have stopped short of the document.
    applied = apply_entry(result.object_key, entry)
    moved = entry.scan_status == "infected" and _contain(result.object_key, entry, ids, applied)
    # Last, after any move to quarantine: an infected upload's entry, kept for a while, tells a save why.
    expiring = file_safety.expire_if_gone(result.object_key, entry)
    logger.info(
        "scan result processed",
        extra={
            "scan_status": entry.scan_status,
            "kept": kept,
            "applied": applied,
            "quarantined": moved,
            "expiring": expiring,
        },
    )
    if applied:
        return "recorded"
    if moved:
        return "kept"
    if expiring:
        return "gone"
    if kept:
        return "kept"
    return "unchanged"


def _contain(object_key: str, entry: ScanEntry, ids: ObjectIds, applied: bool) -> bool:
    """Tell staff systems and move the infected file to quarantine, if that is still to do; whether it was moved."""
    present = object_store.head_object(object_key) is not None
    if not (applied or present):
        return False  # done by an earlier delivery
    target = _target(entry, ids)
    detail: dict[str, str | int] = {"account_id": ids.account_id, "object_key": object_key}
    detail.update({name: value for name, value in target.model_dump().items() if value is not None})
    events.publish("FileInfected", detail)
    if not present:
        return False
    # Recorded before the move: a move that fails is retried, and the event is already there.
    audit_trail.record("file.quarantined", audit_trail.system_actor(ids.account_id, ACTOR), target)
    webhooks.announce_quarantined(ids.account_id, target, object_key)
    object_store.quarantine(object_key, quarantine_key(object_key))
    logger.warning("infected file quarantined")
    return True


def _target(entry: ScanEntry, ids: ObjectIds) -> Target:
    """The audit target: the document if one is recorded; a photo's patient is its request's."""
    patient_id = entry.patient_id or ids.patient_id
    if patient_id is None and ids.file_request_id is not None:
        request = file_requests_table.get_file_request(ids.file_request_id)
        if request is not None and request.account_id == ids.account_id:
            patient_id = request.patient_number
    return Target(
        patient_id=patient_id,
        document_id=entry.document_id,
        file_request_id=ids.file_request_id,
        file_id=ids.file_id,
    )
