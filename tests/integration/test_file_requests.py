"""Door C through the real handlers against moto: file requests, notifications, companions, refusals."""

from __future__ import annotations

import copy
import json
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import NAMES
from tests.shape import shape_problems
from tests.utils import STAFF_12, STAFF_13, call, key_of_presigned_url, png_bytes, seed_example

REQUESTS = "/v1/file-requests"
SEED_REQUEST = seed_example("file_requests_create_request")
SEED_CREATED = seed_example("file_requests_create_response")
SEED_FETCHED = seed_example("file_requests_get_response")
MOBILE = SEED_REQUEST["patientMobile"]
ADMIN_12 = {"role": "admin", "account": "12"}
EVENTS = Path(__file__).resolve().parents[2] / "events"


def seed_body(**changes):
    body = copy.deepcopy(SEED_REQUEST)
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def create(api, body=None, caller=STAFF_12, key=None):
    headers = {"idempotency-key": key} if key else None
    return call(api, "POST", REQUESTS, body if body is not None else seed_body(), caller, headers=headers)


def stored_request(api, created):
    """The request as stored now (after the notification sender has handled its notice)."""
    return call(api, "GET", f"{REQUESTS}/{created['id']}", caller=STAFF_12).json


def queued_notices(aws):
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=NAMES["NotificationsQueue"])["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def items_of(aws, entity):
    return [item for item in aws.all_items() if item.get("entity", {}).get("S") == entity]


@pytest.fixture
def sns_calls(aws, monkeypatch):
    """Every SNS publish the service makes, with its arguments (the call still reaches moto)."""
    from patient_docs.adapters import aws as clients

    client = clients.sns()
    calls = []
    original = client.publish

    def publish(**kwargs):
        calls.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(client, "publish", publish)
    return calls


@pytest.fixture
def sns_down(aws, monkeypatch):
    from patient_docs.adapters import aws as clients

    def publish(**kwargs):
        raise ClientError({"Error": {"Code": "InternalError", "Message": "SNS is down"}}, "Publish")

    monkeypatch.setattr(clients.sns(), "publish", publish)


# ------------------------------------------------------------------ the seed


def test_seed_example_replayed_matches_the_seed_response_field_by_field(api, aws):
    # Given the seed's example request, numbers for accountId and accountUserId as it sends them
    # When a staff user of account 12 posts it
    reply = create(api, SEED_REQUEST)
    # Then the response has every field of the seed's example with the seed's types
    assert reply.status == 201, reply.body
    assert shape_problems(reply.json, SEED_CREATED, nullable=frozenset({"short_link_expires_at"})) == []
    created = reply.json
    assert created["account_id"] == "12"
    assert created["files"] == []
    assert created["prompt"] == SEED_REQUEST["prompt"]
    assert created["staff_name"] == "Dr Rachel Williams"
    assert created["type"] == "photo"
    for name in ("id", "patient_id", "staff_id"):
        assert str(uuid.UUID(created[name])) == created[name]
    created_at = datetime.fromisoformat(created["created_at"])
    expires = datetime.fromisoformat(created["short_link_expires_at"])
    assert created_at.utcoffset() == timedelta(0)
    assert expires - created_at == timedelta(hours=72)
    assert len(created["short_link_id"]) == 12
    # The notice is queued with the request; the sender then tells the patient
    assert created["status"] == "created" and created["notification_status"] == "queued"
    fetched = stored_request(api, created)
    assert fetched["status"] == "notified" and fetched["notification_status"] == "sent"
    assert 0 < created["patient_number"] <= 2**53 - 1


def test_the_patient_gets_one_sms_with_the_link_and_nothing_personal(api, aws):
    created = create(api).json
    (sms,) = aws.sms_messages()
    _, number, body = sms
    assert number == MOBILE
    assert f"http://127.0.0.1:3000/r/{created['short_link_id']}" in body
    for personal in ("John", "Smith", "1980", "06-17", "rash", "Rachel", "Williams"):
        assert personal not in body
    # make run shows it at /_local/sms too
    assert api.sms()[0]["body"] == body


def test_sms_uses_the_account_sender_id_as_a_transactional_message(api, aws, sns_calls):
    create(api)
    (sent,) = sns_calls
    assert sent["PhoneNumber"] == MOBILE
    attributes = sent["MessageAttributes"]
    assert attributes["AWS.SNS.SMS.SenderID"]["StringValue"] == "PatientDocs"
    assert attributes["AWS.SNS.SMS.SMSType"]["StringValue"] == "Transactional"


def test_get_returns_the_seed_shape_with_unexpired_files_and_download_urls(api, aws):
    from patient_docs.adapters.table import record_item
    from patient_docs.models.file_requests import RequestFile
    from tests.integration.page_helpers import create_request, queued_events, register, session_for, upload
    from tests.scanning import scan_all

    # Given a request the patient answered with a photo, registered and found clean by the malware scan
    created = create_request(api)
    link = created["short_link_id"]
    upload(api, link, session_for(api, link), png_bytes(), "IMG_0292.PNG", "image/png")
    assert register([m for m in queued_events(aws) if '"Records"' in m["Body"]]) == {"batchItemFailures": []}
    (fresh_key,) = scan_all(aws)
    # And a second file, past its expiry
    now = datetime.now(UTC)
    old = RequestFile(
        id=str(uuid.uuid4()),
        file_request_id=created["id"],
        account_id="12",
        created_at=now - timedelta(minutes=5),
        expires_at=now - timedelta(seconds=1),
        mime_type="image/png",
        original_name="IMG_0291.PNG",
        size=len(png_bytes()),
        object_key="accounts/12/old.png",
        document_id=42,
    )
    item = record_item(old, {"PK": f"FILEREQ#{created['id']}", "SK": f"FILE#{old.id}"}, "request_file")
    aws.client("dynamodb").put_item(TableName=aws.table, Item=item)

    # When staff read the request
    reply = call(api, "GET", f"{REQUESTS}/{created['id']}", caller=STAFF_12)
    # Then it has the seed's shape and only the unexpired file, with a short-lived download URL
    assert reply.status == 200
    assert shape_problems(reply.json, SEED_FETCHED, nullable=frozenset({"short_link_expires_at"})) == []
    (file,) = reply.json["files"]  # the expired one stays stored but is not returned
    served = aws.client("s3").get_object(Bucket=aws.bucket, Key=f"derived/{fresh_key}/clean.png")["Body"].read()
    assert file["size"] == len(served) and file["mime_type"] == "image/png"  # its clean copy's (re-encoded)
    assert file["file_request_id"] == created["id"] and file["scan_status"] == "clean"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(file["download_url"]).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert key_of_presigned_url(file["download_url"], aws.bucket) == f"derived/{fresh_key}/clean.png"  # its clean copy


def test_get_of_an_unknown_request_is_404(api, aws):
    assert call(api, "GET", f"{REQUESTS}/{uuid.uuid4()}", caller=STAFF_12).status == 404


# ------------------------------------------------------------------ find or create


def test_a_second_request_to_the_same_mobile_finds_the_patient_and_staff_user(api, aws):
    # Given a first request, which created the patient and the staff user
    first = create(api).json
    # When a second request names them again:
    # the same number written another way, and the account user id as a string this time
    second = create(api, seed_body(patientMobile="+44 7777 123456", accountUserId="42", prompt="Another")).json
    # Then it finds both: one patient, one staff user, two SMS
    assert second["patient_id"] == first["patient_id"]
    assert second["patient_number"] == first["patient_number"]
    assert second["staff_id"] == first["staff_id"]
    assert len(items_of(aws, "patient")) == 1 and len(items_of(aws, "staff")) == 1
    assert len(aws.sms_messages()) == 2


def test_a_create_that_loses_the_race_for_a_new_patient_uses_the_winners(api, aws, monkeypatch):
    from patient_docs.adapters import patients_table

    # Given another create records the patient between this create's read and its write
    first = create(api).json
    real_lookup = patients_table.read_for_create
    lookups = []

    def stale_first_lookup(*args):
        lookups.append(args)
        staff, patient, settings = real_lookup(*args)
        return (staff, None, settings) if len(lookups) == 1 else (staff, patient, settings)

    monkeypatch.setattr(patients_table, "read_for_create", stale_first_lookup)
    # When this create's transaction fails on the patient's key, it reads again and retries
    second = create(api, seed_body(prompt="Raced"))
    # Then it joins the existing patient: still one patient, two requests
    assert second.status == 201, second.body
    assert second.json["patient_id"] == first["patient_id"]
    assert len(lookups) == 2
    assert len(items_of(aws, "patient")) == 1 and len(items_of(aws, "file_request")) == 2


def test_the_patient_number_addresses_the_patients_documents_in_door_a(api, aws):
    created = create(api).json
    reply = call(api, "GET", f"/api/v2/patients/{created['patient_number']}/documents", caller=STAFF_12)
    assert reply.status == 200 and reply.json == {"docs": [], "next_cursor": None}


def test_shell_patient_keeps_the_names_and_date_of_birth_given(api, aws):
    from patient_docs.adapters import patients_table

    # Given a request that created a shell patient
    created = create(api).json
    # Then the patient's record keeps the names, date of birth and mobile given
    patient = patients_table.get_patient_record_by_number("12", created["patient_number"])
    assert patient is not None and patient.shell
    assert (patient.first_name, patient.last_name, patient.date_of_birth) == ("John", "Smith", "1980-06-17")
    assert patient.patient_id == created["patient_id"] and patient.mobile == MOBILE


def test_patients_are_per_account(api, aws):
    # Given the same mobile asked for by accounts 12 and 13
    # Then they are two patients
    first = create(api).json
    other = create(api, seed_body(accountId="13"), caller=STAFF_13).json
    assert other["patient_id"] != first["patient_id"]


def test_staff_found_by_staff_id(api, aws):
    # Given a first request, which created the staff user
    first = create(api).json
    # When a second names that user by staffId (in upper case), under another display name
    body = seed_body(staffId=first["staff_id"].upper(), accountUserId=None, staffName="Dr R Williams")
    second = create(api, body)
    assert second.status == 201, second.body
    # Then it is the same staff user, and the request shows the name given
    assert second.json["staff_id"] == first["staff_id"]
    assert second.json["staff_name"] == "Dr R Williams"


def test_a_new_account_user_gets_a_new_shell_staff_user(api, aws):
    # Given a request from account user 42, When account user 43 sends one
    # Then a second shell staff user is recorded
    first = create(api).json
    second = create(api, seed_body(accountUserId=43)).json
    assert second["staff_id"] != first["staff_id"]
    assert len(items_of(aws, "staff")) == 2


def test_a_different_date_of_birth_is_409_and_changes_nothing(api, aws):
    # Given the patient recorded with the seed's date of birth
    create(api)
    before = aws.all_items()
    # When a request gives that mobile another date of birth
    reply = create(api, seed_body(patientDateOfBirth="1981-06-17"), key="dob-mismatch")
    # Then 409 naming patientDateOfBirth, and nothing is written (no idempotency record either) or sent
    assert reply.status == 409
    assert reply.json["error"]["field"] == "patientDateOfBirth"
    assert sorted(map(str, aws.all_items())) == sorted(map(str, before))  # no idempotency record either
    assert len(aws.sms_messages()) == 1


# ------------------------------------------------------------------ idempotency


def test_a_retry_with_the_same_idempotency_key_returns_the_same_request_and_sends_one_sms(api, aws):
    # When the same create is sent twice with one key
    # Then the retry answers the first request: one request, one SMS
    first = create(api, key="req-7f3a")
    retry = create(api, key="req-7f3a")
    assert first.status == 201 and retry.status == 201
    assert retry.json["id"] == first.json["id"]
    assert retry.json["short_link_id"] == first.json["short_link_id"]
    assert len(aws.sms_messages()) == 1
    assert len(items_of(aws, "file_request")) == 1


def test_idempotency_records_share_no_partition_key_between_accounts(api, aws):
    # When two accounts create with the same key, and one of them again with another key
    create(api, key="req-7f3a")
    create(api, key="req-8b4c")
    create(api, seed_body(accountId=13), caller=STAFF_13, key="req-7f3a")
    # Then each record is an item of its own partition, keyed by its use case and hash
    records = [item for item in aws.all_items() if item["PK"]["S"].startswith("IDEMPOTENCY#")]
    partitions = {item["PK"]["S"] for item in records}
    assert len(records) == len(partitions) == 3
    assert all(key.startswith("IDEMPOTENCY#create_file_request#") for key in partitions)
    assert {item["SK"]["S"] for item in records} == {"RECORD"}
    # And a retry still finds its record: one request and one SMS per key and account
    assert create(api, key="req-7f3a").status == 201
    assert len(items_of(aws, "file_request")) == 3 and len(aws.sms_messages()) == 3


def test_the_same_key_with_a_different_body_is_422(api, aws):
    # Given a create with key req-7f3a
    create(api, key="req-7f3a")
    # When the key comes back with another body
    reply = create(api, seed_body(prompt="Something else"), key="req-7f3a")
    # Then 422 naming the header, and nothing more is written or sent
    assert reply.status == 422
    assert reply.json["error"]["field"] == "Idempotency-Key"
    assert "different request body" in reply.json["error"]["message"]
    assert len(aws.sms_messages()) == 1 and len(items_of(aws, "file_request")) == 1


def test_a_retry_while_the_first_is_still_running_is_409(aws, monkeypatch):
    from local.events import LambdaContext
    from patient_docs.auth import caller_from_claims
    from patient_docs.errors import Conflict
    from patient_docs.logic import create_file_request as logic
    from patient_docs.schemas.file_requests import CreateFileRequestBody

    # What the handler does per invocation: in-progress records expire with the invocation
    monkeypatch.setattr(logic.IDEMPOTENCY, "lambda_context", LambdaContext())
    caller = caller_from_claims({"sub": "staff-12-user", "account_id": "12", "role": "staff"})
    body = CreateFileRequestBody.model_validate(seed_body())
    refusals = []
    real_queue = logic.queue_notification

    def notify_while_a_retry_arrives(*args):
        # Given the first create has not finished, when its retry arrives
        with pytest.raises(Conflict) as refused:
            logic.create_file_request(caller, body, "in-flight")
        refusals.append(refused.value)
        return real_queue(*args)

    monkeypatch.setattr(logic, "queue_notification", notify_while_a_retry_arrives)
    created = logic.create_file_request(caller, body, "in-flight")
    # Then the retry is told to come back, and the patient's notice is queued once
    assert isinstance(refusals[0], Conflict) and refusals[0].field == "Idempotency-Key"
    assert created.notification_status == "queued"
    assert queued_notices(aws) == 1


def test_keys_are_scoped_to_the_caller(api, aws):
    # Given a key used by account 12's staff
    # When account 13's staff use the same key, Then they get a request of their own
    mine = create(api, key="shared-key").json
    theirs = create(api, seed_body(accountId="13"), caller=STAFF_13, key="shared-key")
    assert theirs.status == 201 and theirs.json["id"] != mine["id"]


def test_without_a_key_each_post_is_a_new_request(api, aws):
    assert create(api).json["id"] != create(api).json["id"]
    assert len(aws.sms_messages()) == 2


def test_an_invalid_idempotency_key_is_400(api, aws):
    reply = create(api, key="x" * 256)
    assert reply.status == 400 and reply.json["error"]["field"] == "Idempotency-Key"
    assert aws.all_items() == [] and aws.sms_messages() == []


# ------------------------------------------------------------------ notification outcomes


def test_an_sns_failure_keeps_the_request_as_failed_and_resend_delivers_later(api, aws, monkeypatch, clock):
    from patient_docs.adapters import aws as clients

    # Given SNS refuses every message
    original = clients.sns().publish

    def down(**kwargs):
        raise ClientError({"Error": {"Code": "InternalError", "Message": "SNS is down"}}, "Publish")

    monkeypatch.setattr(clients.sns(), "publish", down)
    # When staff create a request
    reply = create(api)
    assert reply.status == 201
    # Then the request is kept, still created, with the failure recorded, and no SMS exists
    assert reply.json["notification_status"] == "queued"
    stored = stored_request(api, reply.json)
    assert stored["notification_status"] == "failed"
    assert stored["status"] == "created" and stored["notified_at"] is None
    assert aws.sms_messages() == []

    # SNS is back a minute later
    monkeypatch.setattr(clients.sns(), "publish", original)
    clock.advance(61)
    # When staff resend it, Then the SMS goes and the request is notified
    resent = call(api, "POST", f"{REQUESTS}/{reply.json['id']}/resend", caller=STAFF_12)
    assert resent.status == 200, resent.body
    assert resent.json["notification_status"] == "queued" and resent.json["resend_count"] == 1
    stored = stored_request(api, reply.json)
    assert stored["notification_status"] == "sent" and stored["status"] == "notified"
    assert len(aws.sms_messages()) == 1


def test_an_opted_out_number_is_not_sent_to_and_the_request_says_so(api, aws):
    # moto treats numbers ending in 99 as opted out
    reply = create(api, seed_body(patientMobile="+447777123499"))
    assert reply.status == 201
    stored = stored_request(api, reply.json)
    assert stored["notification_status"] == "opted_out"
    assert stored["notification_channel"] == "sms"
    assert stored["status"] == "created"
    assert aws.sms_messages() == []


def test_logs_carry_no_personal_data(api, aws, caplog):
    # Given a create and a refused create
    create(api, key="log-check")
    create(api, seed_body(patientDateOfBirth="1999-01-01"))  # a refusal logs too
    # Then the service's log lines carry ids, never the patient's or the request's data
    ours = [record for record in caplog.records if record.name == "patient-docs"]
    output = "\n".join(json.dumps(record.__dict__, default=str) for record in ours)
    assert "file request created" in output and "file_request_id" in output
    for personal in ("447777123456", "1980-06-17", "1999-01-01", "John", "Smith", "rash", "Rachel"):
        assert personal not in output


# ------------------------------------------------------------------ push


@pytest.fixture
def push_app(aws, monkeypatch):
    from patient_docs.settings import get_settings

    arn = aws.client("sns").create_platform_application(
        Name="patient-app", Platform="GCM", Attributes={"PlatformCredential": "test"}
    )["PlatformApplicationArn"]
    monkeypatch.setenv("PUSH_PLATFORM_APPLICATION_ARN", arn)
    get_settings.cache_clear()
    yield arn
    get_settings.cache_clear()


def _endpoint_messages(arn):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return list(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].platform_endpoints[arn].messages.values())


