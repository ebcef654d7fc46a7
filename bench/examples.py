"""Each function's example events, seeded through the real handlers, and its minimum AWS calls.

Keyed by logical id; path parameters are filled in route order. A builder returns ``count``
events when its route consumes its data (one item each), else one. The minimum is the fewest
calls the data model allows on the measured path (docs/performance.md says how it is counted).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote_plus

import requests

from local.eventbridge import EventRules
from local.events import LambdaContext, http_event
from local.scanner import scan_and_deliver, scan_object
from local.template import ROOT, Function, functions, http_routes

EVENTS = ROOT / "events"
CLAIMS = {"sub": "bench-staff", "name": "Dr Bench", "account_id": "12", "role": "staff", "user_id": 8821}
ADMIN = {**CLAIMS, "sub": "bench-admin", "role": "admin"}
LISTED_ACCOUNT = {**CLAIMS, "sub": "bench-staff-13", "account_id": "13"}  # the door C list's own account
PATIENT_CREATE, PATIENT_LISTED, PATIENT_DELETE, PATIENT_UPLOAD, PATIENT_SAVE, PATIENT_SCANNED = range(1000001, 1000007)
SCENARIOS = ("create", "get", "cancel", "resend", "device", "page", "verify", "upload", "register", "list")
MOBILE = {name: f"+4477771{n:02d}000" for n, name in enumerate(SCENARIOS, 1)}  # door C: a patient per scenario
SETTINGS = {"smsSenderId": "Clinic12", "linkLifetimeHours": 48}
PLACEHOLDER = re.compile(r"\{(\w+)\+?\}")


def pdf(size: int = 100_000) -> bytes:
    """A PDF-signed one-page scan (the service sniffs the first bytes only)."""
    return (b"%PDF-1.7\n" + b"0 0 612 792 re f BT (bench) Tj ET\n" * (size // 30))[: size - 7] + b"\n%%EOF\n"


def jpeg(size: int = 100_000) -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00".ljust(size - 2, b"Z") + b"\xff\xd9"


class Seeder:
    """Builds events for a function's route and calls handlers in this process (against the emulator)."""

    def __init__(self) -> None:
        self.functions = {function.logical_id: function for function in functions()}
        self.routes = {route.function: route for route in http_routes()}
        self.cache: dict[str, Any] = {}

    def event(self, function: str, path: tuple[object, ...] = (), payload: Any = None, **extra: Any) -> dict[str, Any]:
        """``payload`` goes as JSON, else ``body`` as it is; public routes carry no claims."""
        route = self.routes[function]
        values = dict(zip(PLACEHOLDER.findall(route.path), map(str, path), strict=True))
        raw = PLACEHOLDER.sub(lambda match: values[match.group(1)], route.path)
        headers, body = dict(extra.get("headers", {})), extra.get("body")
        if payload is not None:
            headers["content-type"], body = "application/json", json.dumps(payload).encode()
        claims = None if route.public else extra.get("claims", CLAIMS)
        query = extra.get("query", "")
        return http_event(route.method, raw, route.route_key, values or None, headers, query, body, claims)

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        """The body the handler answered (JSON, or the page's HTML); it must have succeeded."""
        found = self.functions[function]
        result = getattr(importlib.import_module(found.module), found.handler_name)(event, LambdaContext())
        if result.get("batchItemFailures") or int(result.get("statusCode", 200)) >= 300:
            raise RuntimeError(f"seeding through {function} failed: {result.get('statusCode')} {result.get('body')}")
        try:
            return json.loads(result.get("body") or "null")
        except ValueError:
            return result["body"]

    def call(self, function: str, path: tuple[object, ...] = (), payload: Any = None, **extra: Any) -> Any:
        return self.invoke(function, self.event(function, path, payload, **extra))

    def s3(self) -> Any:
        if "s3" not in self.cache:
            import boto3

            self.cache["s3"] = boto3.client("s3")
        return self.cache["s3"]

    def scanned(self, keys: list[str]) -> None:
        """The files found clean as the service learns it: the local scanner stand-in tags each object as
        GuardDuty does and its result event goes through the template's EventBridge rules to
        ScanResultRecordFunction. Until then a stored file is ``pending`` and downloads are 409."""
        if "rules" not in self.cache:
            self.cache["rules"] = EventRules()
        for key in keys:
            scan_and_deliver(self.s3(), os.environ["BUCKET_NAME"], key, self.cache["rules"])


