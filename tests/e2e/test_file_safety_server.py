"""``make run`` end to end (issue 14, done when): files are served only once the scanner stand-in says clean.

The local server scans every new file ``LOCAL_SCAN_DELAY_SECONDS`` after it lands (``local/scanner.py``)
and delivers GuardDuty's result event through the template's EventBridge rule to the real
ScanResultRecordFunction: an EICAR file sent through door B is never downloadable and ends in
quarantine as ``infected``; a clean PDF becomes downloadable once scanned; asked for while pending,
the download is a 409 with ``Retry-After``.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from tests.e2e.server import RunningServer, local_server
from tests.scanning import EICAR_FILE
from tests.utils import pdf_bytes

pytestmark = pytest.mark.server
PATIENT = 1172416
DELAY_SECONDS = 2
DOCS = f"/api/v2/patients/{PATIENT}/documents"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with local_server(tmp_path_factory.mktemp("scan"), {"LOCAL_SCAN_DELAY_SECONDS": str(DELAY_SECONDS)}) as running:
        yield running


@pytest.fixture(scope="module")
def staff(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token('--role', 'staff', '--account', '12')}"}


@pytest.fixture(scope="module")
def s3(server: RunningServer) -> Any:
    """The server's embedded AWS, as an operator would look into it."""
    endpoint = f"http://127.0.0.1:{server.env['LOCAL_AWS_PORT']}"
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def upload_and_save(server: RunningServer, staff: dict[str, str], name: str, content: bytes, kind: str) -> dict:
    """Door B: the multipart Upload File, then Save Document; the saved document."""
    fields = {"bucket_name": "local-documentsbucket", "file_path": f"patients/{PATIENT}/documents", "file_name": name}
    uploaded = requests.post(
        f"{server.base_url}/apis/v1/file/upload/unsigned",
        data=fields,
        files={"file": (name, content, kind)},
        headers=staff,
        timeout=30,
    )
    assert uploaded.status_code == 200, uploaded.text
    file_url = uploaded.json()["data"]["file_url"]
    save = {"patient_id": PATIENT, "name": name, "document_url": file_url, "bucket_name": "local-documentsbucket"}
    saved = requests.post(f"{server.base_url}/apis/v1/patient-document", json=save, headers=staff, timeout=30)
    assert saved.status_code == 200, saved.text
    return dict(saved.json()["data"])


def key_of(document: dict) -> str:
    return str(document["document_url"].split(".amazonaws.com/", 1)[1])


def exists(s3: Any, key: str) -> bool:
    try:
        s3.head_object(Bucket="local-documentsbucket", Key=key)
    except ClientError:
        return False
    return True


def test_an_eicar_file_through_door_b_is_never_downloadable_and_ends_in_quarantine_as_infected(server, staff, s3):
    # Given the EICAR test file uploaded and saved through door B
    document = upload_and_save(server, staff, f"eicar-{uuid.uuid4().hex[:6]}.txt", EICAR_FILE, "text/plain")
    assert document["scan_status"] == "pending"
    key = key_of(document)
    get = f"{server.base_url}{DOCS}/{document['id']}"
    # When its download is asked for until the scan's verdict is in (and a little after)
    answers = []
    deadline = time.monotonic() + DELAY_SECONDS + 30
    while time.monotonic() < deadline:
        reply = requests.get(get, headers=staff, timeout=30)
        answers.append((reply.status_code, reply.json()["error"]["code"] if reply.status_code == 409 else None))
        if answers[-1] == (409, "file_withheld"):
            break
        time.sleep(0.25)
    # Then it was never handed out: pending first (409 with Retry-After), then withheld for good
    assert answers[0] == (409, "scan_pending") and answers[-1] == (409, "file_withheld"), answers
    assert all(status == 409 for status, _ in answers), answers
    # And its record says infected, and its bytes are in quarantine, not where they were uploaded
    listed = requests.get(f"{server.base_url}/apis/v1/patient-document/{PATIENT}?size=100", headers=staff, timeout=30)
    (found,) = [d for d in listed.json()["data"]["documents"] if d["id"] == document["id"]]
    assert found["scan_status"] == "infected" and found["scanned_at"]
    assert not exists(s3, key) and exists(s3, f"quarantine/{key}")
    tags = s3.get_object_tagging(Bucket="local-documentsbucket", Key=f"quarantine/{key}")["TagSet"]
    assert tags == []  # the quarantined copy is never served: it needs no scan tag


def test_a_clean_pdf_is_a_409_with_retry_after_while_pending_then_downloadable(server, staff, s3):
    # Given a PDF created through door A
    body = {
        "doc": {
            "document_name": "results.pdf",
            "data": base64.b64encode(pdf_bytes()).decode(),
            "mime_type": "application/pdf",
            "record_type": "Test Result",
        }
    }
    created = requests.post(f"{server.base_url}{DOCS}", json=body, headers=staff, timeout=30)
    assert created.status_code == 201, created.text
    get = f"{server.base_url}{DOCS}/{created.json()['doc']['id']}"
    # When its download is asked for at once, then it is a 409 saying when to ask again
    pending = requests.get(get, headers=staff, timeout=30)
    assert pending.status_code == 409 and pending.json()["error"]["code"] == "scan_pending", pending.text
    assert int(pending.headers["Retry-After"]) > 0
    # When it is asked for again after the scan, then the URL serves the file
    deadline = time.monotonic() + DELAY_SECONDS + 30
    while (reply := requests.get(get, headers=staff, timeout=30)).status_code == 409 and time.monotonic() < deadline:
        time.sleep(float(reply.headers.get("Retry-After", "1")) / 10)
    assert reply.status_code == 200, reply.text
    assert reply.json()["doc"]["scan_status"] == "clean"
    assert requests.get(reply.json()["doc"]["download_url"], timeout=30).content == pdf_bytes()
    # And the object carries the scanner's tag, as GuardDuty's would
    key = s3.list_objects_v2(Bucket="local-documentsbucket", Prefix=f"accounts/12/patients/{PATIENT}/")["Contents"]
    tagged = [s3.get_object_tagging(Bucket="local-documentsbucket", Key=k["Key"])["TagSet"] for k in key]
    assert {"Key": "GuardDutyMalwareScanStatus", "Value": "NO_THREATS_FOUND"} in [t for tags in tagged for t in tags]
