"""``make run`` end to end: the README's curl walkthrough, over real HTTP, with real tokens."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import requests

from local.template import http_routes
from tests.e2e.server import RunningServer, local_server, when_served
from tests.e2e.test_local_persistence import FILE_REQUEST, upload_photo_from_the_patient_page
from tests.images import same_pixels
from tests.utils import pdf_bytes, png_bytes
from tests.webhook_receiver import receiver, recipe

pytestmark = pytest.mark.server
PATIENT = 1172416


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with local_server(tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture(scope="module")
def staff(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token('--role', 'staff', '--account', '12')}"}


def test_door_a_create_list_get_download_delete(server, staff):
    url = f"{server.base_url}/api/v2/patients/{PATIENT}/documents"
    doc = {
        "document_name": "DOGE.png",
        "data": base64.b64encode(png_bytes()).decode(),
        "mime_type": "image/png",
        "record_type": "Patient Record",
    }
    created = requests.post(url, json={"doc": doc}, headers=staff, timeout=30)
    assert created.status_code == 201, created.text
    doc_id = created.json()["doc"]["id"]
    assert doc_id in [d["id"] for d in requests.get(url, headers=staff, timeout=30).json()["docs"]]
    fetched = when_served(f"{url}/{doc_id}", staff).json()["doc"]  # once its malware scan says clean
    # The presigned URL works with a plain HTTP client on this machine.
    download = requests.get(fetched["download_url"], timeout=30)
    assert download.status_code == 200 and same_pixels(download.content, png_bytes())  # its clean copy
    assert requests.delete(f"{url}/{doc_id}", headers=staff, timeout=30).status_code == 204


def test_door_b_presigned_upload_save_and_list(server, staff):
    presign = requests.post(
        f"{server.base_url}/apis/v1/file/upload/presigned",
        json={
            "patient_id": PATIENT,
            "file_name": "insurance-card.pdf",
            "content_type": "application/pdf",
            "size_bytes": len(pdf_bytes()),
        },
        headers=staff,
        timeout=30,
    ).json()["data"]
    posted = requests.post(
        presign["url"],
        data=presign["fields"],
        files={"file": ("insurance-card.pdf", pdf_bytes(), "application/pdf")},
        timeout=30,
    )
    assert posted.status_code in (200, 204), posted.text
    saved = requests.post(
        f"{server.base_url}/apis/v1/patient-document",
        json={
            "patient_id": PATIENT,
            "name": "PEHP Insurance Card",
            "document_url": presign["file_url"],
            "bucket_name": presign["bucket_name"],
            "document_category": "INSURANCE_CARD",
        },
        headers=staff,
        timeout=30,
    )
    assert saved.status_code == 200, saved.text
    listed = requests.get(
        f"{server.base_url}/apis/v1/patient-document/{PATIENT}?document_category=INSURANCE_CARD",
        headers=staff,
        timeout=30,
    ).json()
    assert saved.json()["data"]["id"] in [d["id"] for d in listed["data"]["documents"]]


def test_tokens_are_checked_like_the_jwt_authorizer(server, staff):
    url = f"{server.base_url}/api/v2/patients/{PATIENT}/documents"
    assert requests.get(url, timeout=30).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer x.y.z"}, timeout=30).status_code == 401
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    claims = base64.urlsafe_b64encode(b'{"sub":"x","role":"staff","account_id":"12"}').rstrip(b"=").decode()
    assert requests.get(url, headers={"Authorization": f"Bearer {unsigned}.{claims}."}, timeout=30).status_code == 401
    patient = server.token("--role", "patient", "--account", "12", "--patient", str(PATIENT))
    assert requests.get(url, headers={"Authorization": f"Bearer {patient}"}, timeout=30).status_code == 200


def test_openapi_documents_every_template_route_and_sms_log_starts_empty(server):
    spec = requests.get(f"{server.base_url}/openapi.json", timeout=30).json()
    for route in http_routes():
        assert route.method.lower() in spec["paths"][route.path], route.route_key
    assert requests.get(f"{server.base_url}/_local/sms", timeout=30).json() == []


def test_a_registered_webhook_receives_a_signed_file_request_responded_that_the_recipe_verifies(server, staff):
    # Given a receiver on 127.0.0.1 (which only the local server may target), registered by an admin
    admin = {"Authorization": f"Bearer {server.token('--role', 'admin', '--account', '12')}"}
    with receiver() as hook:
        body = {"url": hook.url, "eventTypes": ["file_request.responded"]}
        registered = requests.post(f"{server.base_url}/v1/webhooks", json=body, headers=admin, timeout=30)
        assert registered.status_code == 201, registered.text
        secret = registered.json()["secret"]
        # When a patient answers a request from the patient page
        reply = requests.post(f"{server.base_url}/v1/file-requests", json=FILE_REQUEST, headers=staff, timeout=30)
        assert reply.status_code == 201, reply.text
        upload_photo_from_the_patient_page(server, reply.json()["short_link_id"])
        # Then the receiver gets one POST (the upload queue, the register function, the webhooks queue)
        assert hook.arrived.wait(timeout=30), server.output[-3000:]
    (got,) = hook.received
    event = json.loads(got.body)
    assert event["type"] == "file_request.responded" and event["data"]["file_request_id"] == reply.json()["id"]
    # And the documented recipe verifies it with the secret shown at registration
    assert recipe()(secret, got.headers, got.body)
    # And /_local/webhooks lists the try: URL, headers, body and status
    (tried,) = requests.get(f"{server.base_url}/_local/webhooks", timeout=30).json()
    assert (tried["url"], tried["status"], tried["body"]) == (hook.url, 204, got.body.decode())
    assert tried["headers"]["Webhook-Signature"] == got.headers["webhook-signature"]


def test_the_clock_fires_one_reminder_for_an_open_request_and_none_for_a_cancelled_one(server, staff):
    # Given two requests, one then cancelled, and an opted-out patient who gave an email address
    body = {
        "prompt": "Please take a close-up photo of the rash.",
        "type": "photo",
        "accountUserId": 42,
        "accountId": 12,
        "staffName": "Dr Rachel Williams",
        "patientDateOfBirth": "1980-06-17",
    }
    requests_url = f"{server.base_url}/v1/file-requests"

    def create(mobile: str, **extra: str) -> dict[str, str]:
        reply = requests.post(requests_url, json={**body, "patientMobile": mobile, **extra}, headers=staff, timeout=30)
        assert reply.status_code == 201, reply.text
        return dict(reply.json())

    create("+447777123401")
    cancelled = create("+447777123402")
    assert requests.post(f"{requests_url}/{cancelled['id']}/cancel", headers=staff, timeout=30).status_code == 200
    emailed = create("+447777123499", patientEmail="patient@example.com")  # moto: ...99 opted out
    # The notices went when the creates answered: SMS for two, an email for the opted-out one
    emails = requests.get(f"{server.base_url}/_local/email", timeout=30).json()
    assert [e["to"] for e in emails] == ["patient@example.com"] and emailed["short_link_id"] in emails[0]["body"]

    def reminders() -> list[str]:
        sms = requests.get(f"{server.base_url}/_local/sms", timeout=30).json()
        return [m["to"] for m in sms if m["body"].startswith("Reminder: ")]

    # When the clock passes the reminder time (72 h links, 24 h before), twice
    clock = f"{server.base_url}/_local/clock"
    assert requests.post(clock, json={"advance_hours": "soon"}, timeout=30).status_code == 400
    moved = requests.post(clock, json={"advance_hours": 49}, timeout=30)
    assert moved.status_code == 200 and moved.json()["offset_hours"] == 49, moved.text
    requests.post(clock, json={"advance_hours": 1}, timeout=30)
    # Then the open request got exactly one reminder, the cancelled one none; the emailed patient's is an email
    assert reminders() == ["+447777123401"]
    reminded = [
        e
        for e in requests.get(f"{server.base_url}/_local/email", timeout=30).json()
        if e["subject"].startswith("Reminder")
    ]
    assert len(reminded) == 1 and "Rachel" not in reminded[0]["body"]
