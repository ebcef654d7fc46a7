"""File safety (issue 14): every stored file is scanned for malware, its record shows the scan's state, and
only files with a clean verdict are served.

Scan results are GuardDuty's real event shape (``events/scan_result_record*.json``), delivered through
the template's EventBridge rule (``local.eventbridge``) to the real ScanResultRecordFunction handler;
``tests.scanning.scan_all`` runs the local scanner stand-in (EICAR is THREATS_FOUND) on what was stored.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from patient_docs.adapters import documents_table
from patient_docs.rules.scanning import GONE_ENTRY_DAYS, RETRY_AFTER_SECONDS, SCAN_TAG
from tests import scanning
from tests.conftest import NAMES
from tests.integration import page_helpers
from tests.integration.probe_helpers import PATIENT, save_body, upload_unsigned
from tests.utils import STAFF_12, b64, call, pdf_bytes, png_bytes

DOCS = f"/api/v2/patients/{PATIENT}/documents"


def create_pdf(api: Any, data: bytes | None = None) -> dict[str, Any]:
    body = {
        "doc": {
            "document_name": "results.pdf",
            "data": b64(data or pdf_bytes()),
            "mime_type": "application/pdf",
            "record_type": "Test Result",
        }
    }
    reply = call(api, "POST", DOCS, body, STAFF_12)
    assert reply.status == 201, reply.body
    return dict(reply.json["doc"])


def get_doc(api: Any, doc_id: int) -> Any:
    return call(api, "GET", f"{DOCS}/{doc_id}", caller=STAFF_12)


def listed(api: Any) -> dict[int, dict[str, Any]]:
    return {doc["id"]: doc for doc in call(api, "GET", DOCS, caller=STAFF_12).json["docs"]}


def object_key(aws: Any, doc_id: int) -> str:
    stored = documents_table.get_document(doc_id)
    assert stored is not None
    return stored.object_key


def audit_actions(aws: Any, document_id: int) -> list[str]:
    """The actions recorded on the document, oldest first."""
    items = aws.client("dynamodb").scan(TableName=NAMES["AuditTable"])["Items"]
    mine = [item for item in items if item.get("document_id", {}).get("N") == str(document_id)]
    mine.sort(key=lambda item: (item["chain"]["S"], int(item["seq"]["N"])))
    return [item["action"]["S"] for item in mine]


def exists(aws: Any, key: str) -> bool:
    try:
        aws.client("s3").head_object(Bucket=aws.bucket, Key=key)
    except ClientError:
        return False
    return True


def deliver(event: dict[str, Any]) -> str:
    """The scan-result function's outcome (the image processor hears the same event: test_images.py)."""
    deliveries = scanning.deliver(event)
    assert all(d.error is None for d in deliveries), deliveries
    (delivery,) = [d for d in deliveries if d.function == "ScanResultRecordFunction"]
    return str(delivery.result["outcome"])


@pytest.fixture
def staff_events(aws: Any) -> Any:
    """What staff systems hear on the service's bus: a rule that copies every event to a queue."""
    events, sqs = aws.client("events"), aws.client("sqs")
    queue = sqs.create_queue(QueueName="staff-systems")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = NAMES["FileRequestEvents"]
    events.put_rule(Name="staff", EventBusName=bus, EventPattern=json.dumps({"source": ["patient-docs"]}))
    events.put_targets(Rule="staff", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])

    def heard() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    return heard


# ------------------------------------------------------------------ pending, clean
def test_a_new_document_is_pending_and_asking_for_its_download_is_a_409_with_retry_after(api, aws):
    # Given a document just created through door A
    created = create_pdf(api)
    # Then it says its scan is pending
    assert created["scan_status"] == "pending" and created["scanned_at"] is None
    # When its download is asked for before the scan's result
    reply = get_doc(api, created["id"])
    # Then it is a 409 in door A's format, saying when to ask again, and no URL was handed out
    assert reply.status == 409, reply.body
    assert reply.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert reply.json["error"]["code"] == "scan_pending" and reply.json["error"]["status"] == 409
    assert "document.downloaded" not in audit_actions(aws, created["id"])


