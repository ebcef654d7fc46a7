"""Each request makes the AWS calls its data model needs and no more (counted with botocore's hooks).

The counts are the minimums ``make bench`` reports; a change that adds a read shows up here first.
Whether each call is one its function's deployed role allows — action, resource ARN and the KMS it
implies — is checked for every test by tests/conftest.py (local/iam_check.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from tests.integration.page_helpers import (
    create_request,
    presign,
    queued_events,
    register,
    session_for,
    upload,
    verify,
)
from tests.integration.probe_helpers import save_body, upload_unsigned
from tests.utils import STAFF_12, b64, call, pdf_bytes, png_bytes

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


# ------------------------------------------------------------------ the document creates and Idempotency-Key
# The minimum calls of bench/examples.py, unchanged by the header's support: a create without the key
# reads and writes no idempotency record.
INLINE = ["PutObject", TAIL, "TransactWriteItems", "SendMessage", "GetItem"]
SAVE = ["GetObject", TAIL, "TransactWriteItems", "SendMessage", "GetItem"]
CREATES = [
    ("InlineDocumentsCreateFunction", INLINE),
    ("PatientDocumentSaveFunction", SAVE),
    ("FhirDocumentReferenceCreateFunction", INLINE),
]


def _create(api, aws, function: str, key: str | None) -> Callable[[], int]:
    """A create through ``function``'s door, to be sent (and sent again): its status."""
    headers = {"idempotency-key": key} if key else {}
    data = b64(pdf_bytes())
    if function == "InlineDocumentsCreateFunction":
        body = {"doc": {"document_name": "a.pdf", "mime_type": "application/pdf", "data": data}}
        body["doc"]["record_type"] = "Patient Record"
        return lambda: call(api, "POST", "/api/v2/patients/1172416/documents", body, STAFF_12, headers).status
    if function == "PatientDocumentSaveFunction":
        uploaded = upload_unsigned(api, aws, "card.pdf", pdf_bytes(), "application/pdf")
        saved = save_body(aws, uploaded["file_url"])
        return lambda: call(api, "POST", "/apis/v1/patient-document", saved, STAFF_12, headers).status
    attachment = {"contentType": "application/pdf", "data": data, "title": "a.pdf"}
    resource = {
        "resourceType": "DocumentReference",
        "status": "current",
        "subject": {"reference": "Patient/1172416"},
        "content": [{"attachment": attachment}],
    }
    raw, fhir = json.dumps(resource).encode(), {"content-type": "application/fhir+json", **headers}
    return lambda: call(api, "POST", "/fhir/R4/DocumentReference", None, STAFF_12, fhir, raw).status


@pytest.mark.parametrize(("function", "minimum"), CREATES, ids=[c[0] for c in CREATES])
def test_a_document_create_without_a_key_makes_its_minimum_calls(api, aws, function, minimum):
    send = _create(api, aws, function, None)
    with aws_calls(function) as calls:
        assert send() in (200, 201)
    assert calls == minimum


@pytest.mark.parametrize(("function", "minimum"), CREATES, ids=[c[0] for c in CREATES])
def test_a_document_create_with_a_key_adds_its_claim_and_result_and_a_retry_only_the_claim(api, aws, function, minimum):
    send = _create(api, aws, function, "k-1")
    with aws_calls(function) as first:
        assert send() in (200, 201)
    with aws_calls(function) as retry:
        assert send() in (200, 201)
    # the record's claim (PutItem), the create, its answer stored (UpdateItem); a retry's claim finds the record
    assert first == ["PutItem", *minimum, "UpdateItem"]
    assert retry == ["PutItem"]
