"""For every route of ``template.yaml``: how to create what it touches, and how to call it.

``tests/integration/test_authorization_matrix.py`` calls every route as every kind of caller.
It needs, per route key, a ``Scenario``: ``prepare(api, aws)`` creates the owner's resource
(account 12, patient ``OWNER_PATIENT``) through the API itself and returns the ``Request``
that uses it. A route without an entry here fails ``test_every_route_has_an_authorization_scenario``,
so a new route cannot ship without its row in the matrix.

Expected statuses, when not the defaults:
  * ``right`` — the owner's staff and, where ``patient_ok``, the patient's own token.
  * ``other_account`` — staff of account 13. Patient ids are scoped by account, so on a route
    that names a patient, ``/patients/1172416`` is account 13's own patient 1172416: an empty
    list or a write into account 13's area (2xx), never account 12's data. Routes that name a
    document, a request or a link answer 404.
  * ``other_patient`` — a patient token of another patient of the same account: 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.utils import STAFF_12, b64, call, png_bytes

OWNER_ACCOUNT = "12"
OTHER_ACCOUNT = "13"
OWNER_PATIENT = 1172416
OTHER_PATIENT = 1172417
BUCKET_PLACEHOLDER = "{bucket}"


@dataclass
class Request:
    method: str
    path: str
    json: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Strings of the owner's data that no other caller may ever see in a response body.
    secrets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Scenario:
    prepare: Callable[[Any, Any], Request]
    right: int = 200
    other_account: int = 404
    other_patient: int = 404
    patient_ok: bool = True  # the patient's own token is a right caller too
    staff_ok: bool = True  # the account's staff are a right caller too


def secret_name(suffix: str = "png") -> str:
    """A file name unique to one test, so any echo of it in another caller's answer is found."""
    return f"owner-secret-{uuid.uuid4().hex[:12]}.{suffix}"