def test_a_clean_result_makes_the_file_downloadable_once_and_is_audited_once(api, aws):
    # Given a pending document
    created = create_pdf(api)
    key = object_key(aws, created["id"])
    # When the scanner finds no threat in it
    assert scanning.scan_all(aws) == [key]
    # Then the object carries GuardDuty's tag, and the record its verdict and when it came
    tags = aws.client("s3").get_object_tagging(Bucket=aws.bucket, Key=key)["TagSet"]
    assert {"Key": SCAN_TAG, "Value": "NO_THREATS_FOUND"} in tags
    assert listed(api)[created["id"]]["scan_status"] == "clean"
    # And the download URL is handed out, serving the stored bytes
    reply = get_doc(api, created["id"])
    assert reply.status == 200, reply.body
    assert reply.json["doc"]["scan_status"] == "clean" and reply.json["doc"]["scanned_at"]
    assert requests.get(reply.json["doc"]["download_url"], timeout=30).content == pdf_bytes()
    # And the audit trail says it was scanned, once, before it was downloaded
    assert audit_actions(aws, created["id"]) == ["document.created", "file.scanned", "document.downloaded"]


def test_a_duplicate_result_changes_nothing(api, aws):
    # Given a document whose clean result has been recorded
    created = create_pdf(api)
    event = scanning.result_event(aws, object_key(aws, created["id"]))
    assert deliver(event) == "recorded"
    items, audit = aws.all_items(), audit_actions(aws, created["id"])
    # When EventBridge delivers the same result again
    outcome = deliver(event)
    # Then nothing is written: no item changes, no second audit event
    assert outcome == "unchanged"
    assert aws.all_items() == items and audit_actions(aws, created["id"]) == audit == [
        "document.created",
        "file.scanned",
    ]


# ------------------------------------------------------------------ infected
def test_an_eicar_file_sent_through_door_b_is_quarantined_never_served_and_staff_hear_of_it(api, aws, staff_events):
    # Given the EICAR test file uploaded and saved through door B
    uploaded = upload_unsigned(api, aws, "eicar.txt", scanning.EICAR_FILE, "text/plain")
    saved = call(api, "POST", "/apis/v1/patient-document", save_body(aws, uploaded["file_url"]), STAFF_12)
    assert saved.status == 200, saved.body
    doc = saved.json["data"]
    assert doc["scan_status"] == "pending"
    key = object_key(aws, doc["id"])
    # When the scanner finds the threat
    scanning.scan_all(aws)
    # Then the record says infected, in door B's list and door A's
    door_b = call(api, "GET", f"/apis/v1/patient-document/{PATIENT}", caller=STAFF_12).json["data"]["documents"]
    assert [(d["id"], d["scan_status"]) for d in door_b] == [(doc["id"], "infected")]
    assert door_b[0]["scanned_at"]
    assert listed(api)[doc["id"]]["scan_status"] == "infected"
    # And the file left its place for quarantine
    assert not exists(aws, key) and exists(aws, f"quarantine/{key}")
    # And it is never served: a 409 without Retry-After (asking again will not help)
    reply = get_doc(api, doc["id"])
    assert reply.status == 409 and reply.json["error"]["code"] == "file_withheld", reply.body
    assert "retry-after" not in reply.headers
    # And staff systems heard of it, by ids only
    (heard,) = [event for event in staff_events() if event["detail-type"] == "FileInfected"]
    assert heard["detail"] == {
        "account_id": "12",
        "object_key": key,
        "patient_id": PATIENT,
        "document_id": doc["id"],
    }
    # And the audit trail has the scan's verdict and the move
    assert audit_actions(aws, doc["id"]) == ["document.created", "file.infected", "file.quarantined"]


def test_a_threat_found_before_the_upload_is_saved_refuses_the_save_and_writes_nothing(api, aws, staff_events):
    # Given an EICAR upload whose scan finished before anyone saved it
    uploaded = upload_unsigned(api, aws, "eicar.txt", scanning.EICAR_FILE, "text/plain")
    scanning.scan_all(aws)
    items = [item for item in aws.all_items() if item["entity"]["S"] != "scan_result"]
    # When it is saved
    reply = call(api, "POST", "/apis/v1/patient-document", save_body(aws, uploaded["file_url"]), STAFF_12)
    # Then door B refuses it, naming the field and why, and no document is written
    assert reply.status == 400 and reply.json["message"].startswith("document_url:"), reply.body
    assert "malware" in reply.json["message"]
    assert [item for item in aws.all_items() if item["entity"]["S"] != "scan_result"] == items
    # And staff systems heard of the file anyway
    assert [event["detail-type"] for event in staff_events()] == ["FileInfected"]


