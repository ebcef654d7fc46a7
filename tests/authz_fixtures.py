"""The authorization matrix's rows: for every route of ``template.yaml``, what it does and how to call it.

``tests/integration/test_authorization_matrix.py`` calls every route as every role of
``patient_docs.auth.ROLES`` on each kind of target in ``OWNERSHIPS``, and expects what
``patient_docs.permissions`` decides. Nothing here states an expected status by hand: a row
declares the ``Action`` (or actions, in the order the use case asks) its route performs and how
the route names its target (``Names``); the table gives the answer.

Ownership, for a caller of account 12 (staff, admin, or the patient ``World.patient_number``):

* ``own`` — that patient's document (or request) in account 12, added by the caller itself;
* ``staff-authored`` — the same patient's, added by a colleague (another staff user of account 12);
* ``other patient`` — another patient's of account 12, added by that patient;
* ``other account`` — account 13's, for a patient of the same number, added by its staff.

A route that names its target by patient number or by the caller's account (a list, a create,
settings) cannot name another account's: the account comes from the token. There the
``other account`` row checks that the caller acts on its own account only and sees none of
account 13's data.

**Adding a route** (a new ``Events`` entry in template.yaml): add its route key to ``ROWS`` with
one ``Row`` per distinct thing it does (``actions``, ``names``, ``success`` status, and a
``build`` function that makes the target through the API and returns the ``Request``), or to
``PUBLIC_ROUTES`` if it takes no token. Until then the matrix fails, naming the route. A new
action needs its cells in ``permissions.TABLE`` first; a new role needs a caller in ``CALLERS``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from patient_docs.auth import ROLE_PATIENT, Role
from patient_docs.permissions import Action, Target
from tests.scanning import scan_all
from tests.utils import b64, call, png_bytes

ACCOUNT = OWNER_ACCOUNT = "12"
OTHER_ACCOUNT = "13"
OWNER_PATIENT = 1172416
OTHER_PATIENT = 1172417

OWNERSHIPS = ("own", "staff-authored", "other patient", "other account")

# The callers, one per role (every role of auth.ROLES needs one), all of account 12.
CALLERS: dict[str, dict[str, Any]] = {
    "staff": {"role": "staff", "account": ACCOUNT, "sub": "staff-12-caller", "user_id": 8821},
    "admin": {"role": "admin", "account": ACCOUNT, "sub": "admin-12-caller", "user_id": 8820},
    "patient": {"role": "patient", "account": ACCOUNT},  # its patient: World.patient_number
}
COLLEAGUE = {"role": "staff", "account": ACCOUNT, "sub": "staff-12-colleague", "user_id": 8822}
OTHER_PATIENTS_TOKEN = {"role": "patient", "account": ACCOUNT, "patient": OTHER_PATIENT}
OTHER_ACCOUNTS_STAFF = {"role": "staff", "account": OTHER_ACCOUNT, "sub": "staff-13", "user_id": 9901}


class Names(Enum):
    """How a route names what it acts on, and so what the permissions are asked about."""

    DOCUMENT = "a document, by its id"
    FILE_REQUEST = "a file request, by its id"
    PATIENT = "a patient of the caller's account, by number (path, body or file_path)"
    ACCOUNT = "the caller's own account"
    BODY_ACCOUNT = "an account named in the body (door C's accountId)"
    WEBHOOK = "a webhook (or a webhook delivery) of an account, by its id"
    SELF = "the caller's own patient (the token's)"


@dataclass
class Request:
    method: str
    path: str
    json: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Text of the target that no caller outside its reach may ever see in an answer.
    secrets: list[str] = field(default_factory=list)


@dataclass
class World:
    """One matrix cell's caller and target, made through the API itself."""

    api: Any
    aws: Any
    role: Role
    ownership: str
    # The patient a patient-role caller is; a door C row sets it to the number its request gave the patient.
    patient_number: int = OWNER_PATIENT
    target_patient: int | None = None  # set by rows whose target's patient has a number chosen by the service

    @property
    def caller(self) -> dict[str, Any]:
        caller = dict(CALLERS[self.role])
        if self.role == ROLE_PATIENT:
            caller["patient"] = self.patient_number
        return caller

    @property
    def account(self) -> str:
        return OTHER_ACCOUNT if self.ownership == "other account" else ACCOUNT

    @property
    def patient(self) -> int:
        if self.target_patient is not None:
            return self.target_patient
        return OTHER_PATIENT if self.ownership == "other patient" else self.patient_number

    def author(self) -> dict[str, Any]:
        """Who adds the target document."""
        return {
            "own": self.caller,
            "staff-authored": COLLEAGUE,
            "other patient": OTHER_PATIENTS_TOKEN,
            "other account": OTHER_ACCOUNTS_STAFF,
        }[self.ownership]

    def staff_author(self) -> dict[str, Any]:
        """Who asks for the target file request (only staff ask)."""
        if self.ownership == "other account":
            return OTHER_ACCOUNTS_STAFF
        return self.caller if self.ownership == "own" and self.role != ROLE_PATIENT else COLLEAGUE

    def target(self, what: str) -> Target:
        """The target as made: its account, patient and the role that added it."""
        author: Role = "patient" if self.ownership == "other patient" else "staff"
        if self.ownership == "own":
            author = self.role
        return Target(self.account, what, self.patient, author)


