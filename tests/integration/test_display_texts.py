"""Every stored display text follows one rule set (rules/names.py), through the real handlers.

Door A's file names refused control and format characters; door B's ``name`` refused only control
characters, and its ``document_type``, ``spry_case_id``, ``signed_by`` and ``notes`` nothing at all:
a right-to-left override in ``signed_by`` made "Dr Smith" read as anything. Now single-line names
(door B ``name``, ``document_type``, ``spry_case_id``, ``signed_by``; door C ``staffName``,
``patientFirstName``, ``patientLastName``) and free text (door B ``notes``, door C ``prompt``) follow
the same rules as file names, with line feeds and tabs allowed in free text only.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.probe_helpers import FILE_REQUEST, PATIENT, save_document, upload_unsigned
from tests.utils import STAFF_12, call

# Refused in every display text: bidirectional overrides and isolates, zero-width and other format
# characters, control characters, line and paragraph separators.
ANYWHERE = {
    "right-to-left override": "Dr \u202eSmith",
    "left-to-right isolate": "Dr \u2066Smith\u2069",
    "right-to-left mark": "Dr\u200f Smith",
    "zero-width space": "Dr\u200bSmith",
    "soft hyphen": "Dr Sm\u00adith",
    "byte order mark": "\ufeffDr Smith",
    "bell": "Dr\x07 Smith",
    "escape": "Dr \x1b[31mSmith",
    "paragraph separator": "Dr\u2029Smith",
    "tag character": "Dr Smith\U000e0041",
}
# Refused in names, allowed in free text.
LINES = {"line feed": "Dr\nSmith", "tab": "Dr\tSmith"}

DOOR_B_NAMES = {"name": 255, "document_type": 255, "spry_case_id": 255, "signed_by": 255}
DOOR_B_TEXT = {"notes": 5000}
DOOR_C_NAMES = {"staffName": 200, "patientFirstName": 200, "patientLastName": 200}
DOOR_C_TEXT = {"prompt": 1000}


def _bad_values(max_length: int, one_line: bool) -> dict[str, str]:
    return {**ANYWHERE, **(LINES if one_line else {}), "too long": "x" * (max_length + 1)}


def _refusal_names(door: str, reply: Any, field: str) -> bool:
    if door == "B":
        return reply.json["code"] == 4000 and reply.json["message"].startswith(f"{field}:")
    return reply.json["error"]["field"] == field


@pytest.mark.parametrize(
    ("field", "max_length", "one_line"),
    [*((f, n, True) for f, n in DOOR_B_NAMES.items()), *((f, n, False) for f, n in DOOR_B_TEXT.items())],
)
def test_door_b_refuses_invisible_and_reordering_characters_in_every_text_it_stores(
    api, aws, field, max_length, one_line
):
    # Given an uploaded file ready to save, and a saved document ready to update
    uploaded = upload_unsigned(api, aws, "card.png")
    doc = save_document(api, aws, "other.png")
    before = aws.all_items()
    save = {
        "patient_id": PATIENT,
        "name": "Card",
        "document_url": uploaded["file_url"],
        "bucket_name": aws.bucket,
    }
    for case, value in _bad_values(max_length, one_line).items():
        # When the field carries the character, on save and on update
        saved = call(api, "POST", "/apis/v1/patient-document", {**save, field: value}, STAFF_12)
        updated = call(api, "POST", f"/apis/v1/patient-document/{doc['id']}", {field: value}, STAFF_12)
        # Then both are a 400 naming the field
        for reply in (saved, updated):
            assert reply.status == 400 and _refusal_names("B", reply, field), (case, reply.body)
    # And nothing was written or changed
    assert aws.all_items() == before


@pytest.mark.parametrize(
    ("field", "max_length", "one_line"),
    [*((f, n, True) for f, n in DOOR_C_NAMES.items()), *((f, n, False) for f, n in DOOR_C_TEXT.items())],
)
def test_door_c_refuses_invisible_and_reordering_characters_in_every_text_it_stores(
    api, aws, field, max_length, one_line
):
    for case, value in _bad_values(max_length, one_line).items():
        # When a file request carries the character in the field
        reply = call(api, "POST", "/v1/file-requests", {**FILE_REQUEST, field: value}, STAFF_12)
        # Then it is a 400 naming the field
        assert reply.status == 400 and _refusal_names("C", reply, field), (case, reply.body)
    # And nothing was written and no SMS sent
    assert aws.all_items() == [] and aws.sms_messages() == []


def test_free_text_keeps_its_lines_and_tabs_and_names_are_trimmed(api, aws):
    # Given a document, and a file request whose prompt has lines (one ending \r\n) and a tab
    doc = save_document(api, aws, "card.png")
    notes = "Seen 2026-04-01.\r\nPlan:\tre-check in a week\nNo allergies."
    # When notes are set with lines, and names with spaces around them
    body = {"notes": notes, "signed_by": "  Dr Rachel Williams  ", "document_type": "Insurance Card"}
    updated = call(api, "POST", f"/apis/v1/patient-document/{doc['id']}", body, STAFF_12)
    prompt = "Please send two photos:\n1.\tfront\n2.\tback"
    created = call(api, "POST", "/v1/file-requests", {**FILE_REQUEST, "prompt": prompt}, STAFF_12)
    # Then free text keeps its lines (\r\n stored as \n) and names are stored trimmed
    assert updated.status == 200, updated.body
    assert updated.json["data"]["notes"] == notes.replace("\r\n", "\n")
    assert updated.json["data"]["signed_by"] == "Dr Rachel Williams"
    assert created.status == 201 and created.json["prompt"] == prompt


def test_an_optional_text_sent_empty_is_stored_as_absent(api, aws):
    # Given a saved document with notes and a signer
    doc = save_document(api, aws, "card.png")
    first = {"notes": "reviewed", "signed_by": "Dr A", "spry_case_id": "case-1"}
    assert call(api, "POST", f"/apis/v1/patient-document/{doc['id']}", first, STAFF_12).status == 200
    # When they are sent as "" (as practice systems send an unknown value)
    cleared = {"notes": "", "signed_by": " ", "spry_case_id": ""}
    reply = call(api, "POST", f"/apis/v1/patient-document/{doc['id']}", cleared, STAFF_12)
    # Then they are cleared, as null clears them, not stored as empty text
    assert reply.status == 200, reply.body
    assert (reply.json["data"]["notes"], reply.json["data"]["signed_by"], reply.json["data"]["spry_case_id"]) == (
        None,
        None,
        None,
    )
    # And the required name stays required
    assert call(api, "POST", f"/apis/v1/patient-document/{doc['id']}", {"name": " "}, STAFF_12).status == 400