def multipart(fields: dict[str, str], file_name: str, content: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# ------------------------------------------------------------------ owner's data, made through the API
def create_inline_document(api: Any, name: str) -> dict[str, Any]:
    body = {
        "doc": {"document_name": name, "data": b64(png_bytes()), "mime_type": "image/png", "record_type": "Test Result"}
    }
    reply = call(api, "POST", f"/api/v2/patients/{OWNER_PATIENT}/documents", body, STAFF_12)
    assert reply.status == 201, reply.body
    return dict(reply.json["doc"])


def upload_unsigned(api: Any, aws: Any, name: str) -> dict[str, Any]:
    raw, content_type = multipart(
        {"bucket_name": aws.bucket, "file_path": f"patients/{OWNER_PATIENT}/documents", "file_name": name},
        name,
        png_bytes(),
        "image/png",
    )
    reply = call(
        api, "POST", "/apis/v1/file/upload/unsigned", caller=STAFF_12, headers={"content-type": content_type}, raw=raw
    )
    assert reply.status == 200, reply.body
    return dict(reply.json["data"])


def save_document(api: Any, aws: Any, name: str) -> dict[str, Any]:
    uploaded = upload_unsigned(api, aws, name)
    body = {"patient_id": OWNER_PATIENT, "name": name, "document_url": uploaded["file_url"], "bucket_name": aws.bucket}
    reply = call(api, "POST", "/apis/v1/patient-document", body, STAFF_12)
    assert reply.status == 200, reply.body
    return dict(reply.json["data"])


# ------------------------------------------------------------------ door A
def _door_a_create(api: Any, aws: Any) -> Request:
    name = secret_name()
    body = {
        "doc": {"document_name": name, "data": b64(png_bytes()), "mime_type": "image/png", "record_type": "Behavioral"}
    }
    return Request("POST", f"/api/v2/patients/{OWNER_PATIENT}/documents", json=body)


def _door_a_list(api: Any, aws: Any) -> Request:
    doc = create_inline_document(api, secret_name())
    return Request("GET", f"/api/v2/patients/{OWNER_PATIENT}/documents", secrets=[doc["document_name"], str(doc["id"])])


def _door_a_get(api: Any, aws: Any) -> Request:
    doc = create_inline_document(api, secret_name())
    path = f"/api/v2/patients/{OWNER_PATIENT}/documents/{doc['id']}"
    return Request("GET", path, secrets=[doc["document_name"], "X-Amz-Signature"])


def _door_a_delete(api: Any, aws: Any) -> Request:
    doc = create_inline_document(api, secret_name())
    return Request("DELETE", f"/api/v2/patients/{OWNER_PATIENT}/documents/{doc['id']}", secrets=[doc["document_name"]])


# ------------------------------------------------------------------ door B
def _door_b_unsigned(api: Any, aws: Any) -> Request:
    name = secret_name()
    raw, content_type = multipart(
        {"bucket_name": aws.bucket, "file_path": f"patients/{OWNER_PATIENT}/documents", "file_name": name},
        name,
        png_bytes(),
        "image/png",
    )
    return Request("POST", "/apis/v1/file/upload/unsigned", raw=raw, headers={"content-type": content_type})


def _door_b_presigned(api: Any, aws: Any) -> Request:
    body = {"patient_id": OWNER_PATIENT, "file_name": secret_name(), "content_type": "image/png", "size_bytes": 1000}
    return Request("POST", "/apis/v1/file/upload/presigned", json=body)


def _door_b_save(api: Any, aws: Any) -> Request:
    name = secret_name()
    uploaded = upload_unsigned(api, aws, name)
    body = {"patient_id": OWNER_PATIENT, "name": name, "document_url": uploaded["file_url"], "bucket_name": aws.bucket}
    return Request("POST", "/apis/v1/patient-document", json=body, secrets=[f"accounts/{OWNER_ACCOUNT}/"])


def _door_b_list(api: Any, aws: Any) -> Request:
    doc = save_document(api, aws, secret_name())
    return Request("GET", f"/apis/v1/patient-document/{OWNER_PATIENT}", secrets=[doc["name"], str(doc["id"])])


def _door_b_update(api: Any, aws: Any) -> Request:
    doc = save_document(api, aws, secret_name())
    body = {"notes": "reviewed"}
    return Request("POST", f"/apis/v1/patient-document/{doc['id']}", json=body, secrets=[doc["name"]])


# ------------------------------------------------------------------ door C
FILE_REQUEST = {
    "prompt": "Please photograph the owner-secret rash.",
    "type": "photo",
    "accountUserId": 42,
    "accountId": 12,
    "staffName": "Dr Rachel Williams",
    "patientMobile": "+447911123499",
    "patientDateOfBirth": "1980-06-17",
    "patientFirstName": "Ownerfirst",
    "patientLastName": "Ownerlast",
}
FILE_REQUEST_SECRETS = ["owner-secret", "Ownerfirst", "Ownerlast", "1980-06-17", "+447911123499"]


def create_file_request(api: Any) -> dict[str, Any]:
    reply = call(api, "POST", "/v1/file-requests", FILE_REQUEST, STAFF_12)
    assert reply.status == 201, reply.body
    return dict(reply.json)


def _door_c_create(api: Any, aws: Any) -> Request:
    return Request("POST", "/v1/file-requests", json=FILE_REQUEST, secrets=FILE_REQUEST_SECRETS[1:])


def _door_c_get(api: Any, aws: Any) -> Request:
    created = create_file_request(api)
    return Request("GET", f"/v1/file-requests/{created['id']}", secrets=[*FILE_REQUEST_SECRETS, created["id"]])


def _door_c_list(api: Any, aws: Any) -> Request:
    created = create_file_request(api)
    return Request("GET", "/v1/file-requests", secrets=[*FILE_REQUEST_SECRETS, created["id"]])


def _door_c_cancel(api: Any, aws: Any) -> Request:
    created = create_file_request(api)
    return Request("POST", f"/v1/file-requests/{created['id']}/cancel", json={}, secrets=FILE_REQUEST_SECRETS)


def _door_c_resend(api: Any, aws: Any) -> Request:
    created = create_file_request(api)
    # The first SMS went a minute ago, so that a resend is allowed now.
    aws.client("dynamodb").update_item(
        TableName=aws.table,
        Key={"PK": {"S": f"FILEREQ#{created['id']}"}, "SK": {"S": "REQUEST"}},
        UpdateExpression="SET last_notification_at = :earlier",
        ExpressionAttributeValues={":earlier": {"S": "2020-01-01T00:00:00.000000+00:00"}},
    )
    return Request("POST", f"/v1/file-requests/{created['id']}/resend", json={}, secrets=FILE_REQUEST_SECRETS)


def _door_c_register_device(api: Any, aws: Any) -> Request:
    body = {"platform": "ios", "deviceToken": "a" * 64}
    return Request("POST", "/v1/patient-devices", json=body)


def _account_settings_get(api: Any, aws: Any) -> Request:
    return Request("GET", "/v1/account-settings")


def _account_settings_put(api: Any, aws: Any) -> Request:
    return Request("PUT", "/v1/account-settings", json={"smsSenderId": "Owner12", "linkLifetimeHours": 48})


# ------------------------------------------------------------------ the patient page: the link is the capability
def _page(api: Any, aws: Any) -> Request:
    created = create_file_request(api)
    call(api, "GET", f"/r/{created['short_link_id']}")  # opened once already: calling again changes nothing
    return Request("GET", f"/r/{created['short_link_id']}", secrets=FILE_REQUEST_SECRETS[1:])


def _page_verify(api: Any, aws: Any) -> Request:
    created = create_file_request(api)
    body = {"date_of_birth": FILE_REQUEST["patientDateOfBirth"]}
    return Request("POST", f"/r/{created['short_link_id']}/verify", json=body, secrets=FILE_REQUEST_SECRETS[1:3])


def _page_upload(api: Any, aws: Any) -> Request:
    created = create_file_request(api)
    link = created["short_link_id"]
    session = call(api, "POST", f"/r/{link}/verify", {"date_of_birth": FILE_REQUEST["patientDateOfBirth"]}).json
    body = {"file_name": "photo.png", "content_type": "image/png", "size_bytes": 1000}
    headers = {"x-upload-session": session["upload_session"]}
    return Request("POST", f"/r/{link}/uploads", json=body, headers=headers, secrets=FILE_REQUEST_SECRETS[1:])


SCENARIOS: dict[str, Scenario] = {
    "POST /api/v2/patients/{patient_id}/documents": Scenario(_door_a_create, right=201, other_account=201),
    "GET /api/v2/patients/{patient_id}/documents": Scenario(_door_a_list, other_account=200),
    "GET /api/v2/patients/{patient_id}/documents/{document_id}": Scenario(_door_a_get),
    "DELETE /api/v2/patients/{patient_id}/documents/{document_id}": Scenario(_door_a_delete, right=204),
    "POST /apis/v1/file/upload/unsigned": Scenario(_door_b_unsigned, other_account=200),
    "POST /apis/v1/file/upload/presigned": Scenario(_door_b_presigned, other_account=200),
    # Account 13 may name its own patient 1172416, but the URL points into account 12's area: 400.
    "POST /apis/v1/patient-document": Scenario(_door_b_save, other_account=400),
    "GET /apis/v1/patient-document/{id}": Scenario(_door_b_list, other_account=200),
    "POST /apis/v1/patient-document/{id}": Scenario(_door_b_update),
    # Door C is for staff; a patient token gets 404 everywhere but device registration.
    "POST /v1/file-requests": Scenario(_door_c_create, right=201, patient_ok=False),
    "GET /v1/file-requests/{fileRequestId}": Scenario(_door_c_get, patient_ok=False),
    "GET /v1/file-requests": Scenario(_door_c_list, other_account=200, patient_ok=False),
    "POST /v1/file-requests/{fileRequestId}/cancel": Scenario(_door_c_cancel, patient_ok=False),
    "POST /v1/file-requests/{fileRequestId}/resend": Scenario(_door_c_resend, patient_ok=False),
    # Only a patient the service knows registers a device (tested with a push platform in test_file_requests).
    "POST /v1/patient-devices": Scenario(_door_c_register_device, patient_ok=False, staff_ok=False),
    "GET /v1/account-settings": Scenario(_account_settings_get, other_account=200, patient_ok=False),
    # Only the admin role changes settings (tested in test_file_requests): plain staff get 403.
    "PUT /v1/account-settings": Scenario(_account_settings_put, right=403, other_account=403, patient_ok=False),
    # Public: the link is the capability, whoever holds it; never the patient's identity.
    "GET /r/{short_link_id}": Scenario(_page, other_account=200, other_patient=200),
    "POST /r/{short_link_id}/verify": Scenario(_page_verify, other_account=200, other_patient=200),
    "POST /r/{short_link_id}/uploads": Scenario(_page_upload, other_account=200, other_patient=200),
}
