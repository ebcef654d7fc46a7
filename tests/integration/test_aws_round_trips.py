"""Each request makes the AWS calls its data model needs and no more (counted with botocore's hooks).

The counts are the minimums ``make bench`` reports; a change that adds a read shows up here first.
Whether each call is one its function's deployed role allows — action, resource ARN and the KMS it
implies — is checked for every test by tests/conftest.py (local/iam_check.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.integration.page_helpers import (
    create_request,
    presign,
    queued_events,
    register,
    session_for,
    upload,
    verify,
)
from tests.utils import STAFF_12, call, png_bytes

# The function that sends what a request queued (the local queues deliver it before the request returns).
SENDER = "NotificationSendFunction"


@contextmanager
def aws_calls(function: str, *, sender: list[str] | None = None) -> Iterator[list[str]]:
    """The operations ``function``'s clients send while the block runs, in order. The only other function
    that may call AWS meanwhile is the notification sender, whose calls go to ``sender`` when given."""
    from local.iam_check import current_function
    from patient_docs.adapters import aws as clients

    calls: list[str] = []
    sent: list[str] = [] if sender is None else sender
    callers: set[str | None] = set()

    def record(model, **_):  # only calls sent to AWS (a presigned POST is signed locally, and never sent)
        caller = current_function()
        callers.add(caller)
        (sent if caller == SENDER else calls).append(model.name)

    factories = (clients.dynamodb, clients.s3, clients.sns, clients.events, clients.sqs, clients.ses, clients.scheduler)
    for factory in factories:
        factory().meta.events.register("before-call", record, unique_id="round-trips")
    try:
        yield calls
    finally:
        for factory in factories:
            factory().meta.events.unregister("before-call", unique_id="round-trips")
    assert callers <= {function, SENDER}, f"calls made by {sorted(map(str, callers))}, not only {function}"


QUEUED = ["CreateSchedule", "SendMessage"]
# The sender: the request, its claim on the notice, patient and settings, the mobile item, then the SMS and
# what it did.
SEND = ["Query", "UpdateItem", "BatchGetItem", "GetItem", "CheckIfPhoneNumberIsOptedOut", "Publish", "UpdateItem"]
# The audit trail (docs/audit.md): the chain's tail (Query), then the event with the use case's write
# in one TransactWriteItems, or alone (PutItem) where the use case only reads.
TAIL = "Query"


def test_a_request_reads_staff_patient_and_settings_at_once(api, aws):
    sent: list[str] = []
    with aws_calls("FileRequestsCreateFunction", sender=sent) as new_patient:
        create_request(api)
    with aws_calls("FileRequestsCreateFunction") as known_patient:
        create_request(api, prompt="Another photo")
    # the reminder's schedule and the notice's message: the SMS goes from the sender, off the request path
    assert new_patient == ["BatchGetItem", TAIL, "TransactWriteItems", *QUEUED]
    assert known_patient == new_patient
    assert sent == SEND


def test_an_idempotent_create_adds_only_its_claim_and_its_result(api, aws):
    from tests.integration.page_helpers import SEED_REQUEST

    with aws_calls("FileRequestsCreateFunction") as calls:
        reply = call(api, "POST", "/v1/file-requests", SEED_REQUEST, STAFF_12, headers={"Idempotency-Key": "k-1"})
    assert reply.status == 201, reply.body
    assert calls == ["PutItem", "BatchGetItem", TAIL, "TransactWriteItems", *QUEUED, "UpdateItem"]


def test_a_resend_claims_reads_and_notifies(api, aws, clock):
    created = create_request(api)
    clock.advance(61)
    sent: list[str] = []
    with aws_calls("FileRequestsResendFunction", sender=sent) as calls:
        reply = call(api, "POST", f"/v1/file-requests/{created['id']}/resend", {}, STAFF_12)
    assert reply.status == 200, reply.body
    # the request and its files, patient number item + settings, the mobile item (device), then the claim
    # with its audit event, and the notice queued
    assert calls == ["Query", "BatchGetItem", "GetItem", TAIL, "TransactWriteItems", "SendMessage"]
    assert sent == SEND


def test_the_page_opens_with_one_read_and_one_conditional_write(api, aws):
    link = create_request(api)["short_link_id"]
    with aws_calls("PatientPageOpenFunction") as first:
        assert call(api, "GET", f"/r/{link}").status == 200
    with aws_calls("PatientPageOpenFunction") as again:
        assert call(api, "GET", f"/r/{link}").status == 200
    assert first == again == ["GetItem", "UpdateItem", TAIL, "PutItem"]


def test_verify_reads_link_request_and_patient_record_once(api, aws):
    link = create_request(api)["short_link_id"]
    with aws_calls("PatientPageVerifyFunction") as calls:
        assert verify(api, link).status == 200
    # the link, the request, the patient's date of birth; then the session, the request and the audit
    # event in one conditional write
    assert calls == ["GetItem", "Query", "GetItem", TAIL, "TransactWriteItems"]


def test_an_upload_is_one_batch_read_and_one_slot(api, aws):
    link = create_request(api)["short_link_id"]
    session = session_for(api, link)
    with aws_calls("PatientPageUploadFunction") as calls:
        assert presign(api, link, session).status == 200
    assert calls == ["BatchGetItem", TAIL, "TransactWriteItems"]


def test_registering_moves_the_request_once(api, aws):
    link = create_request(api)["short_link_id"]
    session = session_for(api, link)
    for name in ("one.png", "two.png"):
        upload(api, link, session, png_bytes(), name, "image/png")
    messages = [m for m in queued_events(aws) if '"Records"' in m["Body"]]  # not S3's test event
    assert len(messages) == 2
    with aws_calls("UploadedFileRegisterFunction") as first_photo:
        assert register(messages[:1]) == {"batchItemFailures": []}
    with aws_calls("UploadedFileRegisterFunction") as second_photo:
        assert register(messages[1:]) == {"batchItemFailures": []}
    # (GetItem: a malware scan result that came before the photo was recorded, applied now; DeleteSchedule:
    # the answered request's reminder, once; SendMessageBatch: the webhook announcements, file_request.responded
    # and document.created, in one call)
    announced = ["PutEvents", "SendMessageBatch"]
    assert first_photo == [
        "Query",
        "GetObject",
        TAIL,
        "TransactWriteItems",
        "UpdateItem",
        "DeleteSchedule",
        "GetItem",
        *announced,
    ]
    assert second_photo == ["Query", "GetObject", TAIL, "TransactWriteItems", "GetItem", *announced]


def test_a_download_url_costs_the_read_and_its_audit_event(api, aws):
    from tests.scanning import scan_all
    from tests.utils import b64, pdf_bytes

    body = {"doc": {"document_name": "a.pdf", "mime_type": "application/pdf", "data": b64(pdf_bytes())}}
    body["doc"]["record_type"] = "Patient Record"
    doc = call(api, "POST", "/api/v2/patients/1172416/documents", body, STAFF_12).json["doc"]
    scan_all(aws)  # found clean: it may be served
    with aws_calls("InlineDocumentsGetFunction") as calls:
        assert call(api, "GET", f"/api/v2/patients/1172416/documents/{doc['id']}", caller=STAFF_12).status == 200
    assert calls == ["GetItem", TAIL, "PutItem"]  # the URL itself is signed locally


def test_a_device_is_registered_from_the_patient_record(api, aws, monkeypatch):
    from patient_docs.settings import get_settings

    arn = aws.client("sns").create_platform_application(
        Name="patient-app", Platform="GCM", Attributes={"PlatformCredential": "test"}
    )["PlatformApplicationArn"]
    monkeypatch.setenv("PUSH_PLATFORM_APPLICATION_ARN", arn)
    get_settings.cache_clear()
    created = create_request(api)
    patient = {"role": "patient", "account": "12", "patient": created["patient_number"]}
    with aws_calls("PatientDevicesRegisterFunction") as calls:
        reply = call(api, "POST", "/v1/patient-devices", {"deviceToken": "token-abc-123"}, patient)
    get_settings.cache_clear()
    assert reply.status == 201, reply.body
    assert calls == ["GetItem", "CreatePlatformEndpoint", "UpdateItem"]
