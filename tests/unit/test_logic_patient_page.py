"""The patient page: open a link, prove the date of birth (five tries), then get one upload slot per photo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.stub import ANY

from patient_docs.adapters import file_requests_table
from patient_docs.adapters.table import record_item
from patient_docs.errors import Conflict, Gone, InvalidField, Locked, NotFound, PayloadTooLarge, WrongAnswer
from patient_docs.logic.patient_page import open_page, presign_photo, verify_patient
from patient_docs.rules.patient_page import MAX_WRONG_ANSWERS, session_hash
from tests.unit.doubles import DATE_OF_BIRTH, NOW, a_file_request, a_patient

pytestmark = pytest.mark.usefixtures("no_network")

LINK = "AbCdEfGhIjKl"
REAL_OPEN_REQUEST = file_requests_table.open_request
ANY_UPDATE = {
    "TableName": ANY,
    "Key": ANY,
    "UpdateExpression": ANY,
    "ConditionExpression": ANY,
    "ExpressionAttributeValues": ANY,
    "ExpressionAttributeNames": ANY,
    "ReturnValues": "ALL_NEW",
    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
}


@pytest.fixture
def request_for(fakes):
    """``request_for(**changes)``: a stored request behind ``LINK``, for the patient on record."""
    fakes.people.add_patient(a_patient())

    def store(**changes):
        return fakes.requests.add(a_file_request(short_link_id=LINK, **changes))

    return store


def unusable(reason):
    """The changes that make a link unusable for ``reason``."""
    return {
        "expired": {"short_link_expires_at": NOW - timedelta(seconds=1)},
        "cancelled": {"status": "cancelled"},
        "locked": {"failed_verifications": MAX_WRONG_ANSWERS},
    }[reason]


REFUSAL = {"expired": Gone, "cancelled": Gone, "locked": Locked}


# ------------------------------------------------------------------ opening the link


def test_opening_a_usable_link_marks_the_request_opened_and_shows_who_asks(fakes, request_for):
    request = request_for(status="notified")
    view = open_page(LINK, NOW)
    assert view.staff_name == "Dr Rachel Williams"
    assert (view.max_files, view.accepted_types) == (
        10,
        ["image/heic", "image/heif", "image/jpeg", "image/png", "image/webp"],
    )
    assert fakes.requests.requests[request.id].status == "opened"
    assert fakes.requests.requests[request.id].opened_at == NOW


def test_opening_it_again_keeps_the_first_opening(fakes, request_for):
    request = request_for(status="opened", opened_at=NOW - timedelta(hours=2))
    open_page(LINK, NOW)
    assert fakes.requests.requests[request.id].opened_at == NOW - timedelta(hours=2)


@pytest.mark.parametrize("link", ["short", "AbCdEfGhIj!l", "x" * 200])
def test_a_malformed_link_is_not_found_without_a_read(fakes, monkeypatch, link):
    monkeypatch.setattr(file_requests_table, "open_request", fail_if_called)
    with pytest.raises(NotFound):
        open_page(link, NOW)


def test_an_unknown_link_is_not_found(fakes):
    with pytest.raises(NotFound):
        open_page("ZZZZZZZZZZZZ", NOW)


@pytest.mark.parametrize("reason", ["expired", "cancelled", "locked"])
def test_a_link_that_no_longer_works_says_why_and_is_not_marked_opened(fakes, request_for, reason):
    request = request_for(**{"status": "notified", **unusable(reason)})
    view = open_page(LINK, NOW)
    # The page says why, and still whom to contact
    assert view.state == reason and view.practice == "PatientDocs"
    assert fakes.requests.requests[request.id].opened_at is None


def test_a_locked_link_says_locked_even_once_expired(fakes, request_for):
    request_for(**unusable("locked"), **unusable("expired"))
    assert open_page(LINK, NOW).state == "locked"


def test_the_page_names_the_practice_as_the_account_set_it_and_in_its_language(fakes, request_for):
    request_for(
        status="notified",
        sms_sender_id="Clinic12",
        practice_name="Meddygfa'r Bont",
        practice_phone="+442920000000",
        language="cy",
    )
    view = open_page(LINK, NOW)
    assert (view.practice, view.practice_phone, view.language) == ("Meddygfa'r Bont", "+442920000000", "cy")


def test_an_answered_request_stays_open_for_more_photos(fakes, request_for):
    request = request_for(status="responded")
    assert open_page(LINK, NOW).staff_name
    assert fakes.requests.requests[request.id].status == "responded"


def test_a_link_dynamodb_finds_cancelled_is_shown_cancelled_from_the_same_call(fakes, request_for, stub, monkeypatch):
    # Given DynamoDB refuses the opening's condition and hands back the request as it is: cancelled
    monkeypatch.setattr(file_requests_table, "open_request", REAL_OPEN_REQUEST)
    request = request_for(status="cancelled")
    item = record_item(request, {"PK": f"FILEREQ#{request.id}", "SK": "REQUEST"}, "file_request")
    stub("dynamodb").add_client_error(
        "update_item", "ConditionalCheckFailedException", modeled_fields={"Item": item}, expected_params=ANY_UPDATE
    )
    # When the patient opens the link: no other read is queued, so none may be made
    assert open_page(LINK, NOW).state == "cancelled"


def test_a_throttled_opening_is_an_error_not_an_unknown_link(fakes, request_for, stub, monkeypatch):
    monkeypatch.setattr(file_requests_table, "open_request", REAL_OPEN_REQUEST)
    request_for(status="notified")
    stub("dynamodb").add_client_error(
        "update_item", "ProvisionedThroughputExceededException", expected_params=ANY_UPDATE
    )
    with pytest.raises(Exception, match="ProvisionedThroughputExceeded"):
        open_page(LINK, NOW)


# ------------------------------------------------------------------ the date-of-birth check


def test_the_right_date_of_birth_opens_an_upload_session_bound_to_the_request(fakes, request_for, settings_env):
    # Given sessions last 20 minutes
    settings_env(UPLOAD_SESSION_MINUTES=20)
    request = request_for(status="opened")
    # When the patient answers their date of birth
    session = verify_patient(LINK, DATE_OF_BIRTH, NOW)
    # Then only the token's hash is stored, for this request, until the session ends
    assert fakes.requests.sessions == {session_hash(session.token): (request.id, NOW + timedelta(minutes=20))}
    assert session.token not in str(fakes.requests.sessions)
    assert session.expires_at == NOW + timedelta(minutes=20)
    assert session.prompt == request.prompt  # what is asked for comes with the session
    assert fakes.requests.requests[request.id].status == "verified"
    assert fakes.requests.wrong_answers == 0


def test_a_wrong_date_of_birth_is_counted_and_says_how_many_tries_are_left(fakes, request_for):
    request = request_for(failed_verifications=1)
    with pytest.raises(WrongAnswer) as caught:
        verify_patient(LINK, "1980-06-18", NOW)
    assert caught.value.field == "date_of_birth"
    assert caught.value.attempts_left == MAX_WRONG_ANSWERS - 2
    assert fakes.requests.requests[request.id].failed_verifications == 2
    assert fakes.requests.sessions == {}


def test_the_fifth_wrong_answer_locks_the_link_and_the_right_one_no_longer_helps(fakes, request_for):
    # Given four wrong answers so far
    request_for(failed_verifications=MAX_WRONG_ANSWERS - 1)
    # When the fifth is wrong too
    with pytest.raises(Locked):
        verify_patient(LINK, "1980-06-18", NOW)
    # Then even the right date of birth opens no session
    with pytest.raises(Locked):
        verify_patient(LINK, DATE_OF_BIRTH, NOW)
    assert fakes.requests.sessions == {}


def test_a_wrong_answer_racing_the_lock_is_locked_not_counted_again(fakes, request_for, monkeypatch):
    # Given another wrong answer locks the link between this one's read and its write
    request = request_for(failed_verifications=MAX_WRONG_ANSWERS - 2)
    real = fakes.requests.count_wrong_answer

    def locked_meanwhile(read, at, event):
        fakes.requests._set(read.id, failed_verifications=MAX_WRONG_ANSWERS)
        monkeypatch.setattr(file_requests_table, "count_wrong_answer", real)
        return real(read, at, event)

    monkeypatch.setattr(file_requests_table, "count_wrong_answer", locked_meanwhile)
    # When this wrong answer is written
    with pytest.raises(Locked):
        verify_patient(LINK, "1980-06-18", NOW)
    # Then it was not counted past the lock, and the trail says it came to a locked link
    assert fakes.requests.requests[request.id].failed_verifications == MAX_WRONG_ANSWERS
    assert [(e["action"], e["outcome"]) for e in fakes.audit] == [("patient_page.verify_failed", "denied")]


def test_a_right_answer_racing_the_lock_gets_no_session(fakes, request_for, monkeypatch):
    # Given the fifth wrong answer locks the link between a right answer's read and its write
    request = request_for(failed_verifications=MAX_WRONG_ANSWERS - 1)
    real = fakes.requests.confirm_answer

    def locked_meanwhile(read, *args):
        fakes.requests._set(read.id, failed_verifications=MAX_WRONG_ANSWERS)
        return real(read, *args)

    monkeypatch.setattr(file_requests_table, "confirm_answer", locked_meanwhile)
    # When the right answer is written
    with pytest.raises(Locked):
        verify_patient(LINK, DATE_OF_BIRTH, NOW)
    # Then no session exists and the request was not verified
    assert fakes.requests.sessions == {}
    assert fakes.requests.requests[request.id].status != "verified"


def test_each_answer_records_its_outcome_in_the_audit_trail(fakes, request_for):
    # Given a request with three wrong answers so far
    request = request_for(failed_verifications=MAX_WRONG_ANSWERS - 3)
    # When the patient answers wrong, right, then wrong twice more
    with pytest.raises(WrongAnswer):
        verify_patient(LINK, "1980-06-18", NOW)
    verify_patient(LINK, DATE_OF_BIRTH, NOW)
    with pytest.raises(WrongAnswer):
        verify_patient(LINK, "1980-06-19", NOW)
    with pytest.raises(Locked):
        verify_patient(LINK, "1980-06-20", NOW)
    with pytest.raises(Locked):
        verify_patient(LINK, DATE_OF_BIRTH, NOW)
    # Then each answer is one event, in order, on the patient's chain, naming the link by its request
    assert [(e["action"], e["outcome"]) for e in fakes.audit] == [
        ("patient_page.verify_failed", "failure"),
        ("patient_page.verified", "success"),
        ("patient_page.verify_failed", "failure"),
        ("patient_page.locked", "failure"),
        ("patient_page.verify_failed", "denied"),
    ]
    assert {e["chain"] for e in fakes.audit} == {f"{request.account_id}#P#{request.patient_number}"}
    assert {(e["actor_role"], e["actor_link"]) for e in fakes.audit} == {("link", request.id)}
    assert LINK not in str(fakes.audit)


@pytest.mark.parametrize("answer", ["17/06/1980", "1980-02-30", "", "1980-6-17"])
def test_a_malformed_date_is_refused_without_counting_or_reading_the_link(fakes, request_for, monkeypatch, answer):
    request = request_for()
    monkeypatch.setattr(file_requests_table, "get_file_request_by_short_link", fail_if_called)
    with pytest.raises(InvalidField) as caught:
        verify_patient(LINK, answer, NOW)
    assert not isinstance(caught.value, WrongAnswer)
    assert caught.value.field == "date_of_birth"
    assert fakes.requests.requests[request.id].failed_verifications == 0


@pytest.mark.parametrize("reason", ["expired", "cancelled", "locked"])
def test_a_link_that_no_longer_works_takes_no_answer(fakes, request_for, reason):
    request = request_for(**unusable(reason))
    with pytest.raises(REFUSAL[reason]):
        verify_patient(LINK, DATE_OF_BIRTH, NOW)
    assert fakes.requests.sessions == {}
    assert fakes.requests.requests[request.id].failed_verifications == request.failed_verifications


def test_without_a_patient_on_record_every_answer_is_wrong(fakes):
    fakes.requests.add(a_file_request(short_link_id=LINK))
    with pytest.raises(WrongAnswer):
        verify_patient(LINK, DATE_OF_BIRTH, NOW)


# ------------------------------------------------------------------ upload slots


@pytest.fixture
def session(fakes, request_for):
    """A verified request behind ``LINK`` and a live session token for it."""
    request_for(status="verified")
    return verify_patient(LINK, DATE_OF_BIRTH, NOW).token


def test_a_photo_gets_a_presigned_post_under_the_requests_own_prefix(fakes, session, settings_env):
    settings_env(PHOTO_MAX_BYTES=1000)
    request = fakes.requests.get_file_request_by_short_link(LINK)
    upload = presign_photo(LINK, session, "IMG 0001.JPG", "image/jpeg", 900, NOW)
    (post,) = fakes.objects.presigned_posts
    assert post["key"] == f"file-requests/{request.account_id}/{request.id}/{upload.file_id}.jpg"
    assert (post["content_type"], post["min"], post["max"]) == ("image/jpeg", 1, 1000)
    assert fakes.requests.requests[request.id].upload_slots == 1


@pytest.mark.parametrize(
    ("token", "age"),
    [(None, 0), ("a-token-never-issued", 0), ("live", 16)],
    ids=["no session", "unknown session", "expired session"],
)
def test_without_a_live_session_no_slot_is_taken(fakes, session, token, age):
    with pytest.raises(InvalidField) as caught:
        presign_photo(
            LINK, session if token == "live" else token, "a.jpg", "image/jpeg", 10, NOW + timedelta(minutes=age)
        )
    assert caught.value.field == "X-Upload-Session"
    assert fakes.objects.presigned_posts == []


def test_a_session_of_another_request_does_not_open_this_one(fakes, session):
    other = fakes.requests.add(a_file_request(short_link_id="OtherLink123"))
    with pytest.raises(InvalidField, match="confirm your date of birth"):
        presign_photo(other.short_link_id, session, "a.jpg", "image/jpeg", 10, NOW)


@pytest.mark.parametrize(
    ("content_type", "size", "refusal", "field"),
    [
        ("application/pdf", 10, InvalidField, "content_type"),
        ("image/gif", 10, InvalidField, "content_type"),
        ("image/jpeg", 15 * 1024 * 1024 + 1, PayloadTooLarge, "size_bytes"),
    ],
)
def test_only_photos_within_the_size_limit_get_a_slot(fakes, session, content_type, size, refusal, field):
    with pytest.raises(refusal) as caught:
        presign_photo(LINK, session, "a", content_type, size, NOW)
    assert caught.value.field == field
    assert fakes.requests.get_file_request_by_short_link(LINK).upload_slots == 0


def test_the_session_is_judged_before_the_photo(fakes, session):
    with pytest.raises(InvalidField) as caught:
        presign_photo(LINK, None, "a.pdf", "application/pdf", 10, NOW)
    assert caught.value.field == "X-Upload-Session"


@pytest.mark.parametrize("reason", ["cancelled", "locked"])
def test_a_link_that_stopped_working_says_so_before_anything_else(fakes, session, reason):
    # Given the request stops working after the session opened
    request = fakes.requests.get_file_request_by_short_link(LINK)
    fakes.requests._set(request.id, **unusable(reason))
    # When the patient asks for a slot with a bad type and no session
    with pytest.raises(REFUSAL[reason]):
        presign_photo(LINK, None, "a.pdf", "application/pdf", 10, NOW)
    # And with everything else right
    with pytest.raises(REFUSAL[reason]):
        presign_photo(LINK, session, "a.jpg", "image/jpeg", 10, NOW)
    assert fakes.objects.presigned_posts == []


def test_the_photo_limit_is_a_conflict_once_every_slot_is_taken(fakes, session, settings_env):
    settings_env(PHOTO_MAX_FILES=2)
    presign_photo(LINK, session, "a.jpg", "image/jpeg", 10, NOW)
    presign_photo(LINK, session, "b.jpg", "image/jpeg", 10, NOW)
    with pytest.raises(Conflict, match="at most 2"):
        presign_photo(LINK, session, "c.jpg", "image/jpeg", 10, NOW)
    assert len(fakes.objects.presigned_posts) == 2


def test_an_answered_request_still_takes_photos_until_the_limit(fakes, session):
    request = fakes.requests.get_file_request_by_short_link(LINK)
    fakes.requests._set(request.id, status="responded")
    presign_photo(LINK, session, "a.jpg", "image/jpeg", 10, NOW)
    assert len(fakes.objects.presigned_posts) == 1


@pytest.mark.parametrize("link", ["short", "ZZZZZZZZZZZZ"], ids=["malformed", "unknown"])
def test_an_unknown_link_is_not_found_for_uploads_too(fakes, link):
    with pytest.raises(NotFound):
        presign_photo(link, "token", "a.jpg", "image/jpeg", 10, NOW)


def fail_if_called(*args, **kwargs):
    raise AssertionError("not expected to be called")