# ------------------------------------------------------------------ any order
def test_a_clean_result_that_comes_before_the_save_is_applied_when_the_document_is_saved(api, aws):
    # Given an upload scanned clean before it is saved (door B saves what was uploaded earlier)
    uploaded = upload_unsigned(api, aws, "card.png")
    assert len(scanning.scan_all(aws)) == 1
    # When it is saved
    saved = call(api, "POST", "/apis/v1/patient-document", save_body(aws, uploaded["file_url"]), STAFF_12)
    # Then the new document already has the verdict, and is served
    assert saved.status == 200 and saved.json["data"]["scan_status"] == "clean", saved.body
    assert get_doc(api, saved.json["data"]["id"]).status == 200
    assert audit_actions(aws, saved.json["data"]["id"])[:2] == ["document.created", "file.scanned"]


def test_a_photo_scanned_before_it_is_registered_is_recorded_with_its_result(api, aws):
    # Given a photo sent through the patient page, scanned before its register step ran
    request = page_helpers.create_request(api)
    link = request["short_link_id"]
    session = page_helpers.session_for(api, link)
    page_helpers.upload(api, link, session, png_bytes(), "rash.png", "image/png")
    scanning.scan_all(aws)
    # When the register step runs
    assert page_helpers.register(page_helpers.queued_events(aws)) == {"batchItemFailures": []}
    # Then door C shows the photo clean, with its download URL
    (photo,) = call(api, "GET", f"/v1/file-requests/{request['id']}", caller=STAFF_12).json["files"]
    assert photo["scan_status"] == "clean" and photo["scanned_at"], photo
    # (served clean: the same pixels, re-encoded without metadata; tests/integration/test_images.py)
    assert requests.get(photo["download_url"], timeout=30).content.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("scanned_first", [False, True], ids=["registered first", "scanned first"])
def test_a_photo_gets_its_scan_result_exactly_once_whichever_comes_first(api, aws, scanned_first):
    # Given a photo sent through the patient page
    request = page_helpers.create_request(api)
    link = request["short_link_id"]
    key = page_helpers.upload(api, link, page_helpers.session_for(api, link), png_bytes(), "rash.png", "image/png")
    event = scanning.result_event(aws, key)
    # When its register step and GuardDuty's result come, in either order (the result twice)
    if scanned_first:
        assert deliver(event) == "kept"
    assert page_helpers.register(page_helpers.queued_events(aws)) == {"batchItemFailures": []}
    outcome = deliver(event)
    assert outcome == "unchanged" if scanned_first else outcome == "recorded"
    assert deliver(event) == "unchanged"
    # Then door C shows the photo clean, served clean
    (photo,) = call(api, "GET", f"/v1/file-requests/{request['id']}", caller=STAFF_12).json["files"]
    assert photo["scan_status"] == "clean" and photo["download_url"], photo
    # And its audit chain says it was scanned, once, before it was first downloaded
    actions = audit_actions(aws, photo["document_id"])
    assert actions.count("file.scanned") == 1, actions
    assert actions.index("file.registered") < actions.index("file.scanned") < actions.index("document.downloaded")


def test_a_photo_still_being_scanned_is_listed_without_a_download_url(api, aws):
    # Given a registered photo whose scan has not finished
    request = page_helpers.create_request(api)
    link = request["short_link_id"]
    page_helpers.upload(api, link, page_helpers.session_for(api, link), png_bytes(), "rash.png", "image/png")
    page_helpers.register(page_helpers.queued_events(aws))
    # When staff read the request
    (photo,) = call(api, "GET", f"/v1/file-requests/{request['id']}", caller=STAFF_12).json["files"]
    # Then the file shows its state and no URL, and no download was recorded for it
    assert photo["scan_status"] == "pending" and photo["download_url"] is None
    assert "document.downloaded" not in audit_actions(aws, photo["document_id"])
    # And once scanned, the same read hands out its URL
    scanning.scan_all(aws)
    (photo,) = call(api, "GET", f"/v1/file-requests/{request['id']}", caller=STAFF_12).json["files"]
    assert photo["scan_status"] == "clean" and photo["download_url"]


