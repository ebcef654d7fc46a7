"""Example events per function, seeded through the real handlers, and each route's minimum AWS calls.

A function's example is ``events/<function_dir>.json`` when that file exists, else one
built here from its route (or, for a function without one, its logical id). Examples that
need data first are seeded by calling the handlers that make it (create, upload, open,
verify, register), and their seeded parts (path ids, the saved file's URL, an upload
session, claims, SQS records) replace those of an ``events/`` file. A route that consumes
its data (delete, cancel, resend, a first open) gets a fresh item for every invocation.
A route this module does not know still gets a row: a generic event built from its path.

The minimum is the fewest AWS calls the data model allows on the measured path: reads of
items whose keys are known together count once (one BatchGetItem), a conditional write that
returns the item stands in for a read made only to check that item's state, and every item
the path must change is one write (one transaction where all or nothing must happen). Where
the code makes more, the ``why`` says which calls and how many the code makes.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import requests as http

from local.events import LambdaContext, http_event
from local.local_aws import local_name, queue_arn
from local.queues import sqs_event
from local.template import ROOT, Function, Route

EVENTS_DIR = ROOT / "events"
ACCOUNT = "12"
CLAIMS = {"sub": "bench-staff", "name": "Dr Bench", "account_id": ACCOUNT, "role": "staff", "user_id": 8821}
# One patient per scenario, so that creates and deletes never change what a list reads.
PATIENT_CREATE, PATIENT_LISTED, PATIENT_DELETE, PATIENT_UPLOAD, PATIENT_SAVE = range(1000001, 1000006)
LISTED_DOCUMENTS = 5  # what a patient's list page realistically holds (door B's default page size)
FILE_BYTES = 100_000  # a one-page scan


def example_pdf(size: int = FILE_BYTES) -> bytes:
    """A PDF-signed file of ``size`` bytes (the service sniffs the first bytes only)."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    tail = b"\n%%EOF\n"
    body = (b"0 0 612 792 re f BT /F1 12 Tf (bench) Tj ET\n" * (size // 40 + 1))[: size - len(head) - len(tail)]
    return head + body + tail


def multipart(fields: dict[str, str], file_name: str, content: bytes, content_type: str) -> tuple[str, bytes]:
    boundary = "----patientdocsbench7d1f"
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
    return f"multipart/form-data; boundary={boundary}", b"".join(parts) + f"--{boundary}--\r\n".encode()


def fill_path(route: Route, parameters: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\+?\}", lambda match: parameters[match.group(1)], route.path)


class Seeder:
    """Calls handlers in this process (against the bench's moto server) to create prior data."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = {route.route_key: route for route in routes}
        self._handlers: dict[str, Any] = {}

    def route(self, route_key: str) -> Route:
        return self.routes[route_key]

    def event(
        self,
        route_key: str,
        parameters: dict[str, str] | None = None,
        payload: Any = None,
        query: str = "",
        claims: dict[str, Any] = CLAIMS,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A JSON request (``payload``) or a bodiless one; public routes carry no claims."""
        route = self.route(route_key)
        path = fill_path(route, parameters or {})
        all_headers = dict(headers or {})
        body = None
        if payload is not None:
            all_headers["content-type"] = "application/json"
            body = json.dumps(payload).encode()
        caller = None if route.public else claims
        return http_event(route.method, path, route.route_key, parameters, all_headers, query, body, caller)

    def invoke(self, route_key: str, event: dict[str, Any]) -> Any:
        """The JSON body the route answered (the text of an HTML page)."""
        route = self.route(route_key)
        return self.call(route.function, route.module, event, route_key)

    def call(self, function: str, module: str, event: dict[str, Any], what: str) -> Any:
        if function not in self._handlers:
            self._handlers[function] = importlib.import_module(module).lambda_handler
        result = self._handlers[function](event, LambdaContext(function_name=function))
        if "statusCode" not in result:  # an SQS batch: every message must have passed
            if result.get("batchItemFailures"):
                raise RuntimeError(f"seeding through {what} failed: {result}")
            return result
        if int(result["statusCode"]) >= 300:
            raise RuntimeError(f"seeding through {what} failed: {result['statusCode']} {result.get('body')}")
        body = result.get("body")
        if not body:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return body


# ------------------------------------------------------------------ door A
DOOR_A_DOCS = "POST /api/v2/patients/{patient_id}/documents"


def _door_a_body(name: str = "blood-panel-2026-03.pdf") -> dict[str, Any]:
    import base64

    data = base64.b64encode(example_pdf()).decode()
    return {"doc": {"document_name": name, "data": data, "mime_type": "application/pdf", "record_type": "Test Result"}}


def create_inline(seeder: Seeder, patient_id: int) -> int:
    event = seeder.event(DOOR_A_DOCS, {"patient_id": str(patient_id)}, _door_a_body())
    return int(seeder.invoke(DOOR_A_DOCS, event)["doc"]["id"])


def listed_document_ids(seeder: Seeder) -> list[int]:
    """The listed patient's documents (created once, shared by list, get and update)."""
    cached: list[int] | None = getattr(seeder, "_listed", None)
    if cached is None:
        cached = [create_inline(seeder, PATIENT_LISTED) for _ in range(LISTED_DOCUMENTS)]
        seeder._listed = cached  # type: ignore[attr-defined]
    return cached


def door_a_create(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    return [seeder.event(DOOR_A_DOCS, {"patient_id": str(PATIENT_CREATE)}, _door_a_body())]


def door_a_list(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    listed_document_ids(seeder)
    route = "GET /api/v2/patients/{patient_id}/documents"
    return [seeder.event(route, {"patient_id": str(PATIENT_LISTED)})]


def door_a_get(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    document_id = listed_document_ids(seeder)[0]
    route = "GET /api/v2/patients/{patient_id}/documents/{document_id}"
    return [seeder.event(route, {"patient_id": str(PATIENT_LISTED), "document_id": str(document_id)})]


def door_a_delete(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    route = "DELETE /api/v2/patients/{patient_id}/documents/{document_id}"
    ids = [create_inline(seeder, PATIENT_DELETE) for _ in range(count)]  # every delete needs its own document
    return [seeder.event(route, {"patient_id": str(PATIENT_DELETE), "document_id": str(i)}) for i in ids]


# ------------------------------------------------------------------ door B
UNSIGNED = "POST /apis/v1/file/upload/unsigned"


def _unsigned_event(seeder: Seeder, patient_id: int) -> dict[str, Any]:
    fields = {
        "bucket_name": os.environ["BUCKET_NAME"],
        "file_path": f"patients/{patient_id}/documents",
        "file_name": "insurance-card.pdf",
    }
    content_type, body = multipart(fields, "insurance-card.pdf", example_pdf(), "application/pdf")
    route = seeder.route(UNSIGNED)
    return http_event(route.method, route.path, route.route_key, None, {"content-type": content_type}, "", body, CLAIMS)


def door_b_unsigned(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    return [_unsigned_event(seeder, PATIENT_UPLOAD)]


def door_b_presigned(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    payload = {
        "patient_id": PATIENT_UPLOAD,
        "file_name": "mri-report.pdf",
        "content_type": "application/pdf",
        "size_bytes": 2_400_000,
    }
    return [seeder.event("POST /apis/v1/file/upload/presigned", None, payload)]


def door_b_save(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    uploaded = seeder.invoke(UNSIGNED, _unsigned_event(seeder, PATIENT_SAVE))["data"]
    payload = {
        "patient_id": PATIENT_SAVE,
        "name": "Insurance card",
        "document_url": uploaded["file_url"],
        "bucket_name": uploaded["bucket_name"],
        "document_type": "Insurance",
        "document_category": "INSURANCE_CARD",
        "notes": "front and back",
        "receipt_date": "2026-03-02T09:30:00",
    }
    return [seeder.event("POST /apis/v1/patient-document", None, payload)]


def door_b_list(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    listed_document_ids(seeder)
    route = "GET /apis/v1/patient-document/{patientId}"
    return [seeder.event(route, {"patientId": str(PATIENT_LISTED)}, query="page=1&size=5&sort=desc")]


def door_b_update(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    document_id = listed_document_ids(seeder)[1]
    route = "POST /apis/v1/patient-document/{documentId}"
    payload = {"notes": "reviewed with patient", "signature_status": "COMPLETED", "signed_by": "Dr Bench"}
    return [seeder.event(route, {"documentId": str(document_id)}, payload)]


# ------------------------------------------------------------------ door C and the patient page
FILE_REQUESTS = "POST /v1/file-requests"
FILE_REQUESTS_LIST = "GET /v1/file-requests"
PAGE = "GET /r/{short_link_id}"
VERIFY = "POST /r/{short_link_id}/verify"
UPLOADS = "POST /r/{short_link_id}/uploads"
REGISTER = "UploadedFileRegisterFunction"  # fed by SQS: no route
REGISTER_MODULE = "functions.uploaded_file_register.app"
# Door C finds a patient by mobile: one mobile (one patient) per scenario. The list reads a whole
# account (newest first, filtered), so its requests live in an account of their own, which no
# other scenario's requests ever join.
(
    MOBILE_CREATE,
    MOBILE_GET,
    MOBILE_CANCEL,
    MOBILE_RESEND,
    MOBILE_DEVICE,
    MOBILE_PAGE,
    MOBILE_VERIFY,
    MOBILE_UPLOAD,
    MOBILE_REGISTER,
) = (f"+447777100{n:03d}" for n in range(1, 10))
ACCOUNT_LISTED = "13"
LISTED_MOBILES = [f"+447777100{n:03d}" for n in range(101, 107)]  # the listed account's 6 patients
LISTED_REQUESTS = 30  # 5 per patient: 5 of them cancelled, 3 opened, 22 still notified
LISTED_QUERY = "status=notified&limit=20"  # as events/file_requests_list.json: the first page of 22
PHOTOS_PER_REQUEST = 3  # a patient answering with a few photos
PHOTO_BYTES = 100_000
SEEDED_SESSION_LIFETIME = timedelta(hours=6)
RESENT_AFTER = timedelta(hours=1)  # the patient has not answered for an hour: staff resend
DEVICE_TOKEN = "5f8c2a17e0b94d3c" * 4  # 64 hex digits, as an APNs device token
ADMIN = {**CLAIMS, "sub": "bench-admin", "role": "admin"}
ACCOUNT_SETTINGS = {"smsSenderId": "Clinic12", "linkLifetimeHours": 48}  # as events/account_settings_put.json


def example_jpeg(size: int = PHOTO_BYTES) -> bytes:
    """A JPEG-signed photo of ``size`` bytes (the register function reads its first bytes only)."""
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return head + b"\x5a" * (size - len(head) - 2) + b"\xff\xd9"


@cache
def _event_file_text(name: str) -> str:
    return (EVENTS_DIR / name).read_text()


def _event_file(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_event_file_text(name))
    return loaded


def _seed_request() -> dict[str, Any]:
    """The seed's create body (events/file_requests_create.json)."""
    seed: dict[str, Any] = json.loads(_event_file("file_requests_create.json")["body"])
    return seed


def _staff(account: str) -> dict[str, Any]:
    return CLAIMS if account == ACCOUNT else {**CLAIMS, "sub": f"bench-staff-{account}", "account_id": account}


def _create_body(mobile: str, account: str = ACCOUNT) -> dict[str, Any]:
    """The seed's create body for this scenario's patient (the seed's date of birth: never the 409)."""
    return {**_seed_request(), "accountId": int(account), "patientMobile": mobile}


def create_request(seeder: Seeder, mobile: str, account: str = ACCOUNT) -> dict[str, Any]:
    """A file request (the patient is created by the first one for the mobile); its FileRequest body."""
    event = seeder.event(FILE_REQUESTS, None, _create_body(mobile, account), claims=_staff(account))
    created: dict[str, Any] = seeder.invoke(FILE_REQUESTS, event)
    return created


def _link(request: dict[str, Any]) -> dict[str, str]:
    return {"short_link_id": request["short_link_id"]}


def open_link(seeder: Seeder, request: dict[str, Any]) -> None:
    seeder.invoke(PAGE, seeder.event(PAGE, _link(request)))


def upload_session(seeder: Seeder, request: dict[str, Any]) -> str:
    """The patient opens the link and confirms their date of birth: the page's upload session."""
    open_link(seeder, request)
    event = seeder.event(VERIFY, _link(request), {"date_of_birth": _seed_request()["patientDateOfBirth"]})
    return str(seeder.invoke(VERIFY, event)["upload_session"])


def _presign_event(seeder: Seeder, request: dict[str, Any], session: str, size: int) -> dict[str, Any]:
    payload = {"file_name": "IMG_0292.JPG", "content_type": "image/jpeg", "size_bytes": size}
    return seeder.event(UPLOADS, _link(request), payload, headers={"x-upload-session": session})


def upload_photo(seeder: Seeder, request: dict[str, Any], session: str, photo: bytes) -> str:
    """A photo sent the way the page sends it: a presigned POST, then the bytes straight to S3; its key."""
    form = seeder.invoke(UPLOADS, _presign_event(seeder, request, session, len(photo)))
    files = {"file": ("IMG_0292.JPG", photo, "image/jpeg")}
    posted = http.post(form["url"], data=form["fields"], files=files, timeout=30)
    posted.raise_for_status()
    return str(form["fields"]["key"])


def register_event(key: str, photo: bytes, sequence: int = 0) -> dict[str, Any]:
    """The SQS batch Lambda gets for one uploaded photo: events/uploaded_file_register.json's S3 record, for ``key``."""
    template = _event_file("uploaded_file_register.json")["Records"][0]
    record = json.loads(template["body"])["Records"][0]
    bucket = os.environ["BUCKET_NAME"]
    record["awsRegion"] = os.environ.get("AWS_REGION", "us-east-1")
    record["eventTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    record["s3"]["bucket"] = {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}
    record["s3"]["object"].update(
        key=quote_plus(key, safe="/"),  # S3 URL-encodes keys in events
        size=len(photo),
        eTag=hashlib.md5(photo, usedforsecurity=False).hexdigest(),
        sequencer=f"{0x62E99A88DC407460 + sequence:X}",
    )
    body = json.dumps({"Records": [record]})
    message = {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": template["receiptHandle"],
        "Body": body,
        "Attributes": template["attributes"],
        "MD5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
    }
    return sqs_event([message], queue_arn(local_name("UploadEventsQueue")))


def answered_request(seeder: Seeder, mobile: str, photos: int) -> dict[str, Any]:
    """A request the patient answered with ``photos`` photos, each recorded by the register function."""
    request = create_request(seeder, mobile)
    session = upload_session(seeder, request)
    photo = example_jpeg()
    for sequence in range(photos):
        key = upload_photo(seeder, request, session, photo)
        seeder.call(REGISTER, REGISTER_MODULE, register_event(key, photo, sequence), REGISTER)
    return request


# ------------------------------------------------------------------ many requests at once
# A route that consumes a request per invocation needs a thousand of them. One is made through
# the handlers (create, and open, verify, upload as the scenario needs); the rest are copies of
# its stored items under new ids, written 25 at a time: the items are the service's own, only
# their ids differ, and seeding takes seconds instead of a handler round per request.


def reset_clients() -> None:
    """Forget every client and setting read from the environment (the bench points it at another server)."""
    from patient_docs.adapters import aws, object_store
    from patient_docs.settings import get_settings

    for cached in (_dynamodb, _s3, _sent_photo, get_settings, object_store.upload_origin):
        cached.cache_clear()
    for factory in (aws.dynamodb, aws.s3, aws.sns, aws.events):
        factory.cache_clear()


@cache
def _dynamodb() -> Any:
    import boto3

    return boto3.client("dynamodb")


def _write_all(items: list[dict[str, Any]]) -> None:
    table = os.environ["TABLE_NAME"]
    client = _dynamodb()
    for start in range(0, len(items), 25):
        pending: Any = {table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems")


def clone_requests(request: dict[str, Any], count: int, session: str | None = None) -> list[dict[str, str]]:
    """``count`` copies of ``request`` as stored now (its link, and its upload session when given).

    Each copy: ``id``, ``short_link_id`` and, with a session, a ``session`` token of its own.
    """
    from patient_docs.adapters.table import stored_time
    from patient_docs.rules.file_requests import new_short_link_id
    from patient_docs.rules.patient_page import new_session_token, session_hash

    keys = [
        {"PK": f"FILEREQ#{request['id']}", "SK": "REQUEST"},
        {"PK": f"LINK#{request['short_link_id']}", "SK": "LINK"},
    ]
    if session is not None:
        keys.append({"PK": f"UPLOADSESSION#{session_hash(session)}", "SK": "SESSION"})
    from patient_docs.adapters.table import batch_get

    stored = [item for item in batch_get(keys) if item is not None]
    if len(stored) != len(keys):
        raise LookupError(f"request {request['id']} is not stored whole")
    clones: list[dict[str, str]] = []
    items: list[dict[str, Any]] = []
    for _ in range(count):
        clone = {"id": str(uuid.uuid4()), "short_link_id": new_short_link_id()}
        item, link = copy.deepcopy(stored[0]), copy.deepcopy(stored[1])
        item["PK"]["S"], item["id"]["S"], item["short_link_id"]["S"] = (
            f"FILEREQ#{clone['id']}",
            clone["id"],
            clone["short_link_id"],
        )
        item["GSI1SK"]["S"] = item["GSI1SK"]["S"].replace(request["id"], clone["id"])
        link["PK"]["S"], link["file_request_id"]["S"] = f"LINK#{clone['short_link_id']}", clone["id"]
        items += [item, link]
        if session is not None:
            clone["session"] = new_session_token()
            held = copy.deepcopy(stored[2])
            # Valid for the whole run (the page's own sessions last 15 minutes; a loop may start later).
            held["expires_at"]["S"] = stored_time(datetime.now(UTC) + SEEDED_SESSION_LIFETIME)
            held["ttl"]["N"] = str(int((datetime.now(UTC) + SEEDED_SESSION_LIFETIME).timestamp()) + 3600)
            held["PK"]["S"], held["file_request_id"]["S"] = (
                f"UPLOADSESSION#{session_hash(clone['session'])}",
                clone["id"],
            )
            items.append(held)
        clones.append(clone)
    _write_all(items)
    return clones


def copy_photo(key: str, request_id: str, photo: bytes) -> str:
    """The photo at ``key`` (sent through the page) stored again as a new photo of ``request_id``; its key.

    The same bytes, type and metadata; put rather than copied, which the emulator does faster.
    """
    from patient_docs.rules.patient_page import parse_request_file_key, request_file_key

    parsed = parse_request_file_key(key)
    if parsed is None:
        raise ValueError(f"not a request photo's key: {key}")
    new_key = request_file_key(parsed.account_id, request_id, str(uuid.uuid4()), parsed.extension)
    sent = _sent_photo(key)
    _s3().put_object(
        Bucket=os.environ["BUCKET_NAME"],
        Key=new_key,
        Body=photo,
        ContentType=sent["ContentType"],
        Metadata=sent["Metadata"],
    )
    return new_key


@cache
def _s3() -> Any:
    import boto3

    return boto3.client("s3")


@cache
def _sent_photo(key: str) -> dict[str, Any]:
    head: dict[str, Any] = _s3().head_object(Bucket=os.environ["BUCKET_NAME"], Key=key)
    return head


def door_c_create(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    # A new request per invocation, each with its own Idempotency-Key as a practice system sends
    # one; the same body each time, so the patient (created by the first) matches: never the 409.
    body = _create_body(MOBILE_CREATE)
    return [
        seeder.event(FILE_REQUESTS, None, body, headers={"idempotency-key": str(uuid.uuid4())}) for _ in range(count)
    ]


def door_c_get(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    request = answered_request(seeder, MOBILE_GET, PHOTOS_PER_REQUEST)
    return [seeder.event("GET /v1/file-requests/{fileRequestId}", {"fileRequestId": request["id"]})]


def door_c_list(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    cancel = "POST /v1/file-requests/{fileRequestId}/cancel"
    claims = _staff(ACCOUNT_LISTED)
    mobiles = LISTED_MOBILES * (LISTED_REQUESTS // len(LISTED_MOBILES))
    listed = [create_request(seeder, mobile, ACCOUNT_LISTED) for mobile in mobiles]
    for request in listed[:: len(LISTED_MOBILES)]:
        seeder.invoke(cancel, seeder.event(cancel, {"fileRequestId": request["id"]}, claims=claims))
    for request in listed[1:4]:
        open_link(seeder, request)
    return [seeder.event(FILE_REQUESTS_LIST, query=LISTED_QUERY, claims=claims)]


def door_c_cancel(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    route = "POST /v1/file-requests/{fileRequestId}/cancel"
    pool = clone_requests(create_request(seeder, MOBILE_CANCEL), count)  # every cancel needs an open request
    return [seeder.event(route, {"fileRequestId": request["id"]}) for request in pool]


def door_c_resend(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    """Requests created and notified an hour ago (the seeding's clock is set back), one per resend.

    A request may be resent once a minute: resending one request 1,000 times would measure the 429.
    """
    from unittest import mock

    from patient_docs.logic import create_file_request as creating
    from patient_docs.rules.timestamps import utc_now

    route = "POST /v1/file-requests/{fileRequestId}/resend"
    with mock.patch.object(creating, "utc_now", lambda: utc_now() - RESENT_AFTER):
        pool = clone_requests(create_request(seeder, MOBILE_RESEND), count)
    return [seeder.event(route, {"fileRequestId": request["id"]}) for request in pool]


def door_c_device(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    """The patient (known from a request) registers the app; the same device token each time, as an app
    does on every launch (SNS returns the same endpoint)."""
    number = int(create_request(seeder, MOBILE_DEVICE)["patient_number"])
    claims = {
        "sub": f"patient-{ACCOUNT}-{number}",
        "name": "test patient",
        "account_id": ACCOUNT,
        "role": "patient",
        "user_id": number,
        "patient_id": number,
    }
    return [seeder.event("POST /v1/patient-devices", None, {"deviceToken": DEVICE_TOKEN}, claims=claims)]


def door_c_settings_get(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    route = "PUT /v1/account-settings"
    seeder.invoke(route, seeder.event(route, None, ACCOUNT_SETTINGS, claims=ADMIN))  # the account has its own
    return [seeder.event("GET /v1/account-settings")]


def door_c_settings_put(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    return [seeder.event("PUT /v1/account-settings", None, ACCOUNT_SETTINGS, claims=ADMIN)]


def page_open(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    # Every invocation is a patient's first open of a new link (notified -> opened).
    pool = clone_requests(create_request(seeder, MOBILE_PAGE), count)
    return [seeder.event(PAGE, _link(request)) for request in pool]


def page_verify(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    # Every invocation is a patient's first, correct answer on a link they have opened (opened -> verified).
    opened = create_request(seeder, MOBILE_VERIFY)
    open_link(seeder, opened)
    pool = clone_requests(opened, count)
    answer = {"date_of_birth": _seed_request()["patientDateOfBirth"]}
    return [seeder.event(VERIFY, _link(request), answer) for request in pool]


def page_upload(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    # A request allows PHOTO_MAX_FILES presigned uploads: a few photos per verified request.
    verified = create_request(seeder, MOBILE_UPLOAD)
    session = upload_session(seeder, verified)
    events: list[dict[str, Any]] = []
    for request in clone_requests(verified, -(-count // PHOTOS_PER_REQUEST), session):
        events += [_presign_event(seeder, request, request["session"], PHOTO_BYTES) for _ in range(PHOTOS_PER_REQUEST)]
    return events[:count]


def register_uploads(seeder: Seeder, count: int) -> list[dict[str, Any]]:
    # Each invocation records a new photo (a repeated delivery would be recorded once: the duplicate path).
    # The photos of copied verified requests are copies of one sent through the page (same bytes, same metadata).
    photo = example_jpeg()
    verified = create_request(seeder, MOBILE_REGISTER)
    sent = upload_photo(seeder, verified, upload_session(seeder, verified), photo)
    events: list[dict[str, Any]] = []
    for request in clone_requests(verified, -(-count // PHOTOS_PER_REQUEST)):
        for _ in range(PHOTOS_PER_REQUEST):
            events.append(register_event(copy_photo(sent, request["id"], photo), photo, len(events)))
    return events[:count]


def provision_push(client: Callable[[str], Any]) -> dict[str, str]:
    """An SNS platform application, as in a deployment with app push (the device route is a 503 without)."""
    application = client("sns").create_platform_application(
        Name="patient-docs-bench-app", Platform="APNS", Attributes={"PlatformCredential": "bench"}
    )
    return {"PUSH_PLATFORM_APPLICATION_ARN": application["PlatformApplicationArn"]}


# ------------------------------------------------------------------ per route
Builder = Callable[[Seeder, int], list[dict[str, Any]]]


@dataclass(frozen=True)
class RouteExample:
    build: Builder
    minimum: int
    why: str
    seeded: tuple[str, ...] = ()  # event parts that come from seeding, even over an events/ file
    # How long its warm loop takes, in units of about one AWS call (which is most of a loop's
    # time against moto): the calls plus one, unless the answer makes the emulator work harder.
    loop_weight: int | None = None

    @property
    def weight(self) -> int:
        return self.loop_weight or self.minimum + 1


EXAMPLES: dict[str, RouteExample] = {
    # ("path",): each scenario keeps its own patient even over an events/ file, so that the
    # 1,000 warm creates do not become the list's documents.
    DOOR_A_DOCS: RouteExample(
        door_a_create,
        2,
        "the file must be written (PutObject) and the record too (PutItem); ids need no counter",
        ("path",),
    ),
    "GET /api/v2/patients/{patient_id}/documents": RouteExample(
        door_a_list, 1, "one Query on GSI1 (PATIENT#account#patient) returns the page", ("path",)
    ),
    "GET /api/v2/patients/{patient_id}/documents/{document_id}": RouteExample(
        door_a_get, 1, "one GetItem by id; the download URL is signed locally", ("path",)
    ),
    "DELETE /api/v2/patients/{patient_id}/documents/{document_id}": RouteExample(
        door_a_delete,
        2,
        "a conditional DeleteItem returning the old item (it names the key) and a DeleteObject",
        ("path",),
    ),
    # ("body", "headers"): the bench's bucket and the 100 kB file, with the multipart boundary that frames them.
    UNSIGNED: RouteExample(
        door_b_unsigned, 1, "the file is written once (PutObject); no record until Save", ("body", "headers")
    ),
    "POST /apis/v1/file/upload/presigned": RouteExample(
        door_b_presigned, 0, "a presigned POST is signed locally; the bytes go straight to S3"
    ),
    "POST /apis/v1/patient-document": RouteExample(
        door_b_save,
        2,
        "the object must be proven to exist and be of its type (one ranged GetObject), then PutItem",
        ("body",),
    ),
    "GET /apis/v1/patient-document/{patientId}": RouteExample(
        door_b_list, 1, "one Query on GSI1; filters and pages run on the patient's few items", ("path",)
    ),
    "POST /apis/v1/patient-document/{documentId}": RouteExample(
        door_b_update, 1, "one conditional UpdateItem returning ALL_NEW", ("path",)
    ),
    # Door C. ("body", "headers"): the scenario's own patient, and a new Idempotency-Key each time.
    FILE_REQUESTS: RouteExample(
        door_c_create,
        7,
        "one BatchGetItem (staff user by account user id, patient by mobile, account settings: all keyed by the"
        " body), the Idempotency-Key's claim (PutItem) and stored result (UpdateItem), one TransactWriteItems"
        " (request and short link), CheckIfPhoneNumberIsOptedOut and Publish for the SMS, one UpdateItem recording"
        " the outcome",
        ("body", "headers"),
    ),
    "GET /v1/file-requests/{fileRequestId}": RouteExample(
        door_c_get,
        1,
        "one Query of the request's partition returns it and its files (3 photos here); download URLs are signed"
        " locally",
        ("path",),
    ),
    FILE_REQUESTS_LIST: RouteExample(
        door_c_list,
        1,
        "one Query on GSI1 (FILEREQS#account, newest first) reads the account's 30 requests; the status filter"
        " runs on them (an account of its own, so no other scenario's requests are read)",
        ("claims",),
        loop_weight=4,  # 30 requests read and written out per call: as long as a 3-call loop and more
    ),
    "POST /v1/file-requests/{fileRequestId}/cancel": RouteExample(
        door_c_cancel,
        2,
        "a conditional UpdateItem cancels only an open request of the caller's account; the answer lists the"
        " request's files, items of their own (one Query)",
        ("path",),
    ),
    "POST /v1/file-requests/{fileRequestId}/resend": RouteExample(
        door_c_resend,
        7,
        "a conditional UpdateItem claims the resend (once a minute, 5 per request; requests here were notified an"
        " hour before) and returns the request, one Query for its files, one BatchGetItem (patient-number item,"
        " account settings), GetItem of the mobile item (the app endpoint lives there), CheckIfPhoneNumberIsOptedOut"
        " and Publish, UpdateItem recording the outcome",
        ("path",),
    ),
    "POST /v1/patient-devices": RouteExample(
        door_c_device,
        3,
        "GetItem of the patient-number item (the token names the number; the item holds the patient's id and"
        " mobile), CreatePlatformEndpoint, one conditional UpdateItem of the mobile item (where the endpoint lives)",
        ("claims",),
    ),
    "GET /v1/account-settings": RouteExample(
        door_c_settings_get, 1, "one GetItem (ACCOUNT#account / SETTINGS); the account has its own settings here"
    ),
    "PUT /v1/account-settings": RouteExample(door_c_settings_put, 1, "one PutItem: the body is the whole item"),
    # The patient page: a new link (the patient's first open, first answer) per invocation.
    PAGE: RouteExample(
        page_open,
        2,
        "GetItem of the short link (it names the request), then one conditional UpdateItem that opens the request"
        " and returns it (prompt, staff name; expiry, cancel and lock are its condition; when it does not apply,"
        " the failed condition hands back the request as it is)",
        ("path",),
    ),
    VERIFY: RouteExample(
        page_verify,
        5,
        "GetItem of the short link, a read of the request (its patient number and state), GetItem of the"
        " patient-number item (it holds the date of birth), PutItem of the upload session, UpdateItem to verified",
        ("path",),
    ),
    # ("path", "headers"): the request's link and the upload session its verification opened.
    UPLOADS: RouteExample(
        page_upload,
        2,
        "one BatchGetItem (short link and upload session: both keyed by the request), then one conditional"
        " UpdateItem that takes a photo slot on the request and returns it (open, unexpired, unlocked, under the"
        " limit as its condition; a failed one hands back the request to say why); the POST is signed locally",
        ("path", "headers"),
    ),
    # Fed by SQS: one S3 ObjectCreated message per invocation, each for a new photo (a second delivery of
    # one would be the duplicate path). Status: "batch ok" when no message failed.
    REGISTER: RouteExample(
        register_uploads,
        4,
        "one Query (the request and its files: owner, state, a repeated delivery), one ranged GetObject (real type,"
        " size, name), one TransactWriteItems (the file and its patient document), PutEvents for staff systems;"
        " the first photo of a request adds a conditional UpdateItem moving it to responded (5), a write of its own"
        " by choice: photos sent together are registered in parallel, and transactions on the one request item"
        " would cancel each other",
        ("records",),
    ),
}


@dataclass
class Example:
    source: str  # where the event came from
    events: list[dict[str, Any]]  # the warm loop cycles through them; cold runs take the last ones
    minimum: int | None
    why: str


def _generic(seeder: Seeder, route: Route) -> dict[str, Any]:
    parameters = dict.fromkeys(re.findall(r"\{(\w+)\+?\}", route.path), "1")
    payload = {} if route.method in ("POST", "PUT", "PATCH") else None
    return seeder.event(route.route_key, parameters or None, payload)


def _overlay(base: dict[str, Any], built: dict[str, Any], parts: tuple[str, ...]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    if "path" in parts:
        merged["pathParameters"] = built.get("pathParameters")
        merged["rawPath"] = built["rawPath"]
        merged.setdefault("requestContext", {}).setdefault("http", {})["path"] = built["rawPath"]
    if "body" in parts:
        merged["body"] = built.get("body")
        merged["isBase64Encoded"] = built.get("isBase64Encoded", False)
    if "headers" in parts:  # the built event's headers win (a boundary, an upload session, a key)
        merged["headers"] = {**merged.get("headers", {}), **built.get("headers", {})}
    if "claims" in parts:
        merged.setdefault("requestContext", {})["authorizer"] = built["requestContext"]["authorizer"]
    if "records" in parts:  # an SQS batch
        merged["Records"] = built["Records"]
    return merged


def example_for(function: Function, routes: list[Route], seeder: Seeder, count: int) -> Example | None:
    """``count`` is how many distinct events a route that consumes its data (delete) must get."""
    event_file = EVENTS_DIR / f"{Path(function.code_uri).name}.json"
    base = json.loads(event_file.read_text()) if event_file.exists() else None
    route = next((r for r in routes if r.function == function.logical_id), None)
    known = EXAMPLES.get(route.route_key if route else function.logical_id)
    source = f"events/{event_file.name}" if base is not None else "built from the route"
    if known is not None:
        built = known.build(seeder, count)
        events = [_overlay(base, event, known.seeded) for event in built] if base is not None else built
        return Example(source, events, known.minimum, known.why)
    if base is not None:
        return Example(source, [base], None, "no minimum recorded yet (bench/examples.py)")
    if route is not None:
        return Example("generic event from the route", [_generic(seeder, route)], None, "no example in bench yet")
    return None
