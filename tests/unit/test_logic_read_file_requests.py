"""Reading file requests: only the account's own, files past their access window hidden, cursors kept in their list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from patient_docs.errors import InvalidField, NotFound
from patient_docs.logic.read_file_requests import (
    FileRequestQuery,
    find_file_request,
    get_file_request,
    list_file_requests,
    present,
)
from patient_docs.rules.cursors import encode_cursor
from tests.unit.doubles import NOW, a_document, a_file_request, a_request_file, patient, staff

pytestmark = pytest.mark.usefixtures("no_network", "fixed_now")


def with_files(fakes, *file_changes, scan_status="clean"):
    """A stored request holding one file per entry of ``file_changes``, each also a document whose
    malware scan says ``scan_status``."""
    request = a_file_request(status="responded")
    files = []
    for index, changes in enumerate(file_changes):
        file = a_request_file(request, document_id=2001 + index, **changes)
        fakes.documents.add(a_document(id=file.document_id, object_key=file.object_key, scan_status=scan_status))
        files.append(file)
    return fakes.requests.add(request.model_copy(update={"files": files}))


@pytest.mark.parametrize("caller", [staff(account="13"), patient()], ids=["other account", "patient"])
def test_a_request_outside_the_callers_account_reads_as_absent(fakes, caller):
    request = fakes.requests.add(a_file_request())
    with pytest.raises(NotFound):
        find_file_request(caller, request.id)


def test_staff_and_admins_of_the_account_find_it(fakes):
    request = fakes.requests.add(a_file_request())
    assert find_file_request(staff(), request.id).id == request.id
    assert find_file_request(staff(role="admin"), request.id).id == request.id


def test_a_file_past_its_access_window_stays_stored_but_is_not_returned(fakes):
    # Given a request with one file still open to staff and one past its expires_at
    request = with_files(fakes, {"expires_at": NOW + timedelta(days=1)}, {"expires_at": NOW})
    live = request.files[0]
    # When staff read it
    answer = get_file_request(staff(), request.id)
    # Then only the live file is listed, with a download link; the other is still on record
    assert [file.id for file in answer.files] == [live.id]
    assert answer.files[0].download_url is not None
    assert fakes.objects.presigned_gets == [(live.object_key, live.original_name, live.mime_type)]
    assert len(fakes.requests.requests[request.id].files) == 2


def test_a_file_still_being_scanned_is_listed_with_its_status_and_no_download_link(fakes):
    # Given a request whose one file's malware scan is still pending
    request = with_files(fakes, {}, scan_status="pending")
    # When staff read it
    answer = get_file_request(staff(), request.id)
    # Then the file shows its status, no link is signed, and no download is recorded
    assert [(file.scan_status, file.download_url) for file in answer.files] == [("pending", None)]
    assert fakes.objects.presigned_gets == []
    assert fakes.audit_actions() == ["file_request.read"]


def test_download_links_are_signed_only_when_asked_for(fakes):
    request = with_files(fakes, {})
    answer = present(request, NOW)
    assert answer.files[0].download_url is None
    assert fakes.objects.presigned_gets == []


def test_an_open_request_past_its_link_expiry_reads_as_expired(fakes):
    request = fakes.requests.add(a_file_request(status="notified", short_link_expires_at=NOW - timedelta(seconds=1)))
    answer = get_file_request(staff(), request.id)
    assert answer.status == "expired"
    assert answer.expired_at is not None


def test_the_list_reads_the_callers_account_with_the_filters_given(fakes):
    fakes.requests.add(a_file_request())
    fakes.requests.add(a_file_request(account_id="13"))
    page = list_file_requests(staff(), FileRequestQuery(status="opened", limit=5))
    assert fakes.requests.listed == [
        {"account_id": "12", "limit": 5, "patient_id": None, "status": "opened", "after": None}
    ]
    assert [request.account_id for request in page.file_requests] == ["12"]
    assert page.next_cursor is None


def test_one_patients_list_reads_that_patients_index_and_takes_only_its_cursors(fakes):
    # Given a request of patient p-1 in account 12
    request = fakes.requests.add(a_file_request())
    # When staff list that patient's requests, Then the patient's own index is read
    page = list_file_requests(staff(), FileRequestQuery(patient_id=request.patient_id, status="opened", limit=5))
    assert fakes.requests.listed == [
        {"account_id": "12", "limit": 5, "patient_id": request.patient_id, "status": "opened", "after": None}
    ]
    assert [r.id for r in page.file_requests] == [request.id]
    # And a cursor of the account's list (or of another patient's) is refused there
    account_cursor = encode_cursor({"PK": "FILEREQ#x", "SK": "REQUEST", "GSI1PK": "FILEREQS#12", "GSI1SK": "2026#x"})
    other = encode_cursor({"PK": "FILEREQ#x", "SK": "REQUEST", "GSI2PK": "FILEREQS#12#p-2", "GSI2SK": "2026#x"})
    for cursor in (account_cursor, other):
        with pytest.raises(InvalidField):
            list_file_requests(staff(), FileRequestQuery(patient_id=request.patient_id, cursor=cursor))


def test_the_next_cursor_carries_on_where_the_page_ended(fakes):
    # Given three requests of account 12
    oldest, middle, newest = (
        fakes.requests.add(a_file_request(created_at=NOW - timedelta(hours=h))) for h in (3, 2, 1)
    )
    # When staff read pages of two
    first = list_file_requests(staff(), FileRequestQuery(limit=2))
    second = list_file_requests(staff(), FileRequestQuery(limit=2, cursor=first.next_cursor))
    # Then the second page starts after the first, and is the last
    assert [r.id for r in first.file_requests] == [newest.id, middle.id]
    assert [r.id for r in second.file_requests] == [oldest.id]
    assert second.next_cursor is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        encode_cursor({"PK": "FILEREQ#x", "SK": "REQUEST", "GSI1PK": "FILEREQS#13", "GSI1SK": "2026#x"}),
        encode_cursor({"PK": "DOC#1", "SK": "DOC", "GSI1PK": "PATIENT#12#1", "GSI1SK": "2026#1"}),
    ],
    ids=["garbage", "another account's list", "another kind of list"],
)
def test_a_cursor_that_is_not_from_this_accounts_list_is_refused_before_reading(fakes, cursor):
    with pytest.raises(InvalidField) as caught:
        list_file_requests(staff(), FileRequestQuery(cursor=cursor))
    assert caught.value.field == "cursor"
    assert fakes.requests.listed == []


def test_a_patient_token_cannot_list_requests(fakes):
    with pytest.raises(NotFound):
        list_file_requests(patient(), FileRequestQuery())
    assert fakes.requests.listed == []
