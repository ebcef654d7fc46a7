"""No PHI in logs: every flow runs with its log output captured, and no sensitive value appears in it.

A flow is a function ``flow(api, aws, sensitive)`` that drives the API like a client would and
adds to ``sensitive`` every value it sent or received that must never be logged: patient and
staff names, file names, tokens, presigned URLs and their signatures, request body content.
Door C and the patient page add their flows (mobile numbers, dates of birth) to ``FLOWS``.

Failure paths run under the same check (``FAILURE_FLOWS``): SNS, S3 and DynamoDB outages injected
into the functions' own clients (a botocore hook makes every call of the service fail as AWS
would), refused inputs of every kind, and quarantined uploads. The last test proves the check
catches a leak: a mobile number added to the "SMS failed" warning fails it.
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

import pytest
import requests

from local import tokens
from tests.integration.page_helpers import queued_events, register
from tests.integration.probe_helpers import Outage, multipart
from tests.integration.test_fhir import new_reference
from tests.scanning import scan_all
from tests.utils import b64, call, pdf_bytes, png_bytes

PATIENT = 1172416
PATIENT_NAME = "Rosalind Quenby-Phiwright"
STAFF_NAME = "Dr Ottoline Phistaff"
FILE_NAME = "Rosalind-Quenby rash photo.png"
NOTES = "history of asthma and penicillin allergy"

Sensitive = set[str]
Flow = Callable[[Any, Any, Sensitive], None]


def _token(sensitive: Sensitive, role: str = "staff", patient: int | None = None) -> dict[str, str]:
    name = PATIENT_NAME if role == "patient" else STAFF_NAME
    token = tokens.issue(role, "12", patient, name=name)
    sensitive.update({token, token.split(".")[2], name})
    return {"authorization": f"Bearer {token}"}


def _send(api: Any, method: str, path: str, headers: dict[str, str], body: Any = None, raw: bytes | None = None):
    sent = dict(headers)
    if body is not None:
        sent["content-type"] = "application/json"
        raw = json.dumps(body).encode()
    return call(api, method, path, headers=sent, raw=raw)


def _url_secrets(url: str) -> set[str]:
    query = parse_qs(urlsplit(url).query)
    return {url, *query.get("X-Amz-Signature", []), *query.get("X-Amz-Credential", [])}


# ------------------------------------------------------------------ flows
def door_a_flow(api: Any, aws: Any, sensitive: Sensitive) -> None:
    docs = f"/api/v2/patients/{PATIENT}/documents"
    data = b64(png_bytes())
    sensitive.update({FILE_NAME, data})
    for headers in (_token(sensitive), _token(sensitive, "patient", PATIENT)):
        body = {
            "doc": {"document_name": FILE_NAME, "data": data, "mime_type": "image/png", "record_type": "Behavioral"}
        }
        created = _send(api, "POST", docs, headers, body)
        assert created.status == 201, created.body
        doc_id = created.json["doc"]["id"]
        assert _send(api, "GET", docs, headers).status == 200
        scan_all(aws)
        fetched = _send(api, "GET", f"{docs}/{doc_id}", headers)
        sensitive.update(_url_secrets(fetched.json["doc"]["download_url"]))
        assert _send(api, "DELETE", f"{docs}/{doc_id}", headers).status == 204
    # Refusals quote nothing of the request either: a wrong type, bad base64, a bad name.
    staff = _token(sensitive)
    pdf_as_png = {
        "doc": {
            "document_name": FILE_NAME,
            "data": b64(pdf_bytes()),
            "mime_type": "image/png",
            "record_type": "Behavioral",
        }
    }
    assert _send(api, "POST", docs, staff, pdf_as_png).status == 400
    bad_name = f"{PATIENT_NAME}/\x07.png"
    sensitive.add(PATIENT_NAME)
    body = {"doc": {"document_name": bad_name, "data": data, "mime_type": "image/png", "record_type": "Behavioral"}}
    assert _send(api, "POST", docs, staff, body).status == 400
    body = {
        "doc": {
            "document_name": FILE_NAME,
            "data": "not base64 " + NOTES,
            "mime_type": "image/png",
            "record_type": "Behavioral",
        }
    }
    sensitive.add(NOTES)
    assert _send(api, "POST", docs, staff, body).status == 400


def door_b_flow(api: Any, aws: Any, sensitive: Sensitive) -> None:
    staff = _token(sensitive)
    sensitive.update({FILE_NAME, NOTES})
    raw, content_type = multipart(
        {"bucket_name": aws.bucket, "file_path": f"patients/{PATIENT}/documents", "file_name": FILE_NAME},
        FILE_NAME,
        png_bytes(),
        "image/png",
    )
    uploaded = call(
        api, "POST", "/apis/v1/file/upload/unsigned", headers={**staff, "content-type": content_type}, raw=raw
    )
    assert uploaded.status == 200, uploaded.body

    presign_body = {"patient_id": PATIENT, "file_name": FILE_NAME, "content_type": "image/png", "size_bytes": 1234}
    presigned = _send(api, "POST", "/apis/v1/file/upload/presigned", staff, presign_body)
    assert presigned.status == 200, presigned.body
    fields = presigned.json["data"]["fields"]
    sensitive.update({fields["policy"], fields["x-amz-signature"]})

    save = {
        "patient_id": PATIENT,
        "name": FILE_NAME,
        "document_url": uploaded.json["data"]["file_url"],
        "bucket_name": aws.bucket,
        "notes": NOTES,
        "signed_by": STAFF_NAME,
    }
    saved = _send(api, "POST", "/apis/v1/patient-document", staff, save)
    assert saved.status == 200, saved.body
    doc_id = saved.json["data"]["id"]
    listed = _send(api, "GET", f"/apis/v1/patient-document/{PATIENT}?document_name=Rosalind&size=10", staff)
    assert listed.status == 200
    assert (
        _send(api, "POST", f"/apis/v1/patient-document/{doc_id}", staff, {"notes": NOTES + " (reviewed)"}).status == 200
    )
    # Refusals: an unknown URL, a date that is not one, a server-owned field.
    bad = {**save, "document_url": f"https://evil.example/{FILE_NAME}"}
    assert _send(api, "POST", "/apis/v1/patient-document", staff, bad).status == 400
    bad_date = {"receipt_date": f"{PATIENT_NAME} 2026"}
    assert _send(api, "POST", f"/apis/v1/patient-document/{doc_id}", staff, bad_date).status == 400
    assert _send(api, "POST", f"/apis/v1/patient-document/{doc_id}", staff, {"id": 7, "notes": NOTES}).status == 400


MOBILE = "+447911123456"
DATE_OF_BIRTH = "1971-03-14"
PROMPT = "Please photograph the eczema on Rosalind's left elbow."


def door_c_and_page_flow(api: Any, aws: Any, sensitive: Sensitive) -> None:
    staff = _token(sensitive)
    first, last = PATIENT_NAME.split(" ")
    sensitive.update({MOBILE, MOBILE[1:], DATE_OF_BIRTH, PROMPT, first, last, FILE_NAME})
    body = {
        "prompt": PROMPT,
        "type": "photo",
        "accountUserId": 42,
        "accountId": 12,
        "staffName": STAFF_NAME,
        "patientMobile": MOBILE,
        "patientDateOfBirth": DATE_OF_BIRTH,
        "patientFirstName": first,
        "patientLastName": last,
    }
    created = _send(api, "POST", "/v1/file-requests", {**staff, "idempotency-key": "phi-1"}, body)
    assert created.status == 201, created.body
    link = created.json["short_link_id"]
    sensitive.add(link)
    # Refusals: a date of birth that does not match, a mobile that is not one.
    assert _send(api, "POST", "/v1/file-requests", staff, {**body, "patientDateOfBirth": "1971-03-15"}).status == 409
    assert (
        _send(api, "POST", "/v1/file-requests", staff, {**body, "patientMobile": "+44 " + PATIENT_NAME}).status == 400
    )
    # The patient: the page, a wrong and a right date of birth, a photo.
    assert call(api, "GET", f"/r/{link}").status == 200
    assert _send(api, "POST", f"/r/{link}/verify", {}, {"date_of_birth": "1971-03-15"}).status == 400
    verified = _send(api, "POST", f"/r/{link}/verify", {}, {"date_of_birth": DATE_OF_BIRTH})
    session = verified.json["upload_session"]
    sensitive.add(session)
    photo = {"file_name": FILE_NAME, "content_type": "image/png", "size_bytes": len(png_bytes())}
    presigned = _send(api, "POST", f"/r/{link}/uploads", {"x-upload-session": session}, photo)
    assert presigned.status == 200, presigned.body
    sensitive.update({presigned.json["fields"]["policy"], presigned.json["fields"]["x-amz-signature"]})
    files = {"file": (FILE_NAME, png_bytes(), "image/png")}
    assert requests.post(presigned.json["url"], data=presigned.json["fields"], files=files, timeout=30).ok
    register(queued_events(aws))
    answer = _send(api, "GET", f"/v1/file-requests/{created.json['id']}", staff)
    assert len(answer.json["files"]) == 1
    sensitive.update(_url_secrets(answer.json["files"][0]["download_url"]))


FLOWS: dict[str, Flow] = {
    "door A": door_a_flow,
    "door B": door_b_flow,
    "door C and the patient page": door_c_and_page_flow,
}


class LogCapture:
    """Every line the functions log: Powertools' JSON on stdout (capsys), and any other logger's records."""

    def __init__(self, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
        from patient_docs.observability import logger

        self._capsys, self._caplog = capsys, caplog
        self._handler = logger.registered_handler
        self._previous: Any = None

    def start(self) -> None:
        # Called inside the test: the handler keeps the stdout of the moment it was made, which is
        # not capsys' one. Assigned, not setStream(): that would flush a stream pytest has closed.
        if isinstance(self._handler, logging.StreamHandler):
            self._previous = self._handler.stream
            self._handler.stream = sys.stdout
        self._caplog.set_level(logging.INFO)
        self._capsys.readouterr()

    def lines(self) -> list[str]:
        return self._capsys.readouterr().out.splitlines() + [r.getMessage() for r in self._caplog.records]

    def stop(self) -> None:
        if self._previous is not None and isinstance(self._handler, logging.StreamHandler):
            self._handler.stream = self._previous


@pytest.fixture
def log_capture(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Iterator[LogCapture]:
    capture = LogCapture(capsys, caplog)
    yield capture
    capture.stop()


def leaks(lines: list[str], sensitive: Sensitive) -> list[str]:
    """The sensitive values some line holds, as written or escaped as JSON or a URL would escape them."""
    found = set()
    for value in sensitive:
        if not value:
            continue
        spellings = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
        spellings |= {quote(value, safe=""), quote_plus(value)}
        if any(spelling in line for line in lines for spelling in spellings):
            found.add(value[:40])
    return sorted(found)


def _check(log_capture: LogCapture, sensitive: Sensitive) -> None:
    lines = log_capture.lines()
    # The functions did log (so the capture works) ...
    assert any('"level"' in line for line in lines), "no log line captured: the check would prove nothing"
    # ... and no line holds any of those values
    assert leaks(lines, sensitive) == [], f"logged: {leaks(lines, sensitive)}"


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_no_sensitive_value_is_ever_logged(api, aws, log_capture, flow):
    # Given a flow that sends and receives PHI, tokens and presigned URLs
    sensitive: Sensitive = set()
    # When it runs with every log line captured
    log_capture.start()
    FLOWS[flow](api, aws, sensitive)
    # Then no line holds any of those values
    _check(log_capture, sensitive)


# ------------------------------------------------------------------ failure paths
def _file_request(sensitive: Sensitive) -> dict[str, Any]:
    first, last = PATIENT_NAME.split(" ")
    sensitive.update({MOBILE, MOBILE[1:], DATE_OF_BIRTH, PROMPT, first, last})
    body = {
        "prompt": PROMPT,
        "type": "photo",
        "accountUserId": 42,
        "accountId": 12,
        "staffName": STAFF_NAME,
        "patientMobile": MOBILE,
        "patientDateOfBirth": DATE_OF_BIRTH,
        "patientFirstName": first,
        "patientLastName": last,
    }
    return body


def _allow_resend(aws: Any, file_request_id: str) -> None:
    """The last notification went long ago, so a resend is not rate-limited."""
    aws.client("dynamodb").update_item(
        TableName=aws.table,
        Key={"PK": {"S": f"FILEREQ#{file_request_id}"}, "SK": {"S": "REQUEST"}},
        UpdateExpression="SET last_notification_at = :earlier",
        ExpressionAttributeValues={":earlier": {"S": "2020-01-01T00:00:00.000000+00:00"}},
    )


def _photo_waiting_to_register(api: Any, aws: Any, sensitive: Sensitive, data: bytes, declared: str) -> dict[str, Any]:
    """A file request whose patient has sent a photo (named with PHI): the register step has not run yet."""
    staff = _token(sensitive)
    created = _send(api, "POST", "/v1/file-requests", staff, _file_request(sensitive))
    assert created.status == 201, created.body
    link = created.json["short_link_id"]
    sensitive.add(link)
    session = _send(api, "POST", f"/r/{link}/verify", {}, {"date_of_birth": DATE_OF_BIRTH}).json["upload_session"]
    sensitive.update({session, FILE_NAME})
    photo = {"file_name": FILE_NAME, "content_type": declared, "size_bytes": len(data)}
    form = _send(api, "POST", f"/r/{link}/uploads", {"x-upload-session": session}, photo)
    assert form.status == 200, form.body
    sensitive.update({form.json["fields"]["policy"], form.json["fields"]["x-amz-signature"]})
    files = {"file": (FILE_NAME, data, declared)}
    assert requests.post(form.json["url"], data=form.json["fields"], files=files, timeout=30).ok
    return dict(created.json)


def sns_outage_flow(api: Any, aws: Any, sensitive: Sensitive, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = _token(sensitive)
    body = _file_request(sensitive)
    with Outage("sns", "InvalidParameter") as outage:
        # A request is stored and its notice queued; SNS refuses the SMS, and again after a resend
        created = _send(api, "POST", "/v1/file-requests", staff, body)
        assert created.status == 201 and created.json["notification_status"] == "queued", created.body
        sensitive.add(created.json["short_link_id"])
        _allow_resend(aws, created.json["id"])
        resent = _send(api, "POST", f"/v1/file-requests/{created.json['id']}/resend", staff)
        assert resent.status == 200 and resent.json["notification_status"] == "queued", resent.body
    assert outage.calls >= 2


def sns_push_outage_flow(api: Any, aws: Any, sensitive: Sensitive, monkeypatch: pytest.MonkeyPatch) -> None:
    from patient_docs.settings import get_settings

    arn = aws.client("sns").create_platform_application(
        Name="patient-app", Platform="GCM", Attributes={"PlatformCredential": "test"}
    )["PlatformApplicationArn"]
    monkeypatch.setenv("PUSH_PLATFORM_APPLICATION_ARN", arn)
    get_settings.cache_clear()
    staff = _token(sensitive)
    body = _file_request(sensitive)
    first = _send(api, "POST", "/v1/file-requests", staff, body)
    patient = _token(sensitive, "patient", first.json["patient_number"])
    device_token = f"device-{uuid.uuid4().hex}"
    sensitive.add(device_token)
    assert _send(api, "POST", "/v1/patient-devices", patient, {"deviceToken": device_token}).status == 201
    with Outage("sns", "EndpointDisabled"):
        # The push fails, then the SMS; a device registration is refused
        second = _send(api, "POST", "/v1/file-requests", staff, {**body, "prompt": PROMPT + " Again."})
        assert second.status == 201 and second.json["notification_status"] == "queued", second.body
        fetched = _send(api, "GET", f"/v1/file-requests/{second.json['id']}", staff)
        assert fetched.json["notification_status"] == "failed", fetched.body
        again = _send(api, "POST", "/v1/patient-devices", patient, {"deviceToken": device_token + "-2"})
        assert again.status == 503, again.body
    sensitive.add(device_token + "-2")


def s3_outage_flow(api: Any, aws: Any, sensitive: Sensitive, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = _token(sensitive)
    sensitive.update({FILE_NAME, NOTES})
    docs = f"/api/v2/patients/{PATIENT}/documents"
    inline = {
        "doc": {
            "document_name": FILE_NAME,
            "data": b64(png_bytes()),
            "mime_type": "image/png",
            "record_type": "Behavioral",
        }
    }
    # Before the outage: a door A document, a file uploaded for Save Document, a photo waiting to register
    existing = _send(api, "POST", docs, staff, inline).json["doc"]
    raw, content_type = multipart(
        {"bucket_name": aws.bucket, "file_path": f"patients/{PATIENT}/documents", "file_name": FILE_NAME},
        FILE_NAME,
        png_bytes(),
        "image/png",
    )
    uploaded = call(
        api, "POST", "/apis/v1/file/upload/unsigned", headers={**staff, "content-type": content_type}, raw=raw
    )
    _photo_waiting_to_register(api, aws, sensitive, png_bytes(), "image/png")
    with Outage("s3", "SlowDown") as outage:
        assert _send(api, "POST", docs, staff, inline).status >= 500
        again = call(
            api, "POST", "/apis/v1/file/upload/unsigned", headers={**staff, "content-type": content_type}, raw=raw
        )
        assert again.status >= 500
        save = {
            "patient_id": PATIENT,
            "name": FILE_NAME,
            "document_url": uploaded.json["data"]["file_url"],
            "bucket_name": aws.bucket,
            "notes": NOTES,
        }
        assert _send(api, "POST", "/apis/v1/patient-document", staff, save).status >= 500
        assert _send(api, "DELETE", f"{docs}/{existing['id']}", staff).status >= 500
        failed = register(queued_events(aws))
        assert failed["batchItemFailures"], failed
    assert outage.calls >= 4


def dynamodb_outage_flow(api: Any, aws: Any, sensitive: Sensitive, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = _token(sensitive)
    patient = _token(sensitive, "patient", PATIENT)
    sensitive.update({FILE_NAME, NOTES})
    docs = f"/api/v2/patients/{PATIENT}/documents"
    body = _file_request(sensitive)
    # Before the outage: a request with a link, a photo waiting to register, a door A document
    created = _send(api, "POST", "/v1/file-requests", staff, body).json
    link = created["short_link_id"]
    sensitive.add(link)
    _photo_waiting_to_register(api, aws, sensitive, png_bytes(), "image/png")
    inline = {
        "doc": {
            "document_name": FILE_NAME,
            "data": b64(png_bytes()),
            "mime_type": "image/png",
            "record_type": "Behavioral",
        }
    }
    existing = _send(api, "POST", docs, staff, inline).json["doc"]
    with Outage("dynamodb", "ProvisionedThroughputExceededException") as outage:
        for caller in (staff, patient):
            assert _send(api, "POST", docs, caller, inline).status >= 500
            assert _send(api, "GET", docs, caller).status >= 500
            assert _send(api, "GET", f"{docs}/{existing['id']}", caller).status >= 500
            assert _send(api, "DELETE", f"{docs}/{existing['id']}", caller).status >= 500
        update = {"notes": NOTES, "signed_by": STAFF_NAME, "name": FILE_NAME}
        assert _send(api, "POST", f"/apis/v1/patient-document/{existing['id']}", staff, update).status >= 500
        assert _send(api, "GET", f"/apis/v1/patient-document/{PATIENT}?document_name=Rosalind", staff).status >= 500
        assert _send(api, "POST", "/v1/file-requests", staff, {**body, "prompt": PROMPT + " Again."}).status >= 500
        assert _send(api, "GET", f"/v1/file-requests/{created['id']}", staff).status >= 500
        assert _send(api, "GET", "/v1/file-requests", staff).status >= 500
        assert call(api, "GET", f"/r/{link}").status >= 500
        assert _send(api, "POST", f"/r/{link}/verify", {}, {"date_of_birth": DATE_OF_BIRTH}).status >= 500
        photo = {"file_name": FILE_NAME, "content_type": "image/png", "size_bytes": 10}
        assert _send(api, "POST", f"/r/{link}/uploads", {"x-upload-session": "s" * 40}, photo).status >= 500
        admin = _token(sensitive, "admin")
        settings = {"smsSenderId": "Clinic12", "linkLifetimeHours": 48}
        assert _send(api, "PUT", "/v1/account-settings", admin, settings).status >= 400
        failed = register(queued_events(aws))
        assert failed["batchItemFailures"], failed
    assert outage.calls >= 10


def refused_inputs_flow(api: Any, aws: Any, sensitive: Sensitive, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = _token(sensitive)
    sensitive.update({FILE_NAME, NOTES})
    docs = f"/api/v2/patients/{PATIENT}/documents"
    json_type = {**staff, "content-type": "application/json"}
    # Bodies that break the parser, each carrying PHI
    for raw in (
        json.dumps({"doc": {"document_name": FILE_NAME}}).encode()[:-1] + b', "doc": 1}',
        ('{"doc": {"document_name": "' + FILE_NAME + '", "data": NaN}}').encode(),
        ('{"notes": "' + NOTES + '", "n": 1' + "0" * 5000 + "}").encode(),
        ('{"name": "' + PATIENT_NAME + '\\ud800"}').encode(),
        ('{"a": ' * 40 + '"' + NOTES + '"' + "}" * 40).encode(),
        PATIENT_NAME.encode("latin-1") + "é".encode("latin-1"),
    ):
        for path in (docs, "/apis/v1/patient-document", "/v1/file-requests"):
            assert call(api, "POST", path, headers=json_type, raw=raw).status == 400
    # A key no model knows, spelling PHI: the answer names it (to its sender), the log says where it was
    nosy = {f"{PATIENT_NAME} DOB 1975-01-02": 1}
    fhir = {**staff, "content-type": "application/fhir+json"}
    reference = {**new_reference(pdf_bytes()), **nosy}
    reply = call(api, "POST", "/fhir/R4/DocumentReference", headers=fhir, raw=json.dumps(reference).encode())
    assert reply.status == 400 and PATIENT_NAME in reply.body.decode(), reply.body
    # A search parameter no FHIR server has, spelling PHI in FHIR's own parameter shape
    first, last = PATIENT_NAME.split(" ")
    unknown = f"{first}_{last.replace('-', '_')}_dob_19750102"
    sensitive.add(unknown)
    reply = call(api, "GET", f"/fhir/R4/DocumentReference?patient={PATIENT}&{unknown}=1", headers=staff)
    assert reply.status == 400 and unknown in reply.body.decode(), reply.body
    # Display texts with invisible characters, URLs that spell an address, an invalid mobile
    first, last = PATIENT_NAME.split(" ")
    body = _file_request(sensitive)
    assert _send(api, "POST", "/v1/file-requests", staff, {**body, "staffName": STAFF_NAME + "\u202e"}).status == 400
    assert _send(api, "POST", "/v1/file-requests", staff, {**body, "patientMobile": PATIENT_NAME}).status == 400
    assert _send(api, "POST", "/v1/file-requests", staff, {**body, "prompt": PROMPT + "\u200b"}).status == 400
    save = {
        "patient_id": PATIENT,
        "name": first + "\u2066" + last,
        "document_url": f"https://127.1/{last}.png",
        "bucket_name": aws.bucket,
    }
    assert _send(api, "POST", "/apis/v1/patient-document", staff, save).status == 400
    update = {"thumbnail_url": f"https://0x7f000001/{first}.png", "notes": NOTES + "\x07"}
    assert _send(api, "POST", "/apis/v1/patient-document/1", staff, update).status == 400
    # The patient page: five wrong dates of birth lock the link, a made-up upload session, an unknown link
    created = _send(api, "POST", "/v1/file-requests", staff, body).json
    link = created["short_link_id"]
    sensitive.add(link)
    for _ in range(6):
        assert _send(api, "POST", f"/r/{link}/verify", {}, {"date_of_birth": "1971-03-15"}).status in (400, 423)
    assert _send(api, "POST", f"/r/{link}/verify", {}, {"date_of_birth": DATE_OF_BIRTH}).status == 423
    made_up = f"session-{PATIENT_NAME}"
    sensitive.add(made_up)
    photo = {"file_name": FILE_NAME, "content_type": "image/png", "size_bytes": 10}
    assert _send(api, "POST", f"/r/{link}/uploads", {"x-upload-session": made_up[:90]}, photo).status in (400, 423)
    unknown = f"zz{uuid.uuid4().hex[:10]}"
    sensitive.add(unknown)
    assert call(api, "GET", f"/r/{unknown}").status == 404


def quarantine_flow(api: Any, aws: Any, sensitive: Sensitive, monkeypatch: pytest.MonkeyPatch) -> None:
    # A PDF sent as a photo, a photo sent after the request was cancelled, a key no request issued
    _photo_waiting_to_register(api, aws, sensitive, pdf_bytes(), "image/png")
    assert register(queued_events(aws)) == {"batchItemFailures": []}
    cancelled = _photo_waiting_to_register(api, aws, sensitive, png_bytes(), "image/png")
    staff = _token(sensitive)
    assert _send(api, "POST", f"/v1/file-requests/{cancelled['id']}/cancel", staff).status == 200
    stray = f"file-requests/12/{PATIENT_NAME}/{FILE_NAME}"
    sensitive.add(stray)
    aws.client("s3").put_object(Bucket=aws.bucket, Key=stray, Body=png_bytes(), ContentType="image/png")
    assert register(queued_events(aws)) == {"batchItemFailures": []}
    quarantined = [key for key in aws.all_objects() if key.startswith("quarantine/")]
    assert len(quarantined) >= 2, aws.all_objects()


FailureFlow = Callable[[Any, Any, Sensitive, pytest.MonkeyPatch], None]
# Each flow, and a message its failure path logs (so the check is known to have run through it).
FAILURE_FLOWS: dict[str, tuple[FailureFlow, str]] = {
    "SNS down (SMS)": (sns_outage_flow, "SMS failed"),
    "SNS down (app push)": (sns_push_outage_flow, "push failed; sending SMS"),
    "S3 down": (s3_outage_flow, "unhandled error"),
    "DynamoDB down": (dynamodb_outage_flow, "unhandled error"),
    "refused inputs": (refused_inputs_flow, "request refused"),
    "quarantined uploads": (quarantine_flow, "upload quarantined"),
}


@pytest.mark.parametrize("flow", sorted(FAILURE_FLOWS))
def test_no_sensitive_value_is_logged_on_failure_paths(api, aws, log_capture, monkeypatch, flow):
    # Given a flow whose calls fail (an AWS outage, a refused input, a quarantined upload), carrying PHI
    run, failure_message = FAILURE_FLOWS[flow]
    sensitive: Sensitive = set()
    # When it runs with every log line captured
    log_capture.start()
    run(api, aws, sensitive, monkeypatch)
    # Then the failure path was logged, and no line holds any of those values
    lines = log_capture.lines()
    assert any(f'"message":"{failure_message}"' in line for line in lines), f"no {failure_message!r} logged"
    assert leaks(lines, sensitive) == [], f"logged: {leaks(lines, sensitive)}"


def test_the_check_fails_when_the_sms_failed_warning_carries_the_mobile_number(api, aws, log_capture, monkeypatch):
    # Given the "SMS failed" warning changed to carry the patient's mobile number
    from patient_docs.logic import notify_patient

    real = notify_patient.logger

    class LeakyLogger:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def warning(self, message: str, *args: Any, extra: dict[str, Any] | None = None, **kwargs: Any) -> None:
            if message == "SMS failed":
                extra = {**(extra or {}), "to": MOBILE}
            real.warning(message, *args, extra=extra, **kwargs)

    monkeypatch.setattr(notify_patient, "logger", LeakyLogger())
    sensitive: Sensitive = set()
    # When the SNS outage flow runs under the log check
    log_capture.start()
    sns_outage_flow(api, aws, sensitive, monkeypatch)
    # Then the check finds the number: a leak like this fails the test above
    assert MOBILE in leaks(log_capture.lines(), sensitive)