def test_a_patient_with_a_registered_device_gets_a_push_not_an_sms(api, aws, push_app):
    # Given the patient of a first request registered their app's device
    first = create(api).json
    patient = {"role": "patient", "account": "12", "patient": first["patient_number"]}
    registered = call(api, "POST", "/v1/patient-devices", {"deviceToken": "token-abc-123"}, patient)
    assert registered.status == 201, registered.body
    assert registered.json["patient_id"] == first["patient_id"]

    # When a second request is created
    second = stored_request(api, create(api, seed_body(prompt="Another photo")).json)
    # Then it went by push, with the link and nothing personal, and no second SMS
    assert second["notification_channel"] == "push" and second["notification_status"] == "sent"
    assert len(aws.sms_messages()) == 1  # only the first request's
    (endpoint,) = aws.client("sns").list_endpoints_by_platform_application(PlatformApplicationArn=push_app)["Endpoints"]
    (message,) = _endpoint_messages(endpoint["EndpointArn"])
    payload = json.loads(message)
    assert second["short_link_id"] in payload["default"]
    assert "John" not in message and "1980" not in message


def test_a_disabled_device_falls_back_to_sms(api, aws, push_app):
    # Given the patient's registered device, disabled at SNS
    first = create(api).json
    patient = {"role": "patient", "account": "12", "patient": first["patient_number"]}
    call(api, "POST", "/v1/patient-devices", {"deviceToken": "token-abc-123"}, patient)
    (endpoint,) = aws.client("sns").list_endpoints_by_platform_application(PlatformApplicationArn=push_app)["Endpoints"]
    aws.client("sns").set_endpoint_attributes(EndpointArn=endpoint["EndpointArn"], Attributes={"Enabled": "false"})
    # When a second request is created, Then it goes by SMS
    second = stored_request(api, create(api, seed_body(prompt="Another photo")).json)
    assert second["notification_channel"] == "sms" and second["notification_status"] == "sent"
    assert len(aws.sms_messages()) == 2