def test_results_out_of_order_a_threat_wins_and_an_older_verdict_changes_nothing(api, aws):
    # Given a document GuardDuty could not scan at first
    created = create_pdf(api)
    key = object_key(aws, created["id"])
    assert deliver(scanning.result_event(aws, key, "FAILED")) == "recorded"
    assert listed(api)[created["id"]]["scan_status"] == "failed"
    # When a re-scan's clean verdict comes, then it replaces the failure
    assert deliver(scanning.result_event(aws, key, "NO_THREATS_FOUND")) == "recorded"
    assert listed(api)[created["id"]]["scan_status"] == "clean"
    # When the late failure arrives again, then it changes nothing
    assert deliver(scanning.result_event(aws, key, "FAILED")) == "unchanged"
    # When a threat is reported after the clean verdict, then the threat wins and the file goes to quarantine
    assert deliver(scanning.result_event(aws, key, "THREATS_FOUND")) == "recorded"
    assert listed(api)[created["id"]]["scan_status"] == "infected"
    assert not exists(aws, key) and exists(aws, f"quarantine/{key}")
    # And a clean verdict arriving after that changes nothing: infected is final
    assert deliver(scanning.result_event(aws, key, "NO_THREATS_FOUND")) == "unchanged"
    assert listed(api)[created["id"]]["scan_status"] == "infected"
    assert audit_actions(aws, created["id"]) == [
        "document.created",
        "file.scanned",
        "file.scanned",
        "file.infected",
        "file.quarantined",
    ]