@dataclass(frozen=True)
class Row:
    """One thing a route does. ``name`` tells rows of one route apart (e.g. a plain and a signing update)."""

    actions: tuple[Action, ...]
    names: Names
    build: Callable[[World], Request]
    success: int = 200
    name: str = ""
    # Where the permissions allow but the request is refused as input (status, field), by ownership, and why.
    input_refusals: Mapping[str, tuple[int, str]] = field(default_factory=dict)


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


def _key_area(world: World) -> str:
    return f"accounts/{world.account}/patients/{world.patient}/"


# ------------------------------------------------------------------ documents, made by their author through the API
def inline_document(api: Any, patient: int, author: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    body = {
        "doc": {
            "document_name": name or secret_name(),
            "data": b64(png_bytes()),
            "mime_type": "image/png",
            "record_type": "Test Result",
        }
    }
    reply = call(api, "POST", f"/api/v2/patients/{patient}/documents", body, author)
    assert reply.status == 201, reply.body
    return dict(reply.json["doc"])


def unsigned_upload_request(bucket: str, patient: int, name: str) -> Request:
    raw, content_type = multipart(
        {"bucket_name": bucket, "file_path": f"patients/{patient}/documents", "file_name": name},
        name,
        png_bytes(),
        "image/png",
    )
    return Request("POST", "/apis/v1/file/upload/unsigned", raw=raw, headers={"content-type": content_type})


def upload_unsigned(api: Any, bucket: str, patient: int, author: dict[str, Any], name: str) -> dict[str, Any]:
    request = unsigned_upload_request(bucket, patient, name)
    reply = call(api, "POST", request.path, caller=author, headers=request.headers, raw=request.raw)
    assert reply.status == 200, reply.body
    return dict(reply.json["data"])


def saved_document(api: Any, bucket: str, patient: int, author: dict[str, Any]) -> dict[str, Any]:
    name = secret_name()
    uploaded = upload_unsigned(api, bucket, patient, author, name)
    body = {"patient_id": patient, "name": name, "document_url": uploaded["file_url"], "bucket_name": bucket}
    reply = call(api, "POST", "/apis/v1/patient-document", body, author)
    assert reply.status == 200, reply.body
    return dict(reply.json["data"])


# ------------------------------------------------------------------ door A
def _door_a_create(world: World) -> Request:
    body = {
        "doc": {
            "document_name": secret_name(),
            "data": b64(png_bytes()),
            "mime_type": "image/png",
            "record_type": "Behavioral",
        }
    }
    return Request("POST", f"/api/v2/patients/{world.patient}/documents", json=body)


def _door_a_list(world: World) -> Request:
    doc = inline_document(world.api, world.patient, world.author())
    return Request("GET", f"/api/v2/patients/{world.patient}/documents", secrets=[doc["document_name"], str(doc["id"])])


def _door_a_get(world: World) -> Request:
    doc = inline_document(world.api, world.patient, world.author())
    _scanned_clean(world, doc["id"])
    path = f"/api/v2/patients/{world.patient}/documents/{doc['id']}"
    return Request("GET", path, secrets=[doc["document_name"], "X-Amz-Signature", _key_area(world)])


def _door_a_delete(world: World) -> Request:
    doc = inline_document(world.api, world.patient, world.author())
    return Request("DELETE", f"/api/v2/patients/{world.patient}/documents/{doc['id']}", secrets=[doc["document_name"]])


# ------------------------------------------------------------------ door B
def _door_b_unsigned(world: World) -> Request:
    return unsigned_upload_request(world.aws.bucket, world.patient, secret_name())


def _door_b_presigned(world: World) -> Request:
    body = {"patient_id": world.patient, "file_name": secret_name(), "content_type": "image/png", "size_bytes": 1000}
    return Request("POST", "/apis/v1/file/upload/presigned", json=body)


def _door_b_save(signature: bool) -> Callable[[World], Request]:
    def build(world: World) -> Request:
        # The file, uploaded by the target's author into the target's area
        name = secret_name()
        uploaded = upload_unsigned(world.api, world.aws.bucket, world.patient, world.author(), name)
        body: dict[str, Any] = {
            "patient_id": world.patient,
            "name": name,
            "document_url": uploaded["file_url"],
            "bucket_name": world.aws.bucket,
        }
        if signature:
            body.update(signature_status="COMPLETED", signed_by="Dr Rachel Williams", signed_at="2026-04-01T12:00:00")
        return Request("POST", "/apis/v1/patient-document", json=body, secrets=[_key_area(world)])

    return build


def _door_b_list(world: World) -> Request:
    doc = saved_document(world.api, world.aws.bucket, world.patient, world.author())
    return Request("GET", f"/apis/v1/patient-document/{world.patient}", secrets=[doc["name"], str(doc["id"])])


def _door_b_update(changes: dict[str, Any]) -> Callable[[World], Request]:
    def build(world: World) -> Request:
        doc = saved_document(world.api, world.aws.bucket, world.patient, world.author())
        return Request("POST", f"/apis/v1/patient-document/{doc['id']}", json=changes, secrets=[doc["name"]])

    return build


# ------------------------------------------------------------------ door C
MOBILE = "+447911123499"
OTHER_MOBILE = "+447911123488"
FILE_REQUEST = {
    "prompt": "Please photograph the owner-secret rash.",
    "type": "photo",
    "accountUserId": 42,
    "staffName": "Dr Rachel Williams",
    "patientDateOfBirth": "1980-06-17",
    "patientFirstName": "Ownerfirst",
    "patientLastName": "Ownerlast",
}
FILE_REQUEST_SECRETS = ["owner-secret", "Ownerfirst", "Ownerlast", "1980-06-17", "+4479111234"]


def file_request_body(world: World) -> dict[str, Any]:
    mobile = OTHER_MOBILE if world.ownership == "other patient" else MOBILE
    return {**FILE_REQUEST, "accountId": int(world.account), "patientMobile": mobile}


def file_request(world: World) -> dict[str, Any]:
    """The target request, asked for by staff of its account; a patient caller is its patient."""
    author = world.staff_author()
    reply = call(world.api, "POST", "/v1/file-requests", file_request_body(world), author)
    assert reply.status == 201, reply.body
    created = dict(reply.json)
    world.target_patient = created["patient_number"]
    if world.ownership in ("own", "staff-authored"):
        world.patient_number = created["patient_number"]
    return created


def _door_c_create(world: World) -> Request:
    return Request("POST", "/v1/file-requests", json=file_request_body(world), secrets=FILE_REQUEST_SECRETS[1:])


def _door_c_get(world: World) -> Request:
    created = file_request(world)
    return Request("GET", f"/v1/file-requests/{created['id']}", secrets=[*FILE_REQUEST_SECRETS, created["id"]])


def _door_c_list(world: World) -> Request:
    created = file_request(world)
    return Request("GET", "/v1/file-requests", secrets=[*FILE_REQUEST_SECRETS, created["id"]])


def _door_c_cancel(world: World) -> Request:
    created = file_request(world)
    return Request("POST", f"/v1/file-requests/{created['id']}/cancel", json={}, secrets=FILE_REQUEST_SECRETS)


def _door_c_resend(world: World) -> Request:
    created = file_request(world)
    # The first SMS went long ago, so that a resend is allowed now.
    world.aws.client("dynamodb").update_item(
        TableName=world.aws.table,
        Key={"PK": {"S": f"FILEREQ#{created['id']}"}, "SK": {"S": "REQUEST"}},
        UpdateExpression="SET last_notification_at = :earlier",
        ExpressionAttributeValues={":earlier": {"S": "2020-01-01T00:00:00.000000+00:00"}},
    )
    return Request("POST", f"/v1/file-requests/{created['id']}/resend", json={}, secrets=FILE_REQUEST_SECRETS)


def _register_device(world: World) -> Request:
    # A patient the service knows (a request of account 12 made it): a patient caller is that patient
    body = {**FILE_REQUEST, "accountId": int(ACCOUNT), "patientMobile": MOBILE}
    reply = call(world.api, "POST", "/v1/file-requests", body, COLLEAGUE)
    assert reply.status == 201, reply.body
    if world.role == ROLE_PATIENT:
        world.patient_number = reply.json["patient_number"]
    if world.ownership in ("other patient", "other account"):
        file_request(world)  # another patient, whom registering one's own device leaves untouched
    # A token of its own: SNS keeps the app's endpoints from one test to the next
    return Request("POST", "/v1/patient-devices", json={"deviceToken": uuid.uuid4().hex * 2})


def _settings_get(world: World) -> Request:
    return Request("GET", "/v1/account-settings")


def _settings_put(world: World) -> Request:
    return Request("PUT", "/v1/account-settings", json={"smsSenderId": "Owner12", "linkLifetimeHours": 48})


# ------------------------------------------------------------------ door D (FHIR R4)
def _scanned_clean(world: World, document_id: int) -> None:
    """The malware scanner's clean verdict on the target's file (and any other not scanned yet), delivered
    as GuardDuty's would be, so that it may be served."""
    scan_all(world.aws)


def _fhir_metadata(world: World) -> Request:
    return Request("GET", "/fhir/R4/metadata")


def _fhir_search(world: World) -> Request:
    doc = inline_document(world.api, world.patient, world.author())
    path = f"/fhir/R4/DocumentReference?patient=Patient/{world.patient}"
    return Request("GET", path, secrets=[doc["document_name"], str(doc["id"])])


def _fhir_read(world: World) -> Request:
    doc = inline_document(world.api, world.patient, world.author())
    return Request("GET", f"/fhir/R4/DocumentReference/{doc['id']}", secrets=[doc["document_name"]])


def _fhir_create(world: World) -> Request:
    attachment = {"contentType": "image/png", "data": b64(png_bytes()), "title": secret_name()}
    body = {
        "resourceType": "DocumentReference",
        "status": "current",
        "subject": {"reference": f"Patient/{world.patient}"},
        "content": [{"attachment": attachment}],
    }
    headers = {"content-type": "application/fhir+json"}
    return Request("POST", "/fhir/R4/DocumentReference", json=body, headers=headers, secrets=[_key_area(world)])


def _fhir_binary(as_resource: bool) -> Callable[[World], Request]:
    def build(world: World) -> Request:
        doc = inline_document(world.api, world.patient, world.author())
        _scanned_clean(world, doc["id"])
        headers = {"accept": "application/fhir+json"} if as_resource else {}
        secrets = [doc["document_name"], "X-Amz-Signature", _key_area(world)]
        return Request("GET", f"/fhir/R4/Binary/{doc['id']}", headers=headers, secrets=secrets)

    return build


def _audit_events(world: World) -> Request:
    # Events in the target's account: a request asked for (and so recorded) there
    created = file_request(world)
    return Request("GET", "/v1/audit-events", secrets=[created["id"]])


def _access_log(world: World) -> Request:
    # A document of the target's patient, added (and so recorded) by its author
    doc = inline_document(world.api, world.patient, world.author())
    return Request("GET", "/v1/me/access-log", secrets=[str(doc["id"])])


# ------------------------------------------------------------------ webhooks (admin)
WEBHOOK_BODY = {"url": "https://hooks.clinic.example.com/in", "eventTypes": ["document.created"]}


def webhook(world: World) -> dict[str, Any]:
    """The target endpoint, registered by an admin of its account."""
    admin = {"role": "admin", "account": world.account, "sub": f"admin-{world.account}"}
    reply = call(world.api, "POST", "/v1/webhooks", WEBHOOK_BODY, admin)
    assert reply.status == 201, reply.body
    return dict(reply.json)


def _webhooks_create(world: World) -> Request:
    return Request("POST", "/v1/webhooks", json=WEBHOOK_BODY)


def _webhooks_list(world: World) -> Request:
    made = webhook(world)
    return Request("GET", "/v1/webhooks", secrets=[made["id"], made["secret"]])


def _webhooks_delete(world: World) -> Request:
    made = webhook(world)
    return Request("DELETE", f"/v1/webhooks/{made['id']}", secrets=[made["secret"]])


def _webhooks_rotate(world: World) -> Request:
    made = webhook(world)
    return Request("POST", f"/v1/webhooks/{made['id']}/rotate-secret", secrets=[made["secret"]])


def _webhook_deliveries(world: World) -> Request:
    made = _webhook_redeliver(world)
    return Request("GET", "/v1/webhook-deliveries", secrets=[*made.secrets, made.path.split("/")[3]])


def _webhook_redeliver(world: World) -> Request:
    """A failed delivery of the target account's endpoint (its tries are the deliver function's)."""
    from patient_docs.adapters import webhooks_table
    from patient_docs.logic.webhooks import delivery_id
    from patient_docs.models.webhooks import WebhookDelivery, WebhookEvent
    from patient_docs.rules.timestamps import utc_now

    made = webhook(world)
    event = WebhookEvent(
        id="evt_" + uuid.uuid4().hex[:28],
        type="document.created",
        created_at=utc_now(),
        account_id=world.account,
        data={"document_id": 1},
    )
    delivery = WebhookDelivery(
        id=delivery_id(event, made["id"]),
        account_id=world.account,
        webhook_id=made["id"],
        event=event,
        status="failed",
        created_at=utc_now(),
    )
    assert webhooks_table.put_delivery(delivery)
    return Request("POST", f"/v1/webhook-deliveries/{delivery.id}/redeliver", secrets=[made["id"]])


# ------------------------------------------------------------------ the rows
_SAVE_ELSEWHERE = {
    # The URL names account 13's object while the body names the caller's own patient: door B's rule
    # for the URL (SPEC: "another patient's object ... is a 400") answers before anything is written.
    "other account": (400, "document_url"),
}

ROWS: dict[str, tuple[Row, ...]] = {
    "POST /api/v2/patients/{patient_id}/documents": (
        Row((Action.CREATE_DOCUMENT,), Names.PATIENT, _door_a_create, 201),
    ),
    "GET /api/v2/patients/{patient_id}/documents": (Row((Action.LIST_DOCUMENTS,), Names.PATIENT, _door_a_list),),
    "GET /api/v2/patients/{patient_id}/documents/{document_id}": (
        Row((Action.READ_DOCUMENT, Action.DOWNLOAD_DOCUMENT), Names.DOCUMENT, _door_a_get),
    ),
    "DELETE /api/v2/patients/{patient_id}/documents/{document_id}": (
        Row((Action.DELETE_DOCUMENT,), Names.DOCUMENT, _door_a_delete, 204),
    ),
    "POST /apis/v1/file/upload/unsigned": (Row((Action.CREATE_DOCUMENT,), Names.PATIENT, _door_b_unsigned),),
    "POST /apis/v1/file/upload/presigned": (Row((Action.CREATE_DOCUMENT,), Names.PATIENT, _door_b_presigned),),
    "POST /apis/v1/patient-document": (
        Row((Action.CREATE_DOCUMENT,), Names.PATIENT, _door_b_save(False), input_refusals=_SAVE_ELSEWHERE),
        Row(
            (Action.CREATE_DOCUMENT, Action.SIGN_DOCUMENT),
            Names.PATIENT,
            _door_b_save(True),
            name="signed",
            input_refusals=_SAVE_ELSEWHERE,
        ),
    ),
    "GET /apis/v1/patient-document/{id}": (Row((Action.LIST_DOCUMENTS,), Names.PATIENT, _door_b_list),),
    "POST /apis/v1/patient-document/{id}": (
        Row((Action.UPDATE_DOCUMENT,), Names.DOCUMENT, _door_b_update({"notes": "reviewed"})),
        Row(
            (Action.UPDATE_DOCUMENT, Action.SIGN_DOCUMENT),
            Names.DOCUMENT,
            _door_b_update({"signature_status": "COMPLETED", "signed_by": "Dr Rachel Williams"}),
            name="signing",
        ),
    ),
    "POST /v1/file-requests": (Row((Action.CREATE_FILE_REQUEST,), Names.BODY_ACCOUNT, _door_c_create, 201),),
    "GET /v1/file-requests/{fileRequestId}": (Row((Action.READ_FILE_REQUEST,), Names.FILE_REQUEST, _door_c_get),),
    "GET /v1/file-requests": (Row((Action.LIST_FILE_REQUESTS,), Names.ACCOUNT, _door_c_list),),
    "POST /v1/file-requests/{fileRequestId}/cancel": (
        Row((Action.CHANGE_FILE_REQUEST,), Names.FILE_REQUEST, _door_c_cancel),
    ),
    "POST /v1/file-requests/{fileRequestId}/resend": (
        Row((Action.CHANGE_FILE_REQUEST,), Names.FILE_REQUEST, _door_c_resend),
    ),
    "POST /v1/patient-devices": (Row((Action.REGISTER_DEVICE,), Names.SELF, _register_device, 201),),
    "GET /v1/account-settings": (Row((Action.READ_SETTINGS,), Names.ACCOUNT, _settings_get),),
    "PUT /v1/account-settings": (Row((Action.CHANGE_SETTINGS,), Names.ACCOUNT, _settings_put),),
    "GET /v1/audit-events": (Row((Action.READ_AUDIT_EVENTS,), Names.ACCOUNT, _audit_events),),
    "GET /v1/me/access-log": (Row((Action.READ_ACCESS_LOG,), Names.SELF, _access_log),),
    "POST /v1/webhooks": (Row((Action.MANAGE_WEBHOOKS,), Names.ACCOUNT, _webhooks_create, 201),),
    "GET /v1/webhooks": (Row((Action.MANAGE_WEBHOOKS,), Names.ACCOUNT, _webhooks_list),),
    "DELETE /v1/webhooks/{webhookId}": (Row((Action.MANAGE_WEBHOOKS,), Names.WEBHOOK, _webhooks_delete, 204),),
    "POST /v1/webhooks/{webhookId}/rotate-secret": (Row((Action.MANAGE_WEBHOOKS,), Names.WEBHOOK, _webhooks_rotate),),
    "GET /v1/webhook-deliveries": (Row((Action.MANAGE_WEBHOOKS,), Names.ACCOUNT, _webhook_deliveries),),
    "POST /v1/webhook-deliveries/{deliveryId}/redeliver": (
        Row((Action.MANAGE_WEBHOOKS,), Names.WEBHOOK, _webhook_redeliver, 202),
    ),
    # Door D. The capability statement is every caller's: no action, no target.
    "GET /fhir/R4/metadata": (Row((), Names.ACCOUNT, _fhir_metadata),),
    "GET /fhir/R4/DocumentReference": (Row((Action.LIST_DOCUMENTS,), Names.PATIENT, _fhir_search),),
    "GET /fhir/R4/DocumentReference/{id}": (Row((Action.READ_DOCUMENT,), Names.DOCUMENT, _fhir_read),),
    "POST /fhir/R4/DocumentReference": (Row((Action.CREATE_DOCUMENT,), Names.PATIENT, _fhir_create, 201),),
    "GET /fhir/R4/Binary/{id}": (
        Row((Action.READ_DOCUMENT, Action.DOWNLOAD_DOCUMENT), Names.DOCUMENT, _fhir_binary(True)),
        Row((Action.READ_DOCUMENT, Action.DOWNLOAD_DOCUMENT), Names.DOCUMENT, _fhir_binary(False), 302, "redirect"),
    ),
}


# ------------------------------------------------------------------ the patient page: the link is the capability
def _page(world: World) -> Request:
    created = file_request(world)
    call(world.api, "GET", f"/r/{created['short_link_id']}")  # opened once already: calling again changes nothing
    return Request("GET", f"/r/{created['short_link_id']}", secrets=FILE_REQUEST_SECRETS[1:])


def _page_verify(world: World) -> Request:
    created = file_request(world)
    body = {"date_of_birth": FILE_REQUEST["patientDateOfBirth"]}
    return Request("POST", f"/r/{created['short_link_id']}/verify", json=body, secrets=FILE_REQUEST_SECRETS[1:3])


def _page_upload(world: World) -> Request:
    created = file_request(world)
    link = created["short_link_id"]
    answer = {"date_of_birth": FILE_REQUEST["patientDateOfBirth"]}
    session = call(world.api, "POST", f"/r/{link}/verify", answer).json
    body = {"file_name": "photo.png", "content_type": "image/png", "size_bytes": 1000}
    headers = {"x-upload-session": session["upload_session"]}
    return Request("POST", f"/r/{link}/uploads", json=body, headers=headers, secrets=FILE_REQUEST_SECRETS[1:])


# Routes without a token: the link is the capability, whoever holds it (tests/integration/test_patient_page.py).
# No permission applies; each builds a request its link's holder may send.
PUBLIC_ROUTES: dict[str, Callable[[World], Request]] = {
    "GET /r/{short_link_id}": _page,
    "POST /r/{short_link_id}/verify": _page_verify,
    "POST /r/{short_link_id}/uploads": _page_upload,
}


def owners_request(api: Any, aws: Any, route_key: str, role: Role = "staff") -> Request:
    """A request of ``role`` (of account 12) on its own target: the route's first row (public: the link's)."""
    world = World(api, aws, role, "own")
    if route_key in PUBLIC_ROUTES:
        return PUBLIC_ROUTES[route_key](world)
    return ROWS[route_key][0].build(world)