def test_device_registration_needs_a_known_patient_token(api, aws, push_app):
    body = {"deviceToken": "token-abc-123"}
    # A token of a patient no request created, and a staff token: 404
    assert (
        call(api, "POST", "/v1/patient-devices", body, {"role": "patient", "account": "12", "patient": 5}).status == 404
    )
    assert call(api, "POST", "/v1/patient-devices", body, STAFF_12).status == 404
    first = create(api).json
    # A known patient's number under another account: 404
    other_account = {"role": "patient", "account": "13", "patient": first["patient_number"]}
    assert call(api, "POST", "/v1/patient-devices", body, other_account).status == 404
    # An empty device token: 400 naming it
    bad = call(api, "POST", "/v1/patient-devices", {"deviceToken": ""}, {**other_account, "account": "12"})
    assert bad.status == 400 and bad.json["error"]["field"] == "deviceToken"


def test_device_registration_without_a_platform_application_is_503(api, aws):
    # Given a known patient, and no push platform application configured
    # Then registering a device is 503
    first = create(api).json
    patient = {"role": "patient", "account": "12", "patient": first["patient_number"]}
    reply = call(api, "POST", "/v1/patient-devices", {"deviceToken": "token-abc-123"}, patient)
    assert reply.status == 503


# ------------------------------------------------------------------ cancel and resend


