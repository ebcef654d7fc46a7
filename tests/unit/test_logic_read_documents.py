"""Reading documents: only what the caller may see, pages that stay in their list, short-lived links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from patient_docs.errors import InvalidField, NotFound
from patient_docs.logic.read_documents import download_link, get_document, list_documents
from patient_docs.rules.cursors import encode_cursor
from tests.unit.doubles import NOW, PATIENT_NUMBER, a_document, patient, staff

pytestmark = pytest.mark.usefixtures("no_network", "fixed_now")


@pytest.fixture
def stored(fakes):
    doc = a_document(scan_status="clean", scanned_at=NOW)  # its malware scan found nothing: it may be served
    fakes.documents.add(doc)
    return doc


@pytest.mark.parametrize("caller", [staff(), staff(role="admin"), patient()], ids=["staff", "admin", "the patient"])
def test_the_account_and_the_patient_see_the_document(stored, caller):
    assert get_document(caller, stored.id) == stored
    assert get_document(caller, stored.id, PATIENT_NUMBER) == stored


@pytest.mark.parametrize(
    "caller", [staff(account="13"), patient(number=PATIENT_NUMBER + 1)], ids=["other account", "another patient"]
)
def test_anyone_else_is_told_it_does_not_exist(stored, caller):
    with pytest.raises(NotFound):
        get_document(caller, stored.id)


def test_a_document_read_under_another_patients_path_does_not_exist(stored):
    with pytest.raises(NotFound):
        get_document(staff(), stored.id, PATIENT_NUMBER + 1)


def test_an_unknown_document_does_not_exist(fakes):
    with pytest.raises(NotFound):
        get_document(staff(), 404)


def test_pages_run_newest_first_and_the_last_has_no_cursor(fakes):
    # Given five documents of the patient, and one of another patient
    docs = [a_document(id=i, created_at=NOW - timedelta(minutes=i)) for i in range(1, 6)]
    fakes.documents.add(*docs, a_document(id=99, patient_id=PATIENT_NUMBER + 1))
    # When they are read two at a time
    seen, cursor, pages = [], None, 0
    while True:
        page, cursor = list_documents(staff(), PATIENT_NUMBER, 2, cursor)
        seen.extend(doc.id for doc in page)
        pages += 1
        if cursor is None:
            break
    # Then every document of the patient comes once, newest first
    assert seen == [1, 2, 3, 4, 5]
    assert pages == 3


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        encode_cursor({"PK": "DOC#1", "SK": "DOC", "GSI1PK": f"PATIENT#12#{PATIENT_NUMBER + 1}", "GSI1SK": "x#1"}),
        encode_cursor({"PK": "DOC#1", "SK": "DOC", "GSI1PK": f"PATIENT#13#{PATIENT_NUMBER}", "GSI1SK": "x#1"}),
        encode_cursor({"PK": "DOC#1", "SK": "DOC"}),
    ],
    ids=["garbage", "another patient's list", "another account's list", "missing keys"],
)
def test_a_cursor_from_anywhere_but_this_list_is_refused(fakes, cursor, monkeypatch):
    from patient_docs.adapters import documents_table

    monkeypatch.setattr(documents_table, "list_patient_documents_page", fail_if_called)
    with pytest.raises(InvalidField) as caught:
        list_documents(staff(), PATIENT_NUMBER, 2, cursor)
    assert caught.value.field == "cursor"


def test_another_patients_list_is_not_found(fakes):
    with pytest.raises(NotFound):
        list_documents(patient(number=1), PATIENT_NUMBER, 2)


def test_a_download_link_names_the_file_and_expires_with_the_setting(fakes, stored, settings_env):
    settings_env(DOWNLOAD_TTL_SECONDS=60)
    served, url, expires_at = download_link(patient(), stored)
    assert served == stored
    assert url.startswith("https://")
    assert fakes.objects.presigned_gets == [(stored.object_key, stored.original_file_name, stored.mime_type)]
    assert expires_at == NOW + timedelta(seconds=60)


def test_a_download_link_outside_the_callers_reach_is_not_signed(fakes, stored):
    with pytest.raises(NotFound):
        download_link(patient(number=PATIENT_NUMBER + 1), stored)
    assert fakes.objects.presigned_gets == []


def fail_if_called(*args, **kwargs):
    raise AssertionError("not expected to be called")
