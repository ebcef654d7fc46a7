"""File safety: the scan state of every stored file, how a scan result moves it, and which states are served.

Every stored file is scanned for malware (GuardDuty Malware Protection for S3) after it lands. Its
record carries ``scan_status``:

  pending      stored, no result yet (also: a record stored before scanning existed)
  clean        GuardDuty found no threat (NO_THREATS_FOUND)
  infected     GuardDuty found a threat (THREATS_FOUND): the file is moved to quarantine, never served
  unsupported  GuardDuty skipped the file (UNSUPPORTED: e.g. password-protected, over its limits),
               or scanning is switched off in this deployment (nothing scans)
  failed       GuardDuty could not scan it (FAILED, ACCESS_DENIED)

Only ``clean`` files are served, and ``unsupported``/``failed`` ones when the deployment's
``UnscannedFilePolicy`` says so. Results may arrive twice and in any order; ``next_status`` decides
what a result changes, so that applying one twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from patient_docs.rules.object_keys import parse_document_key
from patient_docs.rules.patient_page import parse_request_file_key

ScanStatus = Literal["pending", "clean", "infected", "unsupported", "failed"]
SCAN_STATUSES: tuple[ScanStatus, ...] = get_args(ScanStatus)

# What GuardDuty writes on each scanned object (tag key) and says in its result event.
SCAN_TAG = "GuardDutyMalwareScanStatus"
NO_THREATS_FOUND = "NO_THREATS_FOUND"
THREATS_FOUND = "THREATS_FOUND"
GUARDDUTY_RESULTS: dict[str, ScanStatus] = {
    NO_THREATS_FOUND: "clean",
    THREATS_FOUND: "infected",
    "UNSUPPORTED": "unsupported",
    "ACCESS_DENIED": "failed",
    "FAILED": "failed",
}
# The event GuardDuty publishes on the account's default bus for every scanned object.
RESULT_SOURCE = "aws.guardduty"
RESULT_DETAIL_TYPE = "GuardDuty Malware Protection Object Scan Result"

# Where files land: the scanner covers these prefixes of the documents bucket, and nothing else
# (quarantine/ holds what was already refused). The template's MalwareProtectionPlan names the same.
SCANNED_PREFIXES = ("accounts/", "file-requests/")

# Days an entry of a scan result is kept once its object is gone from its place with no record naming it
# (deleted with its document, quarantined, removed before it was recorded): no record can be made of it
# any more (door B's save and the register step read the object first), so the table's TTL removes it.
# Meanwhile an infected upload's entry still tells a door B save why its file is gone.
GONE_ENTRY_DAYS = 30

# Seconds a client is asked to wait (Retry-After) before asking again for a file still being scanned.
RETRY_AFTER_SECONDS = 5

# The deployment's choice for files without a clean verdict (template parameter UnscannedFilePolicy).
UnscannedFilePolicy = Literal["withhold", "serve-unsupported", "serve-unsupported-and-failed"]
ScanningSwitch = Literal["Enabled", "Disabled"]

# Statuses a later result may still change (and to what): a first result settles a pending file; a
# file GuardDuty skipped or failed on may get a verdict from a re-scan (an on-demand scan); a threat
# found later wins over an earlier clean verdict; infected is final.
_MAY_FOLLOW: dict[ScanStatus, frozenset[ScanStatus]] = {
    "pending": frozenset({"clean", "infected", "unsupported", "failed"}),
    "unsupported": frozenset({"clean", "infected", "failed"}),
    "failed": frozenset({"clean", "infected", "unsupported"}),
    "clean": frozenset({"infected"}),
    "infected": frozenset(),
}


def status_of_result(guardduty_result: str) -> ScanStatus:
    """Our status for GuardDuty's ``scanResultStatus`` (an unknown one counts as a failed scan)."""
    return GUARDDUTY_RESULTS.get(guardduty_result, "failed")


def next_status(current: ScanStatus, result: ScanStatus) -> ScanStatus | None:
    """The status a record moves to when ``result`` arrives, or None when the result changes nothing
    (a duplicate, or an older result arriving after a newer one)."""
    return result if result in _MAY_FOLLOW[current] else None


def may_precede(result: ScanStatus) -> tuple[ScanStatus, ...]:
    """The stored statuses (other than pending) that ``result`` may replace: a conditional write's condition."""
    return tuple(status for status in SCAN_STATUSES if status != "pending" and result in _MAY_FOLLOW[status])


def replaces_only_older(result: ScanStatus) -> bool:
    """Whether ``result`` replaces a stored status only when it is newer (its scan's time is later): a skip or
    a failure (no verdict) may follow the other, so a redelivered older one must not undo a newer one. A
    verdict replaces what it may follow whenever it comes (a threat is a threat; clean ends a skip)."""
    return result in ("unsupported", "failed")


def served_statuses(scanning: ScanningSwitch, policy: UnscannedFilePolicy) -> frozenset[ScanStatus]:
    """The statuses whose files are served. With scanning switched off nothing scans, so every new
    file is recorded ``unsupported`` and served: a deployment that turns the scanner off has chosen so."""
    served: set[ScanStatus] = {"clean"}
    if scanning == "Disabled" or policy in ("serve-unsupported", "serve-unsupported-and-failed"):
        served.add("unsupported")
    if policy == "serve-unsupported-and-failed":
        served.add("failed")
    return frozenset(served)


def initial_status(scanning: ScanningSwitch) -> ScanStatus:
    """A new record's status: pending until its result arrives; unsupported when nothing will scan it."""
    return "pending" if scanning == "Enabled" else "unsupported"


def is_scanned_key(key: str) -> bool:
    return key.startswith(SCANNED_PREFIXES)


@dataclass(frozen=True)
class ObjectIds:
    """What an object's key says of it (keys are the server's: rules/object_keys.py, rules/patient_page.py)."""

    account_id: str
    patient_id: int | None = None  # door A and B keys name the patient; a patient page photo's names its request
    file_request_id: str | None = None
    file_id: str | None = None


def object_ids(key: str) -> ObjectIds | None:
    """The ids a document's or a request file's key carries; None for a key this service never issues."""
    document = parse_document_key(key)
    if document is not None:
        return ObjectIds(document.account_id, patient_id=document.patient_id)
    request_file = parse_request_file_key(key)
    if request_file is not None:
        return ObjectIds(
            request_file.account_id, file_request_id=request_file.file_request_id, file_id=request_file.file_id
        )
    return None


def gone_entry_expiry(now: datetime) -> int:
    """The TTL (epoch seconds) of the entry of an object found gone ``now`` with no record naming it."""
    return int((now + timedelta(days=GONE_ENTRY_DAYS)).timestamp())
