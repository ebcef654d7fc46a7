"""File safety: may a record's bytes be served, and what a new record learns of its file's scan.

Every door that hands out a file's bytes (a presigned download URL, FHIR ``Binary``, anything
later) asks ``require_servable(document)`` first; ``may_serve`` answers the same question where a
refusal is not wanted (a list that shows some files and withholds others).
A new record starts ``pending`` (``initial_status``), is written together with its link to its
object's scan entry (``link_writes``), and then applies a result that arrived before it (``settle``).
An entry written for an object already gone, that no record names, expires (``expire_if_gone``).
"""

from __future__ import annotations

from dataclasses import replace

from patient_docs.adapters import documents_table, object_store, scan_results_table
from patient_docs.adapters.scan_results_table import ScanEntry
from patient_docs.adapters.table import Item
from patient_docs.errors import FileNotScanned, FileWithheld
from patient_docs.logic import audit_trail, clean_images
from patient_docs.models.audit import AuditAction, Outcome, Target
from patient_docs.models.documents import Document
from patient_docs.rules.scanning import (
    RETRY_AFTER_SECONDS,
    ScanStatus,
    gone_entry_expiry,
    object_ids,
    served_statuses,
)
from patient_docs.rules.timestamps import utc_now
from patient_docs.settings import get_settings

# The audit trail's name for the scanner when its verdict is recorded on a file, whichever function records it.
ACTOR = "malware-scan"


def served() -> frozenset[ScanStatus]:
    settings = get_settings()
    return served_statuses(settings.malware_scanning, settings.unscanned_file_policy)


def may_serve(scan_status: ScanStatus) -> bool:
    """Whether a file with this status may be served (the deployment's UnscannedFilePolicy included)."""
    return scan_status in served()


def check_servable(scan_status: ScanStatus) -> None:
    """Refuse to serve a file without a verdict that allows it: ``FileNotScanned`` (409 with
    Retry-After) while its scan is pending, ``FileWithheld`` (409) when it is infected, or
    unsupported or failed under a policy that withholds those."""
    if may_serve(scan_status):
        return
    if scan_status == "pending":
        raise FileNotScanned(RETRY_AFTER_SECONDS)
    raise FileWithheld(scan_status)


def require_servable(doc: Document) -> Document:
    """May this record's bytes be served? The one question every door asks before it hands out a
    file's bytes (or a URL to them). Answers the record, its scan result and image renditions applied
    if they were waiting (``settled``); refuses with ``FileNotScanned`` or ``FileWithheld``
    (``check_servable``), and an image without its clean rendition with ``ImageNotProcessed`` or
    ``ImageWithheld`` (logic/clean_images.py: what is served of an image)."""
    doc = settled(doc)
    check_servable(doc.scan_status)
    clean_images.served_file(doc)
    return doc


def servable(doc: Document) -> bool:
    """``require_servable`` without the refusal, for a settled record (a list that withholds some files)."""
    return may_serve(doc.scan_status) and clean_images.servable_image(doc)


def initial_status() -> ScanStatus:
    """A new record's status: pending until its result comes; unsupported when scanning is switched off."""
    return "pending" if get_settings().malware_scanning == "Enabled" else "unsupported"


def apply_entry(object_key: str, entry: ScanEntry) -> bool:
    """Record the entry's result on its document, with the audit event that says so, unless the document
    already says as much (a conditional write): whether this call changed it."""
    if entry.document_id is None or entry.scan_status is None or entry.scanned_at is None:
        return False
    ids = object_ids(object_key)
    if ids is None:
        return False
    target = Target(
        patient_id=entry.patient_id,
        document_id=entry.document_id,
        file_request_id=ids.file_request_id,
        file_id=ids.file_id,
    )
    action: AuditAction = "file.infected" if entry.scan_status == "infected" else "file.scanned"
    # failure: scanned and not done (skipped as unsupported, or failed); success: a verdict.
    outcome: Outcome = "success" if entry.scan_status in ("clean", "infected") else "failure"
    event = audit_trail.pending(action, audit_trail.system_actor(ids.account_id, ACTOR), target, outcome)
    return documents_table.set_scan_status(entry.document_id, entry.scan_status, entry.scanned_at, event)


def link_writes(object_key: str, document_id: int, patient_id: int) -> list[Item]:
    """What a new document's transaction adds: its name on its object's scan entry (none when nothing scans)."""
    if get_settings().malware_scanning != "Enabled":
        return []
    return [scan_results_table.link_write(object_key, document_id, patient_id)]


def settle(object_key: str, doc: Document | None = None) -> ScanEntry | None:
    """After a document of the object is recorded (with its link): apply a result that came first, and
    answer the entry when this call applied it. Whichever of the record and the result comes second
    applies the result, so it is applied once whatever the order. ``doc``: the object's document,
    for an entry that does not name it (a document stored before scanning, scanned on demand later)."""
    if get_settings().malware_scanning != "Enabled":
        return None
    entry = scan_results_table.get_entry(object_key)
    if entry is None:
        return None
    if entry.document_id is None and doc is not None:
        entry = replace(entry, document_id=doc.id, patient_id=doc.patient_id)
    return entry if apply_entry(object_key, entry) else None


def settled(doc: Document) -> Document:
    """The document with its file's scan result (and an image's renditions: logic/clean_images.py). A
    pending document whose result reached its object's entry but not the document (it came before the
    document was recorded, and applying it then failed) gets it now: nothing that reached the entry
    stays unapplied once the document is read."""
    if doc.scan_status == "pending":
        entry = settle(doc.object_key, doc)
        if entry is not None:
            doc = doc.model_copy(update={"scan_status": entry.scan_status, "scanned_at": entry.scanned_at})
    return clean_images.settle_image(doc)


def expire_if_gone(object_key: str, entry: ScanEntry) -> bool:
    """After a write to the object's entry (``entry``: as that write left it): an entry no record names,
    of an object no longer in its place (deleted with its document, quarantined, removed before it was
    recorded), will never be named (door B's save and the register step read the object before they
    record it), so it is given an expiry (rules/scanning.GONE_ENTRY_DAYS); whether it was given one now.

    Looked at after the write, never before: a delete removes the object before its transaction removes
    the entry, so a write that lands after that transaction is always followed by a look that finds the
    object gone. An entry a record names is left alone: the record's delete removes it."""
    if entry.document_id is not None or object_store.head_object(object_key) is not None:
        return False
    return scan_results_table.expire_unclaimed(object_key, gone_entry_expiry(utc_now()))


def quarantined_before_recorded(object_key: str) -> bool:
    """Whether the object's scan found a threat before any record was made of it (it is in quarantine)."""
    entry = scan_results_table.get_entry(object_key)
    return entry is not None and entry.scan_status == "infected"