Builder = Callable[[Seeder, int], list[dict[str, Any]]]


@dataclass(frozen=True)
class Example:
    build: Builder
    minimum: int
    why: str


EXAMPLES: dict[str, Example] = {}


def example(function: str, minimum: int, why: str) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        EXAMPLES[function] = Example(build, minimum, why)
        return build

    return register


def _inline() -> dict[str, Any]:
    data = base64.b64encode(pdf()).decode()
    return {
        "doc": {"document_name": "labs.pdf", "data": data, "mime_type": "application/pdf", "record_type": "Test Result"}
    }


def _document(s: Seeder, patient: int) -> int:
    return int(s.call("InlineDocumentsCreateFunction", (patient,), _inline())["doc"]["id"])


def _listed(s: Seeder) -> list[int]:
    """The listed patient's five documents (a list page), made once; list, get and update read them."""
    if "listed" not in s.cache:
        s.cache["listed"] = [_document(s, PATIENT_LISTED) for _ in range(5)]
        s.scanned([_object_key(document) for document in s.cache["listed"]])  # found clean: they may be served
    return s.cache["listed"]  # type: ignore[no-any-return]


def _unscanned(s: Seeder) -> list[str]:
    from local.scanner import unscanned_keys

    return unscanned_keys(s.s3(), os.environ["BUCKET_NAME"])


def _object_key(document: int) -> str:
    from patient_docs.adapters import documents_table

    found = documents_table.get_document(document)
    if found is None:
        raise RuntimeError(f"seeded document {document} not found")
    return found.object_key


