"""logic/record_scan_result.py and logic/file_safety.py over adapter fakes: a result is kept, applied once,
whichever of the result and the record comes first; an infected file is moved and announced; the gate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from patient_docs.errors import FileNotScanned, FileWithheld
from patient_docs.logic import file_safety
from patient_docs.logic.record_scan_result import ScanResult, record_scan_result
from patient_docs.rules.scanning import GONE_ENTRY_DAYS, RETRY_AFTER_SECONDS
from patient_docs.settings import get_settings
from tests.unit.doubles import NOW, PATIENT_NUMBER, a_document

pytestmark = pytest.mark.usefixtures("no_network", "fixed_now")

KEY = f"accounts/12/patients/{PATIENT_NUMBER}/documents/{'a' * 32}.pdf"


def result(status: str, key: str = KEY, bucket: str | None = None) -> ScanResult:
    return ScanResult(bucket=bucket or get_settings().bucket_name, object_key=key, status=status, scanned_at=NOW)


@pytest.fixture
def recorded(fakes):
    """A pending document of KEY, named on its scan entry (as its creating transaction does)."""
    doc = a_document(object_key=KEY)
    fakes.documents.add(doc)
    fakes.scans.link(KEY, doc.id, doc.patient_id)
    fakes.objects.put_object(KEY, b"%PDF-1.7", "application/pdf", "scan.pdf")
    return doc


def test_a_clean_result_is_recorded_on_the_document_with_one_audit_event(fakes, recorded):
    assert record_scan_result(result("clean")) == "recorded"
    stored = fakes.documents.items[recorded.id]
    assert (stored.scan_status, stored.scanned_at) == ("clean", NOW)
    assert fakes.audit_actions() == ["file.scanned"]
    assert fakes.events == [] and fakes.objects.quarantined == []


def test_the_same_result_again_changes_nothing(fakes, recorded):
    record_scan_result(result("clean"))
    assert record_scan_result(result("clean")) == "unchanged"
    assert fakes.audit_actions() == ["file.scanned"]


def test_a_result_with_no_record_yet_is_kept_and_applied_when_the_document_comes(fakes):
    # Given a result for an uploaded object no document names yet
    fakes.objects.put_object(KEY, b"%PDF-1.7", "application/pdf", "scan.pdf")
    assert record_scan_result(result("clean")) == "kept"
    assert fakes.scans.expiries == {}  # its save may come at any time
    # When its document is recorded and settles
    doc = a_document(object_key=KEY)
    fakes.documents.add(doc)
    fakes.scans.link(KEY, doc.id, doc.patient_id)
    settled = file_safety.settled(doc)
    # Then it has the result, once
    assert settled.scan_status == "clean" and fakes.documents.items[doc.id].scan_status == "clean"
    assert file_safety.settled(settled) == settled
    assert fakes.audit_actions() == ["file.scanned"]


def test_a_result_for_an_object_gone_with_no_record_expires_and_a_duplicate_changes_nothing(fakes):
    # Given no object under KEY any more (deleted with its document, or before anything recorded it)
    # When its result comes, twice
    assert record_scan_result(result("clean")) == "gone"
    assert record_scan_result(result("clean")) == "unchanged"
    # Then its entry is kept with an expiry, GONE_ENTRY_DAYS from now
    assert fakes.scans.expiries == {KEY: int((NOW + timedelta(days=GONE_ENTRY_DAYS)).timestamp())}
    # And a record that names it after all (the object uploaded again under its key) keeps it for good
    fakes.scans.link(KEY, 7, PATIENT_NUMBER)
    assert fakes.scans.expiries == {}


def test_an_infected_file_is_announced_recorded_and_moved_and_a_retry_repeats_nothing(fakes, recorded):
    assert record_scan_result(result("infected")) == "recorded"
    assert fakes.documents.items[recorded.id].scan_status == "infected"
    assert fakes.objects.quarantined == [(KEY, f"quarantine/{KEY}")]
    assert fakes.events == [
        (
            "FileInfected",
            {"account_id": "12", "object_key": KEY, "patient_id": PATIENT_NUMBER, "document_id": recorded.id},
        )
    ]
    assert fakes.audit_actions() == ["file.infected", "file.quarantined"]
    # When the same result comes again, then nothing more is sent, moved or recorded
    assert record_scan_result(result("infected")) == "unchanged"
    assert len(fakes.events) == 1 and len(fakes.objects.quarantined) == 1
    assert fakes.audit_actions() == ["file.infected", "file.quarantined"]


def test_an_infected_file_without_a_record_is_moved_at_once(fakes):
    # Given an infected upload nobody saved yet
    fakes.objects.put_object(KEY, b"X5O!P%", "text/plain", "eicar.txt")
    # When its result comes
    assert record_scan_result(result("infected")) == "kept"
    # Then it is moved, announced with its key's ids, and the save that comes later is refused
    assert fakes.objects.quarantined == [(KEY, f"quarantine/{KEY}")]
    assert fakes.events[0][1] == {"account_id": "12", "object_key": KEY, "patient_id": PATIENT_NUMBER}
    assert file_safety.quarantined_before_recorded(KEY)


def test_results_for_other_buckets_or_keys_are_ignored(fakes):
    assert record_scan_result(result("clean", bucket="another-bucket")) == "ignored"
    assert record_scan_result(result("clean", key="quarantine/" + KEY)) == "ignored"
    assert fakes.scans.entries == {} and fakes.audit_actions() == []


@pytest.mark.parametrize(
    ("status", "error"),
    [("pending", FileNotScanned), ("infected", FileWithheld), ("unsupported", FileWithheld), ("failed", FileWithheld)],
)
def test_only_a_clean_file_passes_the_gate(fakes, status, error):
    doc = a_document(scan_status=status)
    fakes.documents.add(doc)
    with pytest.raises(error) as refused:
        file_safety.require_servable(doc)
    if status == "pending":
        assert refused.value.retry_after == RETRY_AFTER_SECONDS
    assert file_safety.require_servable(doc.model_copy(update={"scan_status": "clean"})).scan_status == "clean"


def test_the_gate_applies_a_result_waiting_under_the_object_before_it_refuses(fakes, recorded):
    # Given a result that reached the scan entry but not the document (its write failed)
    fakes.scans.store_result(KEY, "clean", NOW - timedelta(seconds=3))
    # When the gate is asked, then the result is applied and the file served
    assert file_safety.require_servable(recorded).scan_status == "clean"
    assert fakes.audit_actions() == ["file.scanned"]