def test_cancel_ends_the_request_and_its_link(api, aws):
    from patient_docs.adapters import file_requests_table

    # Given a sent request, When staff cancel it
    created = create(api).json
    reply = call(api, "POST", f"{REQUESTS}/{created['id']}/cancel", caller=STAFF_12)
    assert reply.status == 200
    assert reply.json["status"] == "cancelled" and reply.json["cancelled_at"]
    # And cancel it again: the same answer, nothing changed
    again = call(api, "POST", f"{REQUESTS}/{created['id']}/cancel", caller=STAFF_12)
    assert again.status == 200 and again.json["cancelled_at"] == reply.json["cancelled_at"]
    # Then its link leads to the cancelled request, and it cannot be resent
    linked = file_requests_table.get_file_request_by_short_link(created["short_link_id"])
    assert linked is not None and linked.status == "cancelled"
    assert file_requests_table.get_file_request_by_short_link("AAAAAAAAAAAA") is None
    resend = call(api, "POST", f"{REQUESTS}/{created['id']}/resend", caller=STAFF_12)
    assert resend.status == 409
    assert len(aws.sms_messages()) == 1


def test_resend_is_limited_to_once_a_minute_and_five_times(api, aws, clock):
    # Given a request notified just now
    created = create(api).json
    resend = f"{REQUESTS}/{created['id']}/resend"
    # When staff resend at once, Then 429 with a Retry-After that the message repeats
    too_soon = call(api, "POST", resend, caller=STAFF_12)
    assert too_soon.status == 429 and "retry in" in too_soon.json["error"]["message"]
    retry_after = {k.lower(): v for k, v in too_soon.headers.items()}["retry-after"]
    assert 1 <= int(retry_after) <= 61 and f"retry in {retry_after} seconds" in too_soon.json["error"]["message"]
    # When they resend a minute apart, Then five succeed, each followed by a 429 for the next minute
    for count in range(1, 6):
        clock.advance(61)
        reply = call(api, "POST", resend, caller=STAFF_12)
        assert reply.status == 200, reply.body
        assert reply.json["resend_count"] == count
        assert call(api, "POST", resend, caller=STAFF_12).status == 429
    # Then the sixth is refused for good (no Retry-After), and six SMS went in all
    clock.advance(61)
    limit = call(api, "POST", resend, caller=STAFF_12)
    assert limit.status == 429 and "at most 5" in limit.json["error"]["message"]
    assert "retry-after" not in {k.lower() for k in limit.headers}  # no retry will ever succeed
    assert len(aws.sms_messages()) == 6