def _unsigned(s: Seeder, patient: int) -> dict[str, Any]:
    fields = {"bucket_name": os.environ["BUCKET_NAME"], "file_path": f"patients/{patient}/documents"}
    fields["file_name"] = "insurance-card.pdf"
    mark = "----patientdocsbench7d1f"
    parts = [f'--{mark}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    parts.append(f'--{mark}\r\nContent-Disposition: form-data; name="file"; filename="{fields["file_name"]}"\r\n')
    body = "".join(parts).encode() + b"Content-Type: application/pdf\r\n\r\n" + pdf() + f"\r\n--{mark}--\r\n".encode()
    content_type = {"content-type": f"multipart/form-data; boundary={mark}"}
    return s.event("FileUploadUnsignedFunction", body=body, headers=content_type)


@example(
    "InlineDocumentsCreateFunction",
    5,
    "the file (PutObject); the audit chain's tail (Query), then the record, its link on its object's scan entry and"
    " its audit event (TransactWriteItems); SendMessage (document.created, for the account's webhooks); GetItem (the"
    " scan entry: a malware scan result that came before the record is applied now, as GuardDuty may answer before"
    " the record is written)",
)
def inline_create(s: Seeder, count: int) -> list[dict[str, Any]]:
    return [s.event("InlineDocumentsCreateFunction", (PATIENT_CREATE,), _inline())]


@example("InlineDocumentsListFunction", 3, "one Query on GSI1 (the patient's documents); audit: Query (tail), PutItem")
def inline_list(s: Seeder, count: int) -> list[dict[str, Any]]:
    _listed(s)
    return [s.event("InlineDocumentsListFunction", (PATIENT_LISTED,))]


@example(
    "InlineDocumentsGetFunction", 3, "one GetItem; audit: Query (tail), PutItem, before the URL is signed (locally)"
)
def inline_get(s: Seeder, count: int) -> list[dict[str, Any]]:
    return [s.event("InlineDocumentsGetFunction", (PATIENT_LISTED, _listed(s)[0]))]


@example(
    "InlineDocumentsDeleteFunction",
    4,
    "GetItem (who added it decides), DeleteObject (first: a failure later is retried), Query (audit tail),"
    " TransactWriteItems (the document, its claim, count and scan entry, and the audit event)",
)
def inline_delete(s: Seeder, count: int) -> list[dict[str, Any]]:
    ids = [_document(s, PATIENT_DELETE) for _ in range(count)]
    return [s.event("InlineDocumentsDeleteFunction", (PATIENT_DELETE, document)) for document in ids]


@example("FileUploadUnsignedFunction", 1, "the file is written once (PutObject); no record until Save")
def unsigned(s: Seeder, count: int) -> list[dict[str, Any]]:
    return [_unsigned(s, PATIENT_UPLOAD)]


@example("FileUploadPresignedFunction", 0, "a presigned POST is signed locally; the bytes go straight to S3")
def presigned(s: Seeder, count: int) -> list[dict[str, Any]]:
    payload = {"patient_id": PATIENT_UPLOAD, "file_name": "mri.pdf", "content_type": "application/pdf"}
    return [s.event("FileUploadPresignedFunction", payload={**payload, "size_bytes": 2_400_000})]


@example(
    "PatientDocumentSaveFunction",
    5,
    "one ranged GetObject proves the object and its type; Query (audit tail), TransactWriteItems (record, scan entry"
    " link and event); SendMessage (document.created, for webhooks); GetItem (the scan entry: the upload's scan may"
    " have finished before Save, and is applied now)",
)
def save(s: Seeder, count: int) -> list[dict[str, Any]]:
    events = []
    for _ in range(count):  # an uploaded file per record
        uploaded = s.invoke("FileUploadUnsignedFunction", _unsigned(s, PATIENT_SAVE))["data"]
        payload = {"patient_id": PATIENT_SAVE, "name": "Insurance card", "document_url": uploaded["file_url"]}
        payload |= {"bucket_name": uploaded["bucket_name"], "document_type": "Insurance"}
        payload |= {"document_category": "INSURANCE_CARD", "receipt_date": "2026-03-02T09:30:00"}
        events.append(s.event("PatientDocumentSaveFunction", payload=payload))
    return events


@example(
    "PatientDocumentListFunction",
    4,
    "GetItem (the patient's document count, for total), one Query on GSI1 (a page's worth: key condition and"
    " Limit); audit: Query (tail), PutItem",
)
def documents_list(s: Seeder, count: int) -> list[dict[str, Any]]:
    _listed(s)
    return [s.event("PatientDocumentListFunction", (PATIENT_LISTED,), query="page=1&size=5&sort=desc")]


@example(
    "PatientDocumentUpdateFunction",
    4,
    "GetItem (who added it decides), Query (audit tail), TransactWriteItems (the conditional update and its event),"
    " GetItem (a transaction returns no values)",
)
def documents_update(s: Seeder, count: int) -> list[dict[str, Any]]:
    payload = {"notes": "reviewed", "signature_status": "COMPLETED", "signed_by": "Dr Bench"}
    return [s.event("PatientDocumentUpdateFunction", (_listed(s)[1],), payload)]


FHIR = {"accept": "application/fhir+json"}


@example("FhirMetadataFunction", 0, "the CapabilityStatement is built from settings in code: no AWS call")
def fhir_metadata(s: Seeder, count: int) -> list[dict[str, Any]]:
    return [s.event("FhirMetadataFunction", headers=FHIR)]


@example(
    "FhirDocumentReferenceSearchFunction",
    4,
    "GetItem (the patient's document count, for total), one Query on GSI1 (a page's worth: key condition and"
    " Limit); audit: Query (tail), PutItem",
)
def fhir_search(s: Seeder, count: int) -> list[dict[str, Any]]:
    _listed(s)
    query = f"patient=Patient%2F{PATIENT_LISTED}&_count=10"
    return [s.event("FhirDocumentReferenceSearchFunction", headers=FHIR, query=query)]


@example("FhirDocumentReferenceReadFunction", 3, "one GetItem; audit: Query (tail), PutItem")
def fhir_read(s: Seeder, count: int) -> list[dict[str, Any]]:
    return [s.event("FhirDocumentReferenceReadFunction", (_listed(s)[2],), headers=FHIR)]


@example(
    "FhirDocumentReferenceCreateFunction",
    5,
    "as door A's create: the file (PutObject), Query (audit tail), TransactWriteItems (the record, its object's"
    " scan entry link and the audit event), SendMessage (document.created, for webhooks), GetItem (the scan entry:"
    " a malware scan result that came first)",
)
def fhir_create(s: Seeder, count: int) -> list[dict[str, Any]]:
    data = base64.b64encode(pdf()).decode()
    resource = {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": "http://loinc.org", "code": "11502-2", "display": "Laboratory report"}]},
        "subject": {"reference": f"Patient/{PATIENT_CREATE}"},
        "description": "Lab results",
        "content": [{"attachment": {"contentType": "application/pdf", "data": data, "title": "labs.pdf"}}],
    }
    headers = {**FHIR, "content-type": "application/fhir+json"}
    return [s.event("FhirDocumentReferenceCreateFunction", body=json.dumps(resource).encode(), headers=headers)]


@example(
    "FhirBinaryReadFunction",
    3,
    "one GetItem (the document, found clean), audit: Query (tail), PutItem; a redirect to a URL signed locally",
)
def fhir_binary(s: Seeder, count: int) -> list[dict[str, Any]]:
    return [s.event("FhirBinaryReadFunction", (_listed(s)[3],))]


def _create(mobile: str, claims: dict[str, Any] = CLAIMS) -> dict[str, Any]:
    """events/file_requests_create.json's body for this patient, with an Idempotency-Key of its own."""
    seed = json.loads(json.loads((EVENTS / "file_requests_create.json").read_text())["body"])
    body = {**seed, "accountId": int(claims["account_id"]), "patientMobile": mobile}
    return {"payload": body, "claims": claims, "headers": {"idempotency-key": str(uuid.uuid4())}}


def _request(s: Seeder, mobile: str, claims: dict[str, Any] = CLAIMS) -> dict[str, Any]:
    made: dict[str, Any] = s.call("FileRequestsCreateFunction", **_create(mobile, claims))
    return made


def _opened(s: Seeder, mobile: str) -> dict[str, Any]:
    made = _request(s, mobile)
    s.call("PatientPageOpenFunction", (made["short_link_id"],))
    return made


def _answer(mobile: str) -> dict[str, str]:
    return {"date_of_birth": _create(mobile)["payload"]["patientDateOfBirth"]}


def _verified(s: Seeder, mobile: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A request the patient opened and answered (date of birth right); a photo upload's extra arguments."""
    made = _opened(s, mobile)
    session = s.call("PatientPageVerifyFunction", (made["short_link_id"],), _answer(mobile))["upload_session"]
    photo = {"file_name": "IMG_0292.JPG", "content_type": "image/jpeg", "size_bytes": 100_000}
    return made, {"payload": photo, "headers": {"x-upload-session": session}}


def _photo_event(s: Seeder, made: dict[str, Any], upload: dict[str, Any], sequence: int) -> dict[str, Any]:
    """A photo sent as the page sends it (presigned POST, bytes straight to S3); the SQS batch S3's event makes."""
    form = s.call("PatientPageUploadFunction", (made["short_link_id"],), **upload)
    photo = jpeg()
    files = {"file": ("IMG_0292.JPG", photo, "image/jpeg")}
    requests.post(form["url"], data=form["fields"], files=files, timeout=30).raise_for_status()
    event: dict[str, Any] = json.loads((EVENTS / "uploaded_file_register.json").read_text())
    record = json.loads(event["Records"][0]["body"])["Records"][0]
    bucket = os.environ["BUCKET_NAME"]
    record["eventTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    record["s3"]["bucket"] = {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}
    key = quote_plus(form["fields"]["key"], safe="/")  # S3 URL-encodes keys in events
    digest = hashlib.md5(photo, usedforsecurity=False).hexdigest()
    record["s3"]["object"] |= {"key": key, "size": len(photo), "eTag": digest, "sequencer": f"{sequence:016X}"}
    event["Records"][0] |= {"messageId": str(uuid.uuid4()), "body": json.dumps({"Records": [record]})}
    return event


def _answered(s: Seeder, mobile: str, photos: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A verified request with ``photos`` photos sent, the first registered; the others' SQS events."""
    made, upload = _verified(s, mobile)
    events = [_photo_event(s, made, upload, sequence) for sequence in range(photos)]
    s.invoke("UploadedFileRegisterFunction", events[0])
    return made, events[1:]


@example(
    "FileRequestsCreateFunction",
    7,
    "BatchGetItem (staff, patient by mobile, settings), the Idempotency-Key's claim (PutItem) and result (UpdateItem),"
    " Query (audit tail), TransactWriteItems (request, short link, audit event), CreateSchedule (the reminder),"
    " SendMessage (the notice: NotificationSendFunction sends the SMS, off the request path)",
)
def create(s: Seeder, count: int) -> list[dict[str, Any]]:
    return [s.event("FileRequestsCreateFunction", **_create(MOBILE["create"])) for _ in range(count)]


@example(
    "FileRequestsGetFunction",
    4,
    "one Query of the request's partition (it, its 3 photos); BatchGetItem (the photos' documents: their scan status"
    " decides which get a URL); Query (audit tail), TransactWriteItems (the reading and a download event per photo"
    " found clean), before the URLs are signed here",
)
def get_request(s: Seeder, count: int) -> list[dict[str, Any]]:
    """A request with 3 photos, each registered and found clean: each gets a download URL."""
    made, others = _answered(s, MOBILE["get"], 3)
    for event in others:
        s.invoke("UploadedFileRegisterFunction", event)
    s.scanned([key for key in _unscanned(s) if f"/{made['id']}/" in key])
    return [s.event("FileRequestsGetFunction", (made["id"],))]


@example(
    "FileRequestsListFunction", 3, "one Query on GSI1 (the account's 30 requests, newest first); audit: Query, PutItem"
)
def list_requests(s: Seeder, count: int) -> list[dict[str, Any]]:
    """30 requests of 6 patients in an account of their own: 5 cancelled, 3 opened, 22 still notified."""
    made = [_request(s, f"{MOBILE['list'][:-1]}{n % 6}", LISTED_ACCOUNT) for n in range(30)]
    for one in made[::6]:
        s.call("FileRequestsCancelFunction", (one["id"],), claims=LISTED_ACCOUNT)
    for one in made[1:4]:
        s.call("PatientPageOpenFunction", (one["short_link_id"],))
    return [s.event("FileRequestsListFunction", query="status=notified&limit=20", claims=LISTED_ACCOUNT)]


@example(
    "FileRequestsCancelFunction",
    4,
    "one Query (the request: its patient's audit chain), Query (audit tail), TransactWriteItems (cancel and event),"
    " DeleteSchedule (the request's reminder: a cancelled request sends none)",
)
def cancel(s: Seeder, count: int) -> list[dict[str, Any]]:
    return [s.event("FileRequestsCancelFunction", (_request(s, MOBILE["cancel"])["id"],)) for _ in range(count)]


@example(
    "FileRequestsResendFunction",
    6,
    "Query (the request and its files), BatchGetItem (patient number, settings), GetItem (mobile item: the app"
    " endpoint), Query (audit tail), TransactWriteItems (the conditional claim and its event), SendMessage (the"
    " notice, sent by NotificationSendFunction)",
)
def resend(s: Seeder, count: int) -> list[dict[str, Any]]:
    """Requests created and notified an hour ago (the seeding's clock set back: one resend a minute is allowed)."""
    from patient_docs.logic import create_file_request as creating
    from patient_docs.rules.timestamps import utc_now

    with mock.patch.object(creating, "utc_now", lambda: utc_now() - timedelta(hours=1)):
        made = [_request(s, MOBILE["resend"]) for _ in range(count)]
    return [s.event("FileRequestsResendFunction", (one["id"],)) for one in made]


@example("PatientDevicesRegisterFunction", 3, "GetItem (patient number), CreatePlatformEndpoint, UpdateItem (mobile)")
def device(s: Seeder, count: int) -> list[dict[str, Any]]:
    """The patient of a request registers the app (the same token on every launch, as an app does)."""
    number = int(_request(s, MOBILE["device"])["patient_number"])
    claims = {**CLAIMS, "sub": f"patient-12-{number}", "role": "patient", "user_id": number, "patient_id": number}
    return [s.event("PatientDevicesRegisterFunction", payload={"deviceToken": "5f8c2a17e0b94d3c" * 4}, claims=claims)]


@example("AccountSettingsGetFunction", 1, "one GetItem (the account has settings of its own)")
def settings_get(s: Seeder, count: int) -> list[dict[str, Any]]:
    s.call("AccountSettingsPutFunction", payload=SETTINGS, claims=ADMIN)
    return [s.event("AccountSettingsGetFunction")]


@example("AccountSettingsPutFunction", 2, "Query (audit tail), TransactWriteItems (the settings item and its event)")
def settings_put(s: Seeder, count: int) -> list[dict[str, Any]]:
    return [s.event("AccountSettingsPutFunction", payload=SETTINGS, claims=ADMIN)]


@example(
    "PatientPageOpenFunction",
    4,
    "GetItem (short link), a conditional UpdateItem opening, returning the request; audit: Query (tail), PutItem",
)
def page_open(s: Seeder, count: int) -> list[dict[str, Any]]:
    return [s.event("PatientPageOpenFunction", (_request(s, MOBILE["page"])["short_link_id"],)) for _ in range(count)]


@example(
    "PatientPageVerifyFunction",
    5,
    "GetItem (link), a read of the request, GetItem (patient number: the date of birth), Query (audit tail),"
    " TransactWriteItems (the request verified, the session and the audit event: one conditional write)",
)
def page_verify(s: Seeder, count: int) -> list[dict[str, Any]]:
    """Each event a patient's first, right answer on a link they opened."""
    links = [_opened(s, MOBILE["verify"])["short_link_id"] for _ in range(count)]
    return [s.event("PatientPageVerifyFunction", (link,), _answer(MOBILE["verify"])) for link in links]


@example(
    "PatientPageUploadFunction",
    3,
    "BatchGetItem (link, session), Query (audit tail), TransactWriteItems (a photo slot and its audit event)",
)
def page_upload(s: Seeder, count: int) -> list[dict[str, Any]]:
    """Three photo slots taken per verified request."""
    verified = [_verified(s, MOBILE["upload"]) for _ in range(-(-count // 3))]
    return [s.event("PatientPageUploadFunction", (made["short_link_id"],), **up) for made, up in verified * 3][:count]


@example(
    "UploadedFileRegisterFunction",
    7,
    "Query (request and files), ranged GetObject (real type), Query (audit tail), TransactWriteItems (file, its"
    " document, scan entry link and audit event), GetItem (the scan entry: the photo's scan may have finished"
    " first), PutEvents, SendMessageBatch (file_request.responded and document.created, for webhooks, in one call);"
    " a request's first photo adds an UpdateItem (responded)",
)
def register(s: Seeder, count: int) -> list[dict[str, Any]]:
    """Each event a new photo of a request whose first photo is registered."""
    events: list[dict[str, Any]] = []
    while len(events) < count:
        events += _answered(s, MOBILE["register"], 3)[1]
    return events[:count]


@example("AuditEventsListFunction", 3, "Query (a patient's audit chain), then its own event: Query (tail), PutItem")
def audit_events(s: Seeder, count: int) -> list[dict[str, Any]]:
    _listed(s)  # the listed patient's documents, created and so recorded
    return [s.event("AuditEventsListFunction", query=f"patient_id={PATIENT_LISTED}&limit=20", claims=ADMIN)]


@example("AccessLogGetFunction", 3, "Query (the patient's own audit chain), then its own event: Query (tail), PutItem")
def access_log(s: Seeder, count: int) -> list[dict[str, Any]]:
    _listed(s)
    patient = {**CLAIMS, "sub": f"patient-12-{PATIENT_LISTED}", "role": "patient", "patient_id": PATIENT_LISTED}
    return [s.event("AccessLogGetFunction", query="limit=20", claims=patient)]


@example(
    "ScanResultRecordFunction",
    3,
    "the result kept under its object key, returning the entry that names the document (UpdateItem), Query (audit"
    " tail), TransactWriteItems (the document's scan status, conditional, and its audit event)",
)
def scan_result(s: Seeder, count: int) -> list[dict[str, Any]]:
    """GuardDuty's NO_THREATS_FOUND event for a document recorded while its file was pending (the usual order):
    the local scanner stand-in tags each object and makes the event; the bench delivers it."""
    documents = [_document(s, PATIENT_SCANNED) for _ in range(count)]
    events = [scan_object(s.s3(), os.environ["BUCKET_NAME"], _object_key(document)) for document in documents]
    return [event for event in events if event is not None]


def generic(s: Seeder, function: Function) -> tuple[str, list[dict[str, Any]]]:
    """``events/<function_dir>.json``, else an event from its route (ids of 1, an empty JSON body)."""
    path = EVENTS / f"{Path(function.code_uri).name}.json"
    route = s.routes.get(function.logical_id)
    if path.exists() or route is None:
        return (f"events/{path.name}", [json.loads(path.read_text())]) if path.exists() else ("no example", [])
    ids = tuple("1" for _ in PLACEHOLDER.findall(route.path))
    return "an event from its route", [s.event(function.logical_id, ids, {} if route.method != "GET" else None)]


def provision_push(client: Callable[[str], Any]) -> dict[str, str]:
    """An SNS platform application, as a deployment with app push has (device registration is a 503 without)."""
    sns = client("sns")
    made = sns.create_platform_application(Name="bench", Platform="APNS", Attributes={"PlatformCredential": "x"})
    return {"PUSH_PLATFORM_APPLICATION_ARN": made["PlatformApplicationArn"]}
