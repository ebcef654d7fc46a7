"""A photo landed in the bucket: record it once as a file and a document, or quarantine it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from botocore.stub import ANY

from patient_docs.adapters import file_requests_table
from patient_docs.errors import AuditUnavailable
from patient_docs.logic import register_uploaded_file as use_case
from patient_docs.logic.register_uploaded_file import register_uploaded_file
from patient_docs.rules.patient_page import MAX_WRONG_ANSWERS
from tests.unit.doubles import JPEG, NOW, PDF, PNG, a_file_request, a_request_file

pytestmark = pytest.mark.usefixtures("no_network")

REAL_RECORD_ANSWER = file_requests_table.record_answer


@pytest.fixture
def upload(fakes):
    """``upload(data, content_type, **request_changes)``: a request, and an object at a key issued for it."""

    def land(data=JPEG, content_type="image/jpeg", name="IMG_0001.JPG", file_id=None, **changes):
        request = fakes.requests.add(a_file_request(**{"status": "verified", **changes}))
        key = f"file-requests/{request.account_id}/{request.id}/{file_id or uuid.uuid4()}.jpg"
        fakes.objects.put_object(key, data, content_type, name)
        return request, key

    return land


def quarantined(fakes, key):
    return fakes.objects.quarantined == [(key, f"quarantine/{key}")]


def test_a_photo_is_recorded_as_a_file_and_a_document_of_the_patient(fakes, upload, settings_env):
    # Given staff may open files for 48 hours, and a verified request with a JPEG just uploaded
    settings_env(FILE_ACCESS_HOURS=48)
    request, key = upload()
    # When the upload is registered
    assert register_uploaded_file(key, NOW) == "recorded"
    # Then the file and its document are written together, linked to each other
    ((file, document_item),) = fakes.requests.answers
    assert (file.object_key, file.mime_type, file.original_name, file.size) == (
        key,
        "image/jpeg",
        "IMG_0001.JPG",
        len(JPEG),
    )
    assert file.expires_at == NOW + timedelta(hours=48)
    assert document_item["id"] == {"N": str(file.document_id)}
    assert document_item["patient_id"] == {"N": str(request.patient_number)}
    assert document_item["source"] == {"S": "file_request"}
    assert document_item["file_request_id"] == {"S": request.id}
    # And the request is answered, and staff systems hear of it by ids only
    assert fakes.requests.requests[request.id].status == "responded"
    ((detail_type, detail),) = fakes.events
    assert detail_type == "FileRequestResponded"
    assert detail == {
        "file_request_id": request.id,
        "account_id": request.account_id,
        "file_id": file.id,
        "document_id": file.document_id,
    }
    assert fakes.objects.quarantined == []


def test_a_photo_without_a_name_is_named_by_its_type(fakes, upload):
    _, key = upload(name=None)
    register_uploaded_file(key, NOW)
    ((file, _),) = fakes.requests.answers
    assert file.original_name == "photo.jpg"


def test_the_same_event_delivered_again_records_nothing_more(fakes, upload):
    _, key = upload()
    register_uploaded_file(key, NOW)
    assert register_uploaded_file(key, NOW) == "duplicate"
    assert len(fakes.requests.answers) == 1
    assert len(fakes.events) == 1


def test_a_redelivery_finishes_what_a_first_delivery_left_undone(fakes, upload):
    # Given the file was recorded but the request never moved to responded
    file_id = str(uuid.uuid4())
    request, key = upload(file_id=file_id)
    fakes.requests.add(request.model_copy(update={"files": [a_request_file(request, id=file_id, object_key=key)]}))
    # When the event arrives again
    assert register_uploaded_file(key, NOW) == "duplicate"
    # Then the request is answered now, and nothing else is written
    assert fakes.requests.requests[request.id].status == "responded"
    assert fakes.requests.answers == []


def test_an_answered_request_takes_more_photos_without_another_status_write(fakes, upload):
    _, key = upload(status="responded")
    assert register_uploaded_file(key, NOW) == "recorded"
    assert fakes.requests.responded == []


@pytest.mark.parametrize(
    "key",
    [
        "file-requests/12/not-a-request/also-not.jpg",
        "accounts/12/patients/1/documents/" + "a" * 32 + ".jpg",
        f"file-requests/12/{uuid.uuid4()}/{uuid.uuid4()}.jpg/../../x",
    ],
)
def test_an_object_at_a_key_this_service_never_issued_is_quarantined(fakes, key):
    assert register_uploaded_file(key, NOW) == "quarantined"
    assert quarantined(fakes, key)
    assert fakes.requests.answers == []


def test_an_object_for_an_unknown_request_is_quarantined(fakes):
    key = f"file-requests/12/{uuid.uuid4()}/{uuid.uuid4()}.jpg"
    assert register_uploaded_file(key, NOW) == "quarantined"
    assert quarantined(fakes, key)


def test_an_object_under_another_accounts_prefix_is_quarantined(fakes, upload):
    request, key = upload()
    forged = key.replace(f"file-requests/{request.account_id}/", "file-requests/13/")
    fakes.objects.put_object(forged, JPEG, "image/jpeg", "x.jpg")
    assert register_uploaded_file(forged, NOW) == "quarantined"
    assert quarantined(fakes, forged)
    assert fakes.requests.answers == []


@pytest.mark.parametrize(
    "changes",
    [{"status": "cancelled"}, {"short_link_expires_at": NOW - timedelta(seconds=1)}],
    ids=["cancelled", "expired"],
)
def test_a_photo_for_a_request_no_longer_open_is_quarantined(fakes, upload, changes):
    request, key = upload(**changes)
    assert register_uploaded_file(key, NOW) == "quarantined"
    assert quarantined(fakes, key)
    assert fakes.requests.answers == [] and fakes.events == []
    assert fakes.requests.requests[request.id].status == request.status


def test_a_photo_sent_before_the_link_locked_is_still_recorded(fakes, upload):
    _, key = upload(failed_verifications=MAX_WRONG_ANSWERS)
    assert register_uploaded_file(key, NOW) == "recorded"


def test_an_object_already_gone_is_left_alone(fakes, upload):
    _, key = upload()
    del fakes.objects.objects[key]
    assert register_uploaded_file(key, NOW) == "gone"
    assert fakes.objects.quarantined == [] and fakes.requests.answers == []


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (PDF, "application/pdf"),  # not a photo type
        (PDF, "image/jpeg"),  # declared a photo, the bytes say otherwise
        (PNG, "image/jpeg"),  # a photo, but not the one declared
        (b"GIF89a" + b"\x00" * 58, "image/gif"),  # an image, but not an accepted photo type
    ],
    ids=["pdf", "pdf declared jpeg", "png declared jpeg", "gif"],
)
def test_anything_but_a_photo_of_the_declared_accepted_type_is_quarantined(fakes, upload, data, content_type):
    request, key = upload(data=data, content_type=content_type)
    assert register_uploaded_file(key, NOW) == "quarantined"
    assert quarantined(fakes, key)
    assert fakes.requests.answers == []
    assert fakes.requests.requests[request.id].status == "verified"


def test_a_heic_declared_as_heif_is_the_same_family_and_recorded(fakes, upload):
    heic = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 52
    _, key = upload(data=heic, content_type="image/heif")
    assert register_uploaded_file(key, NOW) == "recorded"


@pytest.mark.parametrize("size", [0, 101])
def test_an_empty_or_oversized_photo_is_quarantined(fakes, upload, settings_env, size):
    settings_env(PHOTO_MAX_BYTES=100)
    _, key = upload(data=(JPEG * 2)[:size])
    assert register_uploaded_file(key, NOW) == "quarantined"
    assert quarantined(fakes, key)


def test_a_document_id_clash_is_retried_under_a_new_id_for_the_same_file(fakes, upload, monkeypatch):
    # Given the first document id drawn is taken
    ids = iter([7, 8])
    monkeypatch.setattr(use_case, "new_document_id", lambda: next(ids))
    fakes.requests.answer_outcomes.append("document_id_taken")
    _, key = upload()
    # When the upload is registered
    assert register_uploaded_file(key, NOW) == "recorded"
    # Then it is recorded once, under the second id
    ((file, document_item),) = fakes.requests.answers
    assert file.document_id == 8 and document_item["id"] == {"N": "8"}


def test_a_parallel_delivery_that_recorded_first_makes_this_one_a_duplicate(fakes, upload):
    fakes.requests.answer_outcomes.append("duplicate")
    request, key = upload()
    assert register_uploaded_file(key, NOW) == "duplicate"
    assert fakes.events == []
    assert fakes.requests.requests[request.id].status == "responded"


def test_five_document_id_clashes_fail_so_that_the_message_is_retried(fakes, upload):
    fakes.requests.answer_outcomes.extend(["document_id_taken"] * 5)
    _, key = upload()
    with pytest.raises(RuntimeError, match="document id"):
        register_uploaded_file(key, NOW)
    assert fakes.events == []


# ------------------------------------------------------------------ the recording transaction at DynamoDB (Stubber)


def cancelled(stubber, *reasons):
    stubber.add_client_error(
        "transact_write_items",
        "TransactionCanceledException",
        modeled_fields={"CancellationReasons": [{"Code": code} for code in reasons]},
        expected_params={"TransactItems": ANY},
    )


@pytest.fixture
def real_transaction(monkeypatch):
    monkeypatch.setattr(file_requests_table, "record_answer", REAL_RECORD_ANSWER)


def test_the_file_item_already_there_means_a_duplicate(fakes, upload, real_transaction, stub):
    cancelled(stub("dynamodb"), "ConditionalCheckFailed", "None")
    _, key = upload()
    assert register_uploaded_file(key, NOW) == "duplicate"
    assert fakes.events == []


def test_the_document_id_taken_means_another_try_with_a_new_id(fakes, upload, real_transaction, stub):
    dynamodb = stub("dynamodb")
    cancelled(dynamodb, "None", "ConditionalCheckFailed")
    dynamodb.add_response("transact_write_items", {}, {"TransactItems": ANY})
    _, key = upload()
    assert register_uploaded_file(key, NOW) == "recorded"
    assert len(fakes.events) == 1


def test_a_conflict_with_another_transaction_is_tried_again_at_once(fakes, upload, real_transaction, stub):
    # Given a transaction that another (a photo of the same patient) cancels once
    dynamodb = stub("dynamodb")
    cancelled(dynamodb, "None", "None", "TransactionConflict")
    dynamodb.add_response("transact_write_items", {}, {"TransactItems": ANY})
    _, key = upload()
    # Then the same writes go again, and the photo is recorded once
    assert register_uploaded_file(key, NOW) == "recorded"
    assert fakes.audit_actions() == ["file.registered"]


def test_any_other_failure_is_raised_so_that_the_queue_delivers_again(fakes, upload, real_transaction, stub):
    stub("dynamodb").add_client_error(
        "transact_write_items", "ThrottlingException", expected_params={"TransactItems": ANY}
    )
    request, key = upload()
    with pytest.raises(AuditUnavailable):
        register_uploaded_file(key, NOW)
    assert fakes.events == []
    assert fakes.requests.requests[request.id].status == "verified"
    assert fakes.objects.quarantined == []