def test_an_expired_request_reads_as_expired_and_cannot_be_resent(api, aws, clock):
    # Given a request whose link lifetime (72 hours) has passed
    created = create(api).json
    clock.advance(72 * 3600 + 1)
    # Then it reads and lists as expired, and cannot be resent
    fetched = call(api, "GET", f"{REQUESTS}/{created['id']}", caller=STAFF_12).json
    assert fetched["status"] == "expired"
    assert fetched["expired_at"] == fetched["short_link_expires_at"]
    assert call(api, "POST", f"{REQUESTS}/{created['id']}/resend", caller=STAFF_12).status == 409
    listed = call(api, "GET", f"{REQUESTS}?status=expired", caller=STAFF_12).json["file_requests"]
    assert [r["id"] for r in listed] == [created["id"]]
    assert call(api, "GET", f"{REQUESTS}?status=notified", caller=STAFF_12).json["file_requests"] == []


# ------------------------------------------------------------------ list


def test_list_filters_by_patient_and_status_and_pages_with_a_cursor(api, aws):
    # Given three requests, two of them for one patient, and one of those two cancelled
    first = create(api).json
    second = create(api, seed_body(prompt="Second")).json
    other_patient = create(api, seed_body(patientMobile="+447777123457")).json
    call(api, "POST", f"{REQUESTS}/{second['id']}/cancel", caller=STAFF_12)

    # When all are listed, Then newest first, on one page
    everything = call(api, "GET", REQUESTS, caller=STAFF_12).json
    assert [r["id"] for r in everything["file_requests"]] == [other_patient["id"], second["id"], first["id"]]
    assert everything["next_cursor"] is None

    # Filters by patient and by status narrow the list, alone or together
    by_patient = call(api, "GET", f"{REQUESTS}?patientId={first['patient_id']}", caller=STAFF_12).json
    assert [r["id"] for r in by_patient["file_requests"]] == [second["id"], first["id"]]
    cancelled = call(api, "GET", f"{REQUESTS}?status=cancelled", caller=STAFF_12).json
    assert [r["id"] for r in cancelled["file_requests"]] == [second["id"]]
    both = call(api, "GET", f"{REQUESTS}?status=notified&patientId={first['patient_id']}", caller=STAFF_12).json
    assert [r["id"] for r in both["file_requests"]] == [first["id"]]

    # Pages of two carry on with a cursor, and the last has none
    page_one = call(api, "GET", f"{REQUESTS}?limit=2", caller=STAFF_12).json
    assert [r["id"] for r in page_one["file_requests"]] == [other_patient["id"], second["id"]]
    cursor = page_one["next_cursor"]
    assert cursor
    page_two = call(api, "GET", f"{REQUESTS}?limit=2&cursor={cursor}", caller=STAFF_12).json
    assert [r["id"] for r in page_two["file_requests"]] == [first["id"]]
    assert page_two["next_cursor"] is None


