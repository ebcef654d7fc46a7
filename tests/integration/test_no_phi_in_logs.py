"""No PHI in logs: every flow runs with its log output captured, and no sensitive value appears in it.

A flow is a function ``flow(api, aws, sensitive)`` that drives the API like a client would and
adds to ``sensitive`` every value it sent or received that must never be logged: patient and
staff names, file names, tokens, presigned URLs and their signatures, request body content.
Door C and the patient page add their flows (mobile numbers, dates of birth) to ``FLOWS``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from local import tokens
from tests.authz_fixtures import multipart
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
    from tests.integration.page_helpers import queued_events, register

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
    import requests

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


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_no_sensitive_value_is_ever_logged(api, aws, log_capture, flow):
    # Given a flow that sends and receives PHI, tokens and presigned URLs
    sensitive: Sensitive = set()
    # When it runs with every log line captured
    log_capture.start()
    FLOWS[flow](api, aws, sensitive)
    lines = log_capture.lines()
    # Then the functions did log (so the capture works) ...
    assert any('"level"' in line for line in lines), "no log line captured: the check would prove nothing"
    # ... and no line holds any of those values
    leaks = sorted({value[:40] for value in sensitive for line in lines if value and value in line})
    assert leaks == [], f"logged: {leaks}"
