"""rules/scanning.py: what a scan result changes, which states are served, what a key says of its file."""

from __future__ import annotations

import pytest

from patient_docs.rules.scanning import (
    GUARDDUTY_RESULTS,
    SCAN_STATUSES,
    ObjectIds,
    may_precede,
    next_status,
    object_ids,
    served_statuses,
    status_of_result,
)


def test_every_guardduty_result_has_a_status_and_an_unknown_one_counts_as_failed():
    assert set(GUARDDUTY_RESULTS) == {"NO_THREATS_FOUND", "THREATS_FOUND", "UNSUPPORTED", "ACCESS_DENIED", "FAILED"}
    assert status_of_result("THREATS_FOUND") == "infected"
    assert status_of_result("ACCESS_DENIED") == "failed"
    assert status_of_result("SOMETHING_NEW") == "failed"


@pytest.mark.parametrize(
    ("current", "result", "expected"),
    [
        ("pending", "clean", "clean"),
        ("pending", "infected", "infected"),
        ("pending", "unsupported", "unsupported"),
        ("failed", "clean", "clean"),  # a re-scan's verdict
        ("unsupported", "infected", "infected"),
        ("clean", "infected", "infected"),  # a threat found later wins
        ("clean", "clean", None),  # the same result twice changes nothing
        ("clean", "failed", None),  # a late failure does not undo a verdict
        ("infected", "clean", None),  # infected is final
        ("infected", "infected", None),
        ("failed", "failed", None),
    ],
)
def test_what_a_result_changes(current, result, expected):
    assert next_status(current, result) == expected


def test_nothing_ever_moves_back_to_pending():
    assert all(next_status(status, "pending") is None for status in SCAN_STATUSES)


@pytest.mark.parametrize("result", [s for s in SCAN_STATUSES if s != "pending"])
def test_a_conditional_writes_predecessors_are_exactly_what_the_rule_allows(result):
    # The adapters' conditions are built from may_precede: it must agree with next_status for every pair
    allowed = {status for status in SCAN_STATUSES if status != "pending" and next_status(status, result) == result}
    assert set(may_precede(result)) == allowed
    assert next_status("pending", result) == result


@pytest.mark.parametrize(
    ("scanning", "policy", "served"),
    [
        ("Enabled", "withhold", {"clean"}),
        ("Enabled", "serve-unsupported", {"clean", "unsupported"}),
        ("Enabled", "serve-unsupported-and-failed", {"clean", "unsupported", "failed"}),
        ("Disabled", "withhold", {"clean", "unsupported"}),
    ],
)
def test_served_statuses(scanning, policy, served):
    found = served_statuses(scanning, policy)
    assert found == served
    assert "pending" not in found and "infected" not in found


def test_a_key_names_its_account_and_patient_or_its_request_and_file():
    document = "accounts/12/patients/1172416/documents/" + "a" * 32 + ".pdf"
    assert object_ids(document) == ObjectIds("12", patient_id=1172416)
    request, file = "92892990-dd8f-4d69-b780-a5f4036a96f7", "94d49fee-f534-4317-b0f3-b91fa82160f6"
    assert object_ids(f"file-requests/12/{request}/{file}.jpg") == ObjectIds(
        "12", file_request_id=request, file_id=file
    )
    assert object_ids("quarantine/accounts/12/patients/1/documents/x.pdf") is None
    assert object_ids("accounts/12/notes.txt") is None