def test_one_patients_requests_are_read_through_their_own_index_a_page_at_a_time(api, aws, monkeypatch):
    from patient_docs.adapters import aws as clients

    # Given three requests of one patient among five requests of another
    mine = [create(api, seed_body(prompt=f"Mine {index}")).json for index in range(3)]
    for index in range(5):
        create(api, seed_body(patientMobile="+447777123457", prompt=f"Theirs {index}"))
    queries = []
    original = clients.dynamodb().query

    def query(**kwargs):
        queries.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(clients.dynamodb(), "query", query)
    # When staff list the patient's requests two at a time
    base = f"{REQUESTS}?patientId={mine[0]['patient_id']}&limit=2"
    page_one = call(api, "GET", base, caller=STAFF_12).json
    page_two = call(api, "GET", f"{base}&cursor={page_one['next_cursor']}", caller=STAFF_12).json
    # Then the pages hold that patient's requests, newest first
    listed = [r["id"] for r in page_one["file_requests"] + page_two["file_requests"]]
    assert listed == [r["id"] for r in reversed(mine)] and page_two["next_cursor"] is None
    # And each page was one Query of the patient's index, reading no other patient's entries
    index_reads = [q for q in queries if q.get("IndexName") in ("GSI1", "GSI2")]
    assert [q["IndexName"] for q in index_reads] == ["GSI2", "GSI2"]
    assert all("FilterExpression" not in q and q["Limit"] == 3 for q in index_reads)
    # And an account-list cursor is refused there
    account_cursor = call(api, "GET", f"{REQUESTS}?limit=1", caller=STAFF_12).json["next_cursor"]
    refused = call(api, "GET", f"{base}&cursor={account_cursor}", caller=STAFF_12)
    assert refused.status == 400 and refused.json["error"]["field"] == "cursor"


def test_a_cursor_is_checked(api, aws):
    # Given a cursor into account 12's list
    for _ in range(2):
        create(api)
    cursor = call(api, "GET", f"{REQUESTS}?limit=1", caller=STAFF_12).json["next_cursor"]
    # Then anything but a cursor is refused, naming it
    garbage = call(api, "GET", f"{REQUESTS}?cursor=not-a-cursor", caller=STAFF_12)
    assert garbage.status == 400 and garbage.json["error"]["field"] == "cursor"
    # another account's staff cannot walk account 12's list with its cursor
    stolen = call(api, "GET", f"{REQUESTS}?cursor={cursor}", caller=STAFF_13)
    assert stolen.status == 400 and stolen.json["error"]["field"] == "cursor"


# ------------------------------------------------------------------ who may see what


def test_another_account_gets_404_for_everything(api, aws):
    # Given a request of account 12
    created = create(api).json
    # Then staff of account 13 can neither read, cancel, resend nor list it, and it is untouched
    for method, path in (
        ("GET", f"{REQUESTS}/{created['id']}"),
        ("POST", f"{REQUESTS}/{created['id']}/cancel"),
        ("POST", f"{REQUESTS}/{created['id']}/resend"),
    ):
        assert call(api, method, path, caller=STAFF_13).status == 404, path
    assert call(api, "GET", REQUESTS, caller=STAFF_13).json["file_requests"] == []
    assert call(api, "GET", f"{REQUESTS}/{created['id']}", caller=STAFF_12).json["status"] == "notified"


def test_an_account_id_other_than_the_callers_is_404_and_writes_nothing(api, aws):
    reply = create(api, seed_body(accountId=13), key="wrong-account")
    assert reply.status == 404
    assert aws.all_items() == [] and aws.sms_messages() == []


def test_patient_tokens_cannot_use_the_staff_endpoints(api, aws):
    # Given a request and a token of its patient
    # Then the staff endpoints are not found for that token
    created = create(api).json
    patient = {"role": "patient", "account": "12", "patient": created["patient_number"]}
    assert create(api, caller=patient).status == 404
    assert call(api, "GET", f"{REQUESTS}/{created['id']}", caller=patient).status == 404
    assert call(api, "GET", REQUESTS, caller=patient).status == 404
    assert call(api, "GET", "/v1/account-settings", caller=patient).status == 404


def test_no_token_is_401(api, aws):
    assert call(api, "POST", REQUESTS, seed_body()).status == 401
    assert aws.all_items() == []


# ------------------------------------------------------------------ account settings


def test_account_settings_default_from_the_template_and_only_admins_change_them(api, aws, sns_calls):
    # Given no settings stored: staff read the template's defaults
    defaults = call(api, "GET", "/v1/account-settings", caller=STAFF_12)
    assert defaults.status == 200
    assert defaults.json == {
        "account_id": "12",
        "sms_sender_id": "PatientDocs",
        "link_lifetime_hours": 72,
        "email_sender": None,
        "practice_name": None,
        "practice_phone": None,
        "language": "en",
        "reminders_enabled": True,
        "reminder_lead_hours": 24,
        "sms_daily_quota": None,
        "updated_at": None,
    }

    # When staff without admin try to change them (403), and an admin changes them
    change = {"smsSenderId": "Clinic12", "linkLifetimeHours": 24}
    assert call(api, "PUT", "/v1/account-settings", change, STAFF_12).status == 403
    changed = call(api, "PUT", "/v1/account-settings", change, ADMIN_12)
    assert changed.status == 200
    assert changed.json["sms_sender_id"] == "Clinic12" and changed.json["link_lifetime_hours"] == 24

    # Then a new request takes the link lifetime and the SMS sender from them
    created = create(api).json
    lifetime = datetime.fromisoformat(created["short_link_expires_at"]) - datetime.fromisoformat(created["created_at"])
    assert lifetime == timedelta(hours=24)
    assert sns_calls[-1]["MessageAttributes"]["AWS.SNS.SMS.SenderID"]["StringValue"] == "Clinic12"
    # other accounts keep the defaults
    assert call(api, "GET", "/v1/account-settings", caller=STAFF_13).json["sms_sender_id"] == "PatientDocs"