def test_a_result_recorded_under_its_object_but_not_on_the_document_is_applied_when_the_document_is_read(
    api, aws, monkeypatch
):
    # Given a document whose result reached its object's entry, while writing it on the document failed
    # every time Lambda tried (the event went to the dead-letter queue)
    created = create_pdf(api)
    event = scanning.result_event(aws, object_key(aws, created["id"]))

    def unavailable(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("DynamoDB unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(documents_table, "set_scan_status", unavailable)
        (delivery,) = [d for d in scanning.deliver(event) if d.function == "ScanResultRecordFunction"]
    assert delivery.error == "RuntimeError" and delivery.attempts == 3
    assert listed(api)[created["id"]]["scan_status"] == "pending"
    # When the document is asked for
    reply = get_doc(api, created["id"])
    # Then the waiting result is applied and the file served
    assert reply.status == 200 and reply.json["doc"]["scan_status"] == "clean", reply.body
    assert audit_actions(aws, created["id"]) == ["document.created", "file.scanned", "document.downloaded"]


def test_a_delete_removes_the_scan_entry_in_its_transaction_so_a_failure_leaves_every_record(api, aws):
    from botocore.exceptions import ClientError as Failure

    from patient_docs.adapters import aws as clients
    from tests.integration.test_aws_round_trips import aws_calls

    # Given a door A document, scanned: its object has a scan entry
    created = create_pdf(api)
    key = object_key(aws, created["id"])
    scanning.scan_all(aws)
    assert any(item["PK"]["S"] == f"SCAN#{key}" for item in aws.all_items())
    before = aws.all_items()
    path = f"{DOCS}/{created['id']}"

    # When DynamoDB fails every write of the delete that is not part of its transaction, or the transaction
    def fail(**_: Any) -> None:
        raise Failure({"Error": {"Code": "InternalServerError", "Message": "down"}}, "DeleteItem")

    events = clients.dynamodb().meta.events
    events.register("before-call.dynamodb.DeleteItem", fail, unique_id="fail-delete-item")
    events.register("before-call.dynamodb.TransactWriteItems", fail, unique_id="fail-transaction")
    try:
        refused = call(api, "DELETE", path, caller=STAFF_12)
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="fail-transaction")
    # Then nothing of the records is half-done: the document, its claim, its count and its scan entry stay
    assert refused.status >= 500 and aws.all_items() == before
    assert "document.deleted" not in audit_actions(aws, created["id"])

    # When it is retried (standalone deletes still failing)
    try:
        with aws_calls("InlineDocumentsDeleteFunction") as calls:
            deleted = call(api, "DELETE", path, caller=STAFF_12)
    finally:
        events.unregister("before-call.dynamodb.DeleteItem", unique_id="fail-delete-item")
    # Then the scan entry went with the document, in its one transaction: no DeleteItem of its own
    assert deleted.status == 204, deleted.body
    assert calls == ["GetItem", "DeleteObject", "Query", "TransactWriteItems"]
    assert [item for item in aws.all_items() if key in str(item)] == []
    assert audit_actions(aws, created["id"]).count("document.deleted") == 1


# ------------------------------------------------------------------ a result for an object already gone
def scan_items(aws: Any, key: str) -> list[dict[str, Any]]:
    return [item for item in aws.all_items() if item["PK"]["S"] == f"SCAN#{key}"]


def expires_in_days(item: dict[str, Any]) -> float:
    return (int(item["ttl"]["N"]) - time.time()) / 86400


@pytest.mark.parametrize("status", ["NO_THREATS_FOUND", "THREATS_FOUND"])
def test_a_result_that_comes_after_its_document_was_deleted_leaves_only_an_entry_that_expires(
    api, aws, staff_events, status
):
    # Given a scanned door A document, then deleted: its object and its scan entry went with it
    created = create_pdf(api)
    key = object_key(aws, created["id"])
    scanning.scan_all(aws)
    assert call(api, "DELETE", f"{DOCS}/{created['id']}", caller=STAFF_12).status == 204
    assert scan_items(aws, key) == []
    # When a result for its object comes after that (a re-scan, or a late delivery), twice
    event = scanning.result_event(aws, key, status)
    assert deliver(event) == "gone"
    (item,) = scan_items(aws, key)
    items = aws.all_items()
    assert deliver(event) == "unchanged"
    # Then the one entry it made names no document and expires with the table's TTL, in GONE_ENTRY_DAYS
    assert "document_id" not in item
    assert GONE_ENTRY_DAYS - 1 < expires_in_days(item) <= GONE_ENTRY_DAYS
    assert aws.all_items() == items  # the duplicate wrote nothing
    # And nothing was moved or announced for a file that is not there
    assert not exists(aws, f"quarantine/{key}") and staff_events() == []
    assert audit_actions(aws, created["id"]).count("document.deleted") == 1


def test_a_result_that_lands_while_its_document_is_being_deleted_leaves_nothing(api, aws, monkeypatch):
    from patient_docs.logic import delete_document

    # Given a door A document
    created = create_pdf(api)
    key = object_key(aws, created["id"])
    outcomes: list[str] = []
    real = delete_document.documents_table.delete_document

    def result_between_object_and_records(*args: Any, **kwargs: Any) -> None:
        outcomes.append(deliver(scanning.result_event(aws, key)))  # the object is gone, the records not yet
        real(*args, **kwargs)

    monkeypatch.setattr(delete_document.documents_table, "delete_document", result_between_object_and_records)
    # When its scan result lands after the delete removed its object, before the delete's transaction
    assert call(api, "DELETE", f"{DOCS}/{created['id']}", caller=STAFF_12).status == 204
    # Then the result was recorded on the document still there, and the transaction removed its entry
    assert outcomes == ["recorded"]
    assert scan_items(aws, key) == []
    # And a duplicate of it after the delete leaves only an entry that expires
    assert deliver(scanning.result_event(aws, key)) == "gone"
    assert "ttl" in scan_items(aws, key)[0]


def test_a_result_for_an_upload_waiting_to_be_saved_never_expires(api, aws):
    # Given an upload scanned before its save (door B saves it whenever it is ready)
    uploaded = upload_unsigned(api, aws, "card.png")
    (key,) = scanning.scan_all(aws)
    # Then its entry is kept without an expiry
    (item,) = scan_items(aws, key)
    assert "ttl" not in item
    # And once saved, its document names it, still without one
    saved = call(api, "POST", "/apis/v1/patient-document", save_body(aws, uploaded["file_url"]), STAFF_12)
    assert saved.status == 200 and saved.json["data"]["scan_status"] == "clean", saved.body
    (item,) = scan_items(aws, key)
    assert item["document_id"]["N"] == str(saved.json["data"]["id"]) and "ttl" not in item


def test_an_infected_upload_quarantined_before_its_save_is_refused_until_its_entry_expires(api, aws, staff_events):
    # Given an EICAR upload, scanned (and moved to quarantine) before anyone saved it
    uploaded = upload_unsigned(api, aws, "eicar.txt", scanning.EICAR_FILE, "text/plain")
    (key,) = scanning.scan_all(aws)
    assert not exists(aws, key) and exists(aws, f"quarantine/{key}")
    assert [event["detail-type"] for event in staff_events()] == ["FileInfected"]
    # Then its entry, which no record will ever name, expires
    (item,) = scan_items(aws, key)
    assert GONE_ENTRY_DAYS - 1 < expires_in_days(item) <= GONE_ENTRY_DAYS
    # And meanwhile a save of it is refused, saying why
    reply = call(api, "POST", "/apis/v1/patient-document", save_body(aws, uploaded["file_url"]), STAFF_12)
    assert reply.status == 400 and "malware" in reply.json["message"], reply.body


def test_a_result_for_another_bucket_or_key_is_ignored(api, aws):
    # Given results naming an object of another bucket, and a key this service never issues
    created = create_pdf(api)
    key = object_key(aws, created["id"])
    items = aws.all_items()
    # When they are delivered, then the rule passes over the other bucket, and the handler ignores the key
    assert scanning.deliver(scanning.result_event(aws, key, bucket="someone-elses-bucket")) == []
    assert deliver(scanning.result_event(aws, "accounts/12/notes.txt")) == "ignored"
    # And nothing was written
    assert aws.all_items() == items


# ------------------------------------------------------------------ the deployment's policy
@pytest.mark.parametrize(
    ("policy", "status", "served"),
    [
        ("withhold", "UNSUPPORTED", False),
        ("withhold", "FAILED", False),
        ("serve-unsupported", "UNSUPPORTED", True),
        ("serve-unsupported", "ACCESS_DENIED", False),
        ("serve-unsupported-and-failed", "FAILED", True),
        ("serve-unsupported-and-failed", "THREATS_FOUND", False),
    ],
)
def test_files_without_a_clean_verdict_are_served_only_as_the_policy_says(
    api, aws, settings_env, policy, status, served
):
    # Given a deployment's UnscannedFilePolicy, and a document whose scan gave this result
    settings_env(UNSCANNED_FILE_POLICY=policy)
    created = create_pdf(api)
    deliver(scanning.result_event(aws, object_key(aws, created["id"]), status))
    # When its download is asked for
    reply = get_doc(api, created["id"])
    # Then it is served only where the policy serves that status; otherwise withheld, for good
    if served:
        assert reply.status == 200, reply.body
    else:
        assert reply.status == 409 and reply.json["error"]["code"] == "file_withheld", reply.body


def test_with_scanning_switched_off_new_files_are_unsupported_and_served(api, aws, settings_env):
    # Given a stage that turned the scanner off
    settings_env(MALWARE_SCANNING="Disabled")
    # When a document is created
    created = create_pdf(api)
    # Then it says it was not scanned, and it is served; no scan entry was made for it
    assert created["scan_status"] == "unsupported"
    assert get_doc(api, created["id"]).status == 200
    assert not [item for item in aws.all_items() if item["entity"]["S"] == "scan_result"]


@pytest.fixture
def settings_env(monkeypatch):
    from patient_docs.settings import get_settings

    def override(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield override
    get_settings.cache_clear()


def test_an_older_skip_or_failure_arriving_again_does_not_replace_a_newer_one(api, aws):
    from datetime import UTC, datetime, timedelta

    # Given a document GuardDuty failed on at first, then skipped on a re-scan (unsupported, e.g. encrypted)
    created = create_pdf(api)
    key = object_key(aws, created["id"])
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    failed = scanning.result_event(aws, key, "FAILED", at=first)
    assert deliver(failed) == "recorded"
    assert deliver(scanning.result_event(aws, key, "UNSUPPORTED", at=first + timedelta(minutes=5))) == "recorded"
    assert listed(api)[created["id"]]["scan_status"] == "unsupported"
    items = aws.all_items()
    # When EventBridge delivers the first (older) result again
    assert deliver(failed) == "unchanged"
    # Then nothing changes: the newer result stands, and no audit event is added
    assert listed(api)[created["id"]]["scan_status"] == "unsupported"
    assert aws.all_items() == items
    assert audit_actions(aws, created["id"]) == ["document.created", "file.scanned", "file.scanned"]