def test_the_practice_patients_see_and_the_accounts_language_are_settings_too(api, aws, sns_calls):
    # Given an admin sets the practice's name, its number (as people write it) and Welsh
    change = {
        "smsSenderId": "Bont",
        "linkLifetimeHours": 48,
        "practiceName": "Meddygfa'r Bont",
        "practicePhone": "+44 29 2000 0000",
        "language": "cy",
    }
    changed = call(api, "PUT", "/v1/account-settings", change, ADMIN_12)
    assert changed.status == 200
    # Then they read back, the number as E.164
    stored = call(api, "GET", "/v1/account-settings", caller=STAFF_12).json
    assert (stored["practice_name"], stored["practice_phone"], stored["language"]) == (
        "Meddygfa'r Bont",
        "+442920000000",
        "cy",
    )
    # And the next request's SMS is in Welsh, and nothing in it names the patient
    create(api)
    sms = sns_calls[-1]["Message"]
    assert sms.startswith("Gofynnwyd i chi anfon llun.") and "photo" not in sms and "/r/" in sms
    # And a PUT without them goes back to no name, no number, English (a PUT replaces the settings)
    plain = call(api, "PUT", "/v1/account-settings", {"smsSenderId": "Bont", "linkLifetimeHours": 48}, ADMIN_12)
    assert (plain.json["practice_name"], plain.json["practice_phone"], plain.json["language"]) == (None, None, "en")


def test_past_the_accounts_daily_sms_quota_creates_and_resends_are_429_and_nothing_is_written_or_sent(api, aws, clock):
    # Given an admin set account 12's daily SMS quota to 2
    change = {"smsSenderId": "Clinic12", "linkLifetimeHours": 72, "smsDailyQuota": 2}
    assert call(api, "PUT", "/v1/account-settings", change, ADMIN_12).json["sms_daily_quota"] == 2
    # When staff create two requests, and a third
    first = create(api).json
    assert create(api, seed_body(patientMobile="+447777123457")).status == 201
    before = aws.all_items()
    refused = create(api, seed_body(patientMobile="+447777123458"))
    # Then the third is a 429 naming the quota, saying when to retry, and nothing of it is stored or sent
    assert refused.status == 429
    assert refused.json["error"]["field"] == "smsDailyQuota"
    assert "daily SMS quota (2 notifications a day" in refused.json["error"]["message"]
    assert 1 <= int({k.lower(): v for k, v in refused.headers.items()}["retry-after"]) <= 86400
    assert aws.all_items() == before and len(aws.sms_messages()) == 2
    # And a resend is refused the same way, its request's resend count unchanged
    clock.advance(61)
    resent = call(api, "POST", f"{REQUESTS}/{first['id']}/resend", caller=STAFF_12)
    assert resent.status == 429 and resent.json["error"]["field"] == "smsDailyQuota"
    assert aws.all_items() == before and len(aws.sms_messages()) == 2
    # While another account sends as before, and account 12 sends again the next UTC day
    assert create(api, seed_body(accountId=13), caller=STAFF_13).status == 201
    clock.advance(24 * 3600)
    assert call(api, "POST", f"{REQUESTS}/{first['id']}/resend", caller=STAFF_12).status == 200
    assert len(aws.sms_messages()) == 4


def test_an_accounts_own_sms_quota_stops_at_the_deployments_maximum_which_an_operator_may_raise(api, aws, monkeypatch):
    from patient_docs.settings import get_settings

    # Given the deployment's default maximum (SmsDailyQuotaMaximum)
    maximum = get_settings().sms_daily_quota_maximum
    assert maximum == 5000
    audit = get_settings().audit_table_name
    # When an admin sets one notification more than it
    over = {"smsSenderId": "Clinic12", "linkLifetimeHours": 72, "smsDailyQuota": maximum + 1}
    refused = call(api, "PUT", "/v1/account-settings", over, ADMIN_12)
    # Then it is a 400 naming the field and the maximum, and nothing is stored, not even an audit event
    assert refused.status == 400 and refused.json["error"]["field"] == "smsDailyQuota"
    assert "at most 5000" in refused.json["error"]["message"]
    assert aws.all_items() == [] and aws.client("dynamodb").scan(TableName=audit)["Items"] == []
    assert call(api, "GET", "/v1/account-settings", caller=STAFF_12).json["sms_daily_quota"] is None
    # While the maximum itself is accepted
    at = call(api, "PUT", "/v1/account-settings", {**over, "smsDailyQuota": maximum}, ADMIN_12)
    assert at.status == 200 and at.json["sms_daily_quota"] == maximum
    # And an operator who raised the parameter lets admins set more, up to the ceiling no deployment passes
    monkeypatch.setenv("SMS_DAILY_QUOTA_MAXIMUM", "50000")
    get_settings.cache_clear()
    assert call(api, "PUT", "/v1/account-settings", {**over, "smsDailyQuota": 50000}, ADMIN_12).status == 200
    beyond = call(api, "PUT", "/v1/account-settings", {**over, "smsDailyQuota": 50001}, ADMIN_12)
    assert beyond.status == 400 and beyond.json["error"]["field"] == "smsDailyQuota"
    assert call(api, "GET", "/v1/account-settings", caller=STAFF_12).json["sms_daily_quota"] == 50000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 24, "smsDailyQuota": 0}, "smsDailyQuota"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 24, "smsDailyQuota": 100_000}, "smsDailyQuota"),
        ({"smsSenderId": "Dr Smith", "linkLifetimeHours": 24}, "smsSenderId"),
        ({"smsSenderId": "TooLongSender", "linkLifetimeHours": 24}, "smsSenderId"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 0}, "linkLifetimeHours"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 721}, "linkLifetimeHours"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": "24"}, "linkLifetimeHours"),
        ({"linkLifetimeHours": 24}, "smsSenderId"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 24, "practicePhone": "029 2000 0000"}, "practicePhone"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 24, "practicePhone": "+44 29 2000"}, "practicePhone"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 24, "practicePhone": "+44 CALL CLINIC"}, "practicePhone"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 24, "practicePhone": 442920000000}, "practicePhone"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 24, "practiceName": "Bridge\nSurgery"}, "practiceName"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 24, "practiceName": "   "}, "practiceName"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 24, "practiceName": "x" * 101}, "practiceName"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 24, "language": "fr"}, "language"),
        ({"smsSenderId": "Clinic", "linkLifetimeHours": 24, "language": "EN"}, "language"),
    ],
)
def test_bad_account_settings_are_refused(api, aws, body, field):
    reply = call(api, "PUT", "/v1/account-settings", body, ADMIN_12)
    assert reply.status == 400 and reply.json["error"]["field"] == field
    assert aws.all_items() == []


# ------------------------------------------------------------------ bad input


def _without(name):
    body = seed_body()
    del body[name]
    return body


NOT_YET_BORN = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
TOO_OLD = (datetime.now(UTC) - timedelta(days=131 * 366)).date().isoformat()

BAD_INPUTS = [
    ("missing prompt", _without("prompt"), "prompt"),
    ("missing type", _without("type"), "type"),
    ("missing accountId", _without("accountId"), "accountId"),
    ("missing staffName", _without("staffName"), "staffName"),
    ("missing patientMobile", _without("patientMobile"), "patientMobile"),
    ("missing patientDateOfBirth", _without("patientDateOfBirth"), "patientDateOfBirth"),
    ("missing accountUserId without staffId", _without("accountUserId"), "accountUserId"),
    ("type other than photo", seed_body(type="video"), "type"),
    ("national number", seed_body(patientMobile="07777123456"), "patientMobile"),
    ("too short", seed_body(patientMobile="+4477"), "patientMobile"),
    ("letters in the number", seed_body(patientMobile="+44777712345A"), "patientMobile"),
    ("landline", seed_body(patientMobile="+442079460000"), "patientMobile"),
    ("number as JSON number", seed_body(patientMobile=447777123456), "patientMobile"),
    ("DOB not ISO", seed_body(patientDateOfBirth="17/06/1980"), "patientDateOfBirth"),
    ("DOB not a date", seed_body(patientDateOfBirth="1980-02-30"), "patientDateOfBirth"),
    ("DOB in the future", seed_body(patientDateOfBirth=NOT_YET_BORN), "patientDateOfBirth"),
    ("DOB over 130 years ago", seed_body(patientDateOfBirth=TOO_OLD), "patientDateOfBirth"),
    ("prompt over 1000", seed_body(prompt="x" * 1001), "prompt"),
    ("empty prompt", seed_body(prompt="   "), "prompt"),
    ("staffName over 200", seed_body(staffName="x" * 201), "staffName"),
    ("first name over 200", seed_body(patientFirstName="x" * 201), "patientFirstName"),
    ("last name over 200", seed_body(patientLastName="x" * 201), "patientLastName"),
    ("control character in a name", seed_body(staffName="Dr\x07 Who"), "staffName"),
    ("unknown staffId", seed_body(staffId=str(uuid.uuid4())), "staffId"),
    ("staffId not a UUID", seed_body(staffId="42"), "staffId"),
    ("accountId true", seed_body(accountId=True), "accountId"),
    ("accountId with a slash", seed_body(accountId="12/../13"), "accountId"),
    ("accountUserId a float", seed_body(accountUserId=4.2), "accountUserId"),
    ("body a list", [seed_body()], "body"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_400_naming_the_field_and_writes_and_sends_nothing(api, aws, case, body, field):
    # With an Idempotency-Key, so that the idempotency layer is shown to leave nothing behind either
    reply = create(api, body, key=f"bad-{uuid.uuid4()}")
    assert reply.status == 400, reply.body
    assert reply.json["error"]["field"] == field
    assert field in reply.json["error"]["message"]
    assert aws.all_items() == []
    assert aws.sms_messages() == []


def test_a_staff_id_of_another_account_is_unknown(api, aws):
    # Given a staff user of account 13
    theirs = create(api, seed_body(accountId=13), caller=STAFF_13).json
    before = len(aws.all_items())
    # When account 12's staff name that user by staffId
    reply = create(api, seed_body(staffId=theirs["staff_id"]), key="cross-staff")
    # Then 400 naming staffId, and nothing is written or sent
    assert reply.status == 400 and reply.json["error"]["field"] == "staffId"
    assert len(aws.all_items()) == before and len(aws.sms_messages()) == 1


@pytest.mark.parametrize("raw", [b"{nope", b"", b"null", b"\xff\xfe"])
def test_non_json_bodies_are_refused(api, aws, raw):
    reply = call(api, "POST", REQUESTS, None, STAFF_12, headers={"content-type": "application/json"}, raw=raw)
    assert reply.status == 400 and reply.json["error"]["field"] == "body"
    assert aws.all_items() == [] and aws.sms_messages() == []


def test_a_malformed_request_id_is_400(api, aws):
    reply = call(api, "GET", f"{REQUESTS}/not-a-uuid", caller=STAFF_12)
    assert reply.status == 400 and reply.json["error"]["field"] == "fileRequestId"


# ------------------------------------------------------------------ events/ files


DOOR_C_FUNCTIONS = [
    "file_requests_create",
    "file_requests_get",
    "file_requests_list",
    "file_requests_cancel",
    "file_requests_resend",
    "patient_devices_register",
    "account_settings_get",
    "account_settings_put",
]


@pytest.mark.parametrize("function", DOOR_C_FUNCTIONS)
def test_each_event_file_is_handled_without_a_server_error(aws, function):
    import importlib

    from local.events import LambdaContext

    # Given the function's file in events/, When its handler runs on it against moto
    # Then it answers without a server error
    event = json.loads((EVENTS / f"{function}.json").read_text())
    handler = importlib.import_module(f"functions.{function}.app").lambda_handler
    result = handler(event, LambdaContext(function_name=function))
    assert result["statusCode"] < 500, result
