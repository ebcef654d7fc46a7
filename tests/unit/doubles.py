"""In-memory stand-ins for the adapters, and builders of the records the use cases read.

The logic modules call adapter functions through their modules (``documents_table.put_document``),
so a test replaces those functions (``Fakes.install``) and the use case runs unchanged. Each fake
keeps the few rules its real adapter enforces in DynamoDB conditions (a key already taken, a
request no longer open) and records what was written or sent, so a test can say what did *not*
happen on a refusal.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY

from patient_docs.adapters import (
    account_settings_table,
    audit_log,
    documents_table,
    events,
    file_requests_table,
    notification_queue,
    notifications,
    object_store,
    patient_page_table,
    patients_table,
    reminders,
    scan_results_table,
)
from patient_docs.adapters.object_store import StoredObject
from patient_docs.adapters.patient_page_table import StoredSession
from patient_docs.adapters.scan_results_table import ScanEntry
from patient_docs.auth import Caller
from patient_docs.errors import (
    DocumentIdTaken,
    NotFound,
    NotificationFailed,
    NotificationThrottled,
    ObjectClaimed,
    QuotaUsedUp,
    RecordChanged,
    RecordTaken,
)
from patient_docs.models.account_settings import AccountSettings
from patient_docs.models.documents import Document
from patient_docs.models.file_requests import FileRequest, RequestFile
from patient_docs.models.people import Patient, StaffUser
from patient_docs.rules import time_buckets
from patient_docs.rules.file_requests import OPEN_STATUSES
from patient_docs.rules.scanning import next_status
from patient_docs.schemas.file_requests import CreateFileRequestBody

_REAL_APPEND = audit_log.append


class AuditTrail(list[dict[str, Any]]):
    """The audit trail in memory: each event added takes its place in its chain, as the table's would."""

    def append(self, values: dict[str, Any]) -> None:
        if "hash" not in values:
            chain = [event for event in self if event["chain"] == values["chain"]]
            values = audit_log.sealed(values, chain[-1] if chain else None)
        super().append(values)


NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ACCOUNT = "12"
OTHER_ACCOUNT = "13"
PATIENT_NUMBER = 1172416
MOBILE = "+447777123456"
DATE_OF_BIRTH = "1980-06-17"

# The first bytes that prove a type (the service sniffs them; the declared type is never trusted).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
PDF = b"%PDF-1.7\n" + b"0" * 55


# ------------------------------------------------------------------ callers


def staff(account: str = ACCOUNT, subject: str = "staff-sub-1", role: str = "staff") -> Caller:
    return Caller(subject=subject, name="Dr Rachel Williams", account_id=account, role=role, user_id=501)


def admin(account: str = ACCOUNT) -> Caller:
    return staff(account, subject="admin-sub-1", role="admin")


def patient(number: int = PATIENT_NUMBER, account: str = ACCOUNT) -> Caller:
    return Caller(
        subject=f"patient-sub-{number}",
        name="John Smith",
        account_id=account,
        role="patient",
        patient_id=number,
        user_id=9,
    )


# ------------------------------------------------------------------ records


def a_document(**changes: Any) -> Document:
    values: dict[str, Any] = {
        "id": 1001,
        "account_id": ACCOUNT,
        "patient_id": PATIENT_NUMBER,
        "name": "scan.pdf",
        "original_file_name": "scan.pdf",
        "mime_type": "application/pdf",
        "extension": "pdf",
        "size_bytes": 64,
        "object_key": f"accounts/{ACCOUNT}/patients/{PATIENT_NUMBER}/documents/{'a' * 32}.pdf",
        "source": "inline",
        "uploaded_by": 501,
        "uploaded_by_name": "Dr Rachel Williams",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(changes)
    return Document(**values)


def a_patient(**changes: Any) -> Patient:
    values: dict[str, Any] = {
        "patient_id": str(uuid.uuid4()),
        "patient_number": PATIENT_NUMBER,
        "account_id": ACCOUNT,
        "mobile": MOBILE,
        "date_of_birth": DATE_OF_BIRTH,
        "first_name": "John",
        "last_name": "Smith",
        "created_at": NOW - timedelta(days=30),
    }
    values.update(changes)
    return Patient(**values)


def a_staff_user(**changes: Any) -> StaffUser:
    values: dict[str, Any] = {
        "staff_id": str(uuid.uuid4()),
        "account_id": ACCOUNT,
        "account_user_id": "42",
        "name": "Dr Rachel Williams",
        "created_at": NOW - timedelta(days=30),
    }
    values.update(changes)
    return StaffUser(**values)


def a_file_request(**changes: Any) -> FileRequest:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "account_id": ACCOUNT,
        "patient_id": str(uuid.uuid4()),
        "patient_number": PATIENT_NUMBER,
        "staff_id": str(uuid.uuid4()),
        "staff_name": "Dr Rachel Williams",
        "prompt": "Please take a photo of the rash",
        "type": "photo",
        "short_link_id": "AbCdEfGhIjKl",
        "short_link_expires_at": NOW + timedelta(hours=72),
        "created_at": NOW - timedelta(hours=1),
        "updated_at": NOW - timedelta(hours=1),
        "created_by": "staff-sub-1",
        "status": "notified",
        "notification_channel": "sms",
        "notification_status": "sent",
        "last_notification_at": NOW - timedelta(hours=1),
        "notification_attempts": 1,
    }
    values.update(changes)
    return FileRequest(**values)


def a_request_file(request: FileRequest, **changes: Any) -> RequestFile:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "file_request_id": request.id,
        "account_id": request.account_id,
        "created_at": NOW - timedelta(minutes=5),
        "expires_at": NOW + timedelta(days=30),
        "mime_type": "image/jpeg",
        "original_name": "photo.jpg",
        "size": 2048,
        "object_key": f"file-requests/{request.account_id}/{request.id}/{uuid.uuid4()}.jpg",
    }
    values.update(changes)
    return RequestFile(**values)


def create_body(**changes: Any) -> CreateFileRequestBody:
    """The seed's "Create a File Request" body (camelCase, as a client sends it); None drops a field."""
    values: dict[str, Any] = {
        "prompt": "Please take a close-up photo of the rash on the back of your right hand.",
        "type": "photo",
        "accountId": 12,
        "accountUserId": 42,
        "staffName": "Dr Rachel Williams",
        "patientMobile": MOBILE,
        "patientDateOfBirth": DATE_OF_BIRTH,
        "patientFirstName": "John",
        "patientLastName": "Smith",
    }
    values.update(changes)
    return CreateFileRequestBody.model_validate({name: value for name, value in values.items() if value is not None})


def client_error(code: str, operation: str = "Call", **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, **extra}, operation)


# ------------------------------------------------------------------ the audit trail under a Stubber

# A write and its audit event go in one TransactWriteItems, after one Query of the chain's tail.
AUDIT_TAIL_QUERY = {
    "TableName": ANY,
    "KeyConditionExpression": "chain = :chain",
    "ExpressionAttributeValues": ANY,
    "ScanIndexForward": False,
    "Limit": 1,
    "ConsistentRead": True,
}
ANY_TRANSACTION = {"TransactItems": ANY}


def expect_audit_tail(dynamodb: Any) -> None:
    """Queue the chain's tail read (a new chain) on a DynamoDB Stubber."""
    dynamodb.add_response("query", {"Items": []}, expected_params=AUDIT_TAIL_QUERY)


def cancelled(*reasons: str) -> dict[str, Any]:
    """The ``modeled_fields`` of a TransactionCanceledException, one reason per item (``None``: fine)."""
    return {"CancellationReasons": [{"Code": reason} for reason in reasons]}


# ------------------------------------------------------------------ the fakes


@dataclass
class Sms:
    to: str
    text: str
    sender_id: str


@dataclass
class FakeNotifications:
    """SNS: what was sent, and the failures a test asks for (reasons as SNS error codes)."""

    sms: list[Sms] = field(default_factory=list)
    pushes: list[tuple[str, str, str]] = field(default_factory=list)
    endpoints: list[tuple[str, str]] = field(default_factory=list)
    opted_out: set[str] = field(default_factory=set)
    sms_failure: str | None = None
    push_failure: str | None = None
    opt_out_check_failure: str | None = None
    endpoint_failure: str | None = None
    configured: bool = True

    # SNS answering "slow down" to the next n SMS sends.
    throttled_sends: int = 0

    def is_opted_out(self, mobile: str) -> bool:
        if self.opt_out_check_failure:
            raise NotificationFailed(self.opt_out_check_failure)
        return mobile in self.opted_out

    def send_sms(self, mobile: str, text: str, sender_id: str) -> str:
        if self.throttled_sends:
            self.throttled_sends -= 1
            raise NotificationThrottled("Throttling")
        if self.sms_failure:
            raise NotificationFailed(self.sms_failure)
        self.sms.append(Sms(mobile, text, sender_id))
        return f"sms-{len(self.sms)}"

    def send_push(self, endpoint_arn: str, text: str, file_request_id: str) -> str:
        if self.push_failure:
            raise NotificationFailed(self.push_failure)
        self.pushes.append((endpoint_arn, text, file_request_id))
        return f"push-{len(self.pushes)}"

    def push_configured(self) -> bool:
        return self.configured

    def create_push_endpoint(self, device_token: str, patient_id: str) -> str:
        if self.endpoint_failure:
            raise NotificationFailed(self.endpoint_failure)
        self.endpoints.append((device_token, patient_id))
        return f"arn:aws:sns:eu-west-2:123456789012:endpoint/APNS/app/{len(self.endpoints)}"


@dataclass
class FakeNotificationQueue:
    """The notifications queue: the request ids queued, and the backoffs asked for."""

    queued: list[str] = field(default_factory=list)
    delays: list[tuple[str, int]] = field(default_factory=list)
    failure: str | None = None

    def enqueue(self, file_request_id: str) -> None:
        if self.failure:
            raise NotificationFailed(self.failure)
        self.queued.append(file_request_id)

    def delay(self, receipt_handle: str, seconds: int) -> None:
        self.delays.append((receipt_handle, seconds))


@dataclass
class FakeReminders:
    """EventBridge Scheduler: the reminder time scheduled per request, and the ones deleted."""

    scheduled: dict[str, datetime] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)

    def schedule_reminder(self, file_request_id: str, at: datetime) -> None:
        self.scheduled.setdefault(file_request_id, at)

    def cancel_reminder(self, file_request_id: str) -> None:
        self.scheduled.pop(file_request_id, None)
        self.deleted.append(file_request_id)


@dataclass
class FakeObjectStore:
    """The bucket: objects by key, and what was deleted, quarantined or signed."""

    objects: dict[str, tuple[bytes, str, str | None]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    presigned_posts: list[dict[str, Any]] = field(default_factory=list)
    presigned_gets: list[tuple[str, str, str]] = field(default_factory=list)

    def put_object(self, key: str, data: bytes, content_type: str, original_name: str) -> None:
        self.objects[key] = (data, content_type, original_name)

    def delete_object(self, key: str) -> None:
        self.deleted.append(key)
        self.objects.pop(key, None)

    def read_head(self, key: str, length: int) -> tuple[StoredObject, bytes] | None:
        if key not in self.objects:
            return None
        data, content_type, name = self.objects[key]
        return StoredObject(key, len(data), content_type, name), data[:length]

    def head_object(self, key: str) -> StoredObject | None:
        found = self.read_head(key, 0)
        return found[0] if found else None

    def quarantine(self, key: str, quarantined_key: str) -> None:
        self.quarantined.append((key, quarantined_key))
        if key in self.objects:
            self.objects[quarantined_key] = self.objects.pop(key)

    def presign_upload(
        self, key: str, content_type: str, min_bytes: int, max_bytes: int, original_name: str
    ) -> tuple[str, dict[str, str]]:
        self.presigned_posts.append(
            {"key": key, "content_type": content_type, "min": min_bytes, "max": max_bytes, "name": original_name}
        )
        return "https://bucket.example/", {"key": key, "Content-Type": content_type}

    def presign_download(self, key: str, file_name: str, content_type: str) -> str:
        self.presigned_gets.append((key, file_name, content_type))
        return f"https://bucket.example/{key}?signed"


@dataclass
class FakeDocuments:
    """Document records by id; ``taken`` ids answer DocumentIdTaken as a clash would."""

    items: dict[int, Document] = field(default_factory=dict)
    taken: set[int] = field(default_factory=set)
    put_attempts: list[int] = field(default_factory=list)
    updates: list[tuple[int, str, int | None, dict[str, Any]]] = field(default_factory=list)
    failure: Exception | None = None
    # Object key -> the document that claims it (one object, one record); what each delete took along.
    claims: dict[str, int] = field(default_factory=dict)
    deleted_with: list[tuple[int, str, list[Any]]] = field(default_factory=list)
    # Items each index read returned (door B's list reads in proportion to the page).
    index_reads: list[int] = field(default_factory=list)
    # What each count of a start/end range read: ("days" | "hours", first, last) or ("documents", since, until).
    count_reads: list[tuple[str, Any, Any]] = field(default_factory=list)
    # Audit events stored with the writes (the same list as Fakes.audit).
    audit: AuditTrail = field(default_factory=AuditTrail)

    def add(self, *docs: Document) -> None:
        for doc in docs:
            self.items[doc.id] = doc

    def put_document(self, doc: Document, event: dict[str, Any], also: Any = ()) -> None:
        self.put_attempts.append(doc.id)
        if self.failure is not None:
            raise self.failure
        if doc.id in self.items or doc.id in self.taken:
            raise DocumentIdTaken(str(doc.id))
        if self.claims.setdefault(doc.object_key, doc.id) != doc.id:
            raise ObjectClaimed(doc.object_key)
        self.items[doc.id] = doc
        self.audit.append(dict(event))

    def get_document(self, document_id: int) -> Document | None:
        return self.items.get(document_id)

    def _owned(self, document_id: int, account_id: str, patient_id: int | None) -> Document:
        doc = self.items.get(document_id)
        if doc is None or doc.account_id != account_id or (patient_id is not None and doc.patient_id != patient_id):
            raise NotFound("document")
        return doc

    def list_patient_documents(self, account_id: str, patient_id: int, newest_first: bool = True) -> list[Document]:
        found = [d for d in self.items.values() if d.account_id == account_id and d.patient_id == patient_id]
        return sorted(found, key=lambda d: (d.created_at, d.id), reverse=newest_first)

    def read_patient_documents(
        self,
        account_id: str,
        patient_id: int,
        *,
        newest_first: bool,
        wanted: int,
        after: dict[str, str] | None = None,
        since: str | None = None,
        until: str | None = None,
        max_items: int | None = None,
    ) -> documents_table.IndexRead:
        """The index read, over the documents' real GSI1 sort keys."""
        keyed = sorted(
            ((documents_table.document_item(d)["GSI1SK"]["S"], d) for d in self.items.values()),
            key=lambda pair: pair[0],
            reverse=newest_first,
        )
        docs = [
            (key, d)
            for key, d in keyed
            if d.account_id == account_id
            and d.patient_id == patient_id
            and (since is None or key >= since)
            and (until is None or key <= until)
        ]
        start = 0
        if after is not None:
            start = next(i for i, (key, _) in enumerate(docs) if key == after["GSI1SK"]) + 1
        limit = min(wanted, max_items if max_items is not None else wanted)
        page = docs[start : start + limit]
        self.index_reads.append(len(page))
        if start + limit >= len(docs) or not page:
            return documents_table.IndexRead([d for _, d in page], None, len(page))
        last = documents_table.document_item(page[-1][1])
        position = {name: last[name]["S"] for name in documents_table.INDEX_POSITION}
        return documents_table.IndexRead([d for _, d in page], position, len(page))

    def count_patient_documents(self, account_id: str, patient_id: int) -> int | None:
        return sum(1 for d in self.items.values() if d.account_id == account_id and d.patient_id == patient_id)

    def count_patient_documents_between(
        self, account_id: str, patient_id: int, since: str | None, until: str | None
    ) -> int:
        since, until = since or "0", until or "~"
        return len(
            [
                d
                for d in self.items.values()
                if d.account_id == account_id
                and d.patient_id == patient_id
                and since <= documents_table.document_item(d)["GSI1SK"]["S"] <= until
            ]
        )

    def _created(self, account_id: str, patient_id: int) -> list[datetime]:
        return [d.created_at for d in self.items.values() if d.account_id == account_id and d.patient_id == patient_id]

    def count_days(self, account_id: str, patient_id: int, first: str | None, last: str | None) -> int:
        """What the kept day counts would sum to (each read counted in ``count_reads``)."""
        self.count_reads.append(("days", first, last))
        days = [time_buckets.day_of(at) for at in self._created(account_id, patient_id)]
        return sum(1 for day in days if (first is None or day >= first) and (last is None or day <= last))

    def count_hours(self, account_id: str, patient_id: int, first: str, last: str) -> int:
        self.count_reads.append(("hours", first, last))
        return sum(1 for at in self._created(account_id, patient_id) if first <= time_buckets.hour_of(at) <= last)

    def count_patient_documents_in(self, account_id: str, patient_id: int, since: datetime, until: datetime) -> int:
        self.count_reads.append(("documents", since, until))
        return sum(1 for at in self._created(account_id, patient_id) if since <= at < until)

    def list_patient_documents_page(
        self, account_id: str, patient_id: int, limit: int, after: dict[str, str] | None = None
    ) -> tuple[list[Document], dict[str, str] | None]:
        docs = self.list_patient_documents(account_id, patient_id)
        start = 0
        if after is not None:
            start = next(i for i, d in enumerate(docs) if str(d.id) == after["PK"].removeprefix("DOC#")) + 1
        page = docs[start : start + limit]
        if start + limit >= len(docs):
            return page, None
        last = page[-1]
        partition = documents_table.patient_partition(account_id, patient_id)
        return page, {"PK": f"DOC#{last.id}", "SK": "DOC", "GSI1PK": partition, "GSI1SK": f"x#{last.id}"}

    def update_document(
        self,
        document_id: int,
        account_id: str,
        patient_id: int | None,
        changes: dict[str, Any],
        updated_at: datetime,
        event: dict[str, Any],
    ) -> Document:
        doc = self._owned(document_id, account_id, patient_id)
        self.updates.append((document_id, account_id, patient_id, dict(changes)))
        updated = doc.model_copy(update={**changes, "updated_at": updated_at})
        self.items[document_id] = updated
        self.audit.append(dict(event))
        return updated

    def delete_document(
        self,
        document_id: int,
        account_id: str,
        patient_id: int | None,
        object_key: str,
        event: dict[str, Any],
        also: list[Any],
    ) -> None:
        self._owned(document_id, account_id, patient_id)
        del self.items[document_id]
        self.claims.pop(object_key, None)
        self.deleted_with.append((document_id, object_key, list(also)))
        self.audit.append(dict(event))

    def set_scan_status(self, document_id: int, status: str, scanned_at: datetime, event: dict[str, Any]) -> bool:
        doc = self.items.get(document_id)
        if doc is None or next_status(doc.scan_status, status) is None:  # type: ignore[arg-type]
            return False
        self.items[document_id] = doc.model_copy(update={"scan_status": status, "scanned_at": scanned_at})
        self.audit.append(dict(event))
        return True

    def get_documents(self, document_ids: list[int]) -> dict[int, Document]:
        return {i: self.items[i] for i in document_ids if i in self.items}


@dataclass
class FakeScanResults:
    """Scan results under their object key (adapters/scan_results_table.py), keeping what may follow what."""

    entries: dict[str, ScanEntry] = field(default_factory=dict)
    expiries: dict[str, int] = field(default_factory=dict)  # the entries' ttl, where one was given

    def store_result(self, object_key: str, status: str, scanned_at: datetime) -> tuple[bool, ScanEntry]:
        entry = self.entries.get(object_key, ScanEntry())
        if entry.scan_status is not None and next_status(entry.scan_status, status) is None:  # type: ignore[arg-type]
            return False, entry
        self.entries[object_key] = replace(entry, scan_status=status, scanned_at=scanned_at)  # type: ignore[arg-type]
        return True, self.entries[object_key]

    def link(self, object_key: str, document_id: int, patient_id: int) -> None:
        entry = self.entries.get(object_key, ScanEntry())
        self.entries[object_key] = replace(entry, document_id=document_id, patient_id=patient_id)
        self.expiries.pop(object_key, None)

    def expire_unclaimed(self, object_key: str, expires_at: int) -> bool:
        entry = self.entries.get(object_key)
        if entry is None or entry.document_id is not None or object_key in self.expiries:
            return False
        self.expiries[object_key] = expires_at
        return True

    def get_entry(self, object_key: str) -> ScanEntry | None:
        return self.entries.get(object_key)


@dataclass
class FakePeople:
    """Patients (by mobile and by number), staff users and account settings."""

    patients: dict[tuple[str, str], Patient] = field(default_factory=dict)
    staff: dict[str, StaffUser] = field(default_factory=dict)
    settings: dict[str, AccountSettings] = field(default_factory=dict)
    settings_writes: list[AccountSettings] = field(default_factory=list)
    reads: int = 0
    devices: list[tuple[str, str]] = field(default_factory=list)
    device_write_fails: bool = False
    audit: AuditTrail = field(default_factory=AuditTrail)

    def add_patient(self, patient: Patient) -> Patient:
        self.patients[patient.account_id, patient.mobile] = patient
        return patient

    def add_staff(self, user: StaffUser) -> StaffUser:
        self.staff[user.staff_id] = user
        return user

    def _by_number(self, account_id: str, number: int) -> Patient | None:
        found = [p for p in self.patients.values() if p.account_id == account_id and p.patient_number == number]
        return found[0] if found else None

    def read_for_create(
        self, account_id: str, mobile: str, staff_id: str | None, account_user_id: str | None
    ) -> tuple[StaffUser | None, Patient | None, AccountSettings | None]:
        self.reads += 1
        if staff_id is not None:
            found_staff = self.staff.get(staff_id)
        else:
            matches = [
                s for s in self.staff.values() if (s.account_id, s.account_user_id) == (account_id, account_user_id)
            ]
            found_staff = matches[0] if matches else None
        return found_staff, self.patients.get((account_id, mobile)), self.settings.get(account_id)

    def read_for_resend(self, account_id: str, number: int) -> tuple[Patient | None, AccountSettings | None]:
        return self._by_number(account_id, number), self.settings.get(account_id)

    def get_patient_record_by_number(self, account_id: str, number: int) -> Patient | None:
        found = self._by_number(account_id, number)
        return found.model_copy(update={"push_endpoint_arn": None, "device_registered_at": None}) if found else None

    def set_patient_device(self, patient: Patient, endpoint_arn: str, registered_at: datetime) -> None:
        stored = self.patients.get((patient.account_id, patient.mobile))
        if self.device_write_fails or stored is None or stored.patient_id != patient.patient_id:
            raise RecordChanged("patient")
        self.devices.append((patient.patient_id, endpoint_arn))
        self.patients[patient.account_id, patient.mobile] = stored.model_copy(
            update={"push_endpoint_arn": endpoint_arn, "device_registered_at": registered_at}
        )

    def get_account_settings(self, account_id: str) -> AccountSettings | None:
        return self.settings.get(account_id)

    def put_account_settings(self, settings: AccountSettings, event: dict[str, Any]) -> None:
        self.settings_writes.append(settings)
        self.settings[settings.account_id] = settings
        self.audit.append(dict(event))


def _usable(request: FileRequest, at: datetime, max_wrong: int) -> bool:
    return request.short_link_expires_at > at and request.failed_verifications < max_wrong


@dataclass
class FakeFileRequests:
    """File requests (with their files), links and upload sessions, with the adapter's conditions."""

    people: FakePeople
    requests: dict[str, FileRequest] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    creates: list[tuple[FileRequest, Patient | None, StaffUser | None]] = field(default_factory=list)
    # Run before each create, in turn: a callable (e.g. another create winning a race) or an exception to raise.
    before_create: list[Any] = field(default_factory=list)
    notifications: list[tuple[str, str, str, bool]] = field(default_factory=list)
    # A callable run before a notification is recorded (e.g. the patient opening the link meanwhile).
    before_notification: Any = None
    answers: list[tuple[RequestFile, dict[str, Any]]] = field(default_factory=list)
    answer_outcomes: list[str] = field(default_factory=list)
    responded: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)
    wrong_answers: int = 0
    listed: list[dict[str, Any]] = field(default_factory=list)
    # (account, UTC day) -> notifications counted against the account's daily SMS quota.
    sms_counts: dict[tuple[str, str], int] = field(default_factory=dict)
    # Audit events stored with the writes above (the same list as Fakes.audit).
    audit: AuditTrail = field(default_factory=AuditTrail)

    def add(self, request: FileRequest) -> FileRequest:
        self.requests[request.id] = request
        self.links[request.short_link_id] = request.id
        return request

    def _set(self, file_request_id: str, **changes: Any) -> FileRequest:
        updated = self.requests[file_request_id].model_copy(update=changes)
        self.requests[file_request_id] = updated
        return updated.model_copy(update={"files": []})  # ALL_NEW of the request item: no files

    # --- file requests

    def _count_sms(self, account_id: str, at: datetime, quota: int) -> None:
        """The account's notifications on ``at``'s UTC day, counted unless the quota is used up."""
        day = (account_id, at.astimezone(UTC).date().isoformat())
        if self.sms_counts.get(day, 0) >= quota:
            raise QuotaUsedUp()
        self.sms_counts[day] = self.sms_counts.get(day, 0) + 1

    def create_file_request(
        self,
        request: FileRequest,
        new_patient: Patient | None,
        new_staff: StaffUser | None,
        event: dict[str, Any],
        sms_daily_quota: int,
    ) -> None:
        if self.before_create:
            step = self.before_create.pop(0)
            if isinstance(step, BaseException):
                raise step
            step()
        if new_patient is not None and (new_patient.account_id, new_patient.mobile) in self.people.patients:
            raise RecordTaken("file request")
        if new_staff is not None and new_staff.staff_id in self.people.staff:
            raise RecordTaken("file request")
        self._count_sms(request.account_id, request.created_at, sms_daily_quota)
        self.creates.append((request, new_patient, new_staff))
        self.audit.append(dict(event))
        self.add(request)
        if new_patient is not None:
            self.people.add_patient(new_patient)
        if new_staff is not None:
            self.people.add_staff(new_staff)

    def get_file_request(self, file_request_id: str) -> FileRequest | None:
        return self.requests.get(file_request_id)

    def get_file_request_by_short_link(self, short_link_id: str) -> FileRequest | None:
        file_request_id = self.links.get(short_link_id)
        return self.requests.get(file_request_id) if file_request_id else None

    def record_notification(
        self, file_request_id: str, channel: str | None, status: str, at: datetime, advance_to_notified: bool
    ) -> FileRequest:
        if self.before_notification is not None:
            step, self.before_notification = self.before_notification, None
            step()
        current = self.requests.get(file_request_id)
        if current is None or (advance_to_notified and current.status != "created"):
            raise RecordChanged("file request")
        self.notifications.append((file_request_id, channel, status, advance_to_notified))
        changes: dict[str, Any] = {
            "notification_status": status,
            "last_notification_at": at,
            "updated_at": at,
            "notification_attempts": current.notification_attempts + 1,
        }
        if channel is not None:
            changes["notification_channel"] = channel
        if advance_to_notified:
            changes.update(status="notified", notified_at=current.notified_at or at)
        return self._set(file_request_id, **changes)

    def cancel_file_request(self, file_request_id: str, account_id: str, at: datetime, event: dict[str, Any]) -> None:
        current = self.requests.get(file_request_id)
        if current is None or current.account_id != account_id or current.status not in OPEN_STATUSES:
            raise RecordChanged("file request", current.model_copy(update={"files": []}) if current else None)
        self._set(file_request_id, status="cancelled", cancelled_at=at, updated_at=at)
        self.audit.append(dict(event))

    def claim_resend(
        self,
        file_request_id: str,
        account_id: str,
        now: datetime,
        not_since: datetime,
        max_resends: int,
        event: dict[str, Any],
        sms_daily_quota: int,
    ) -> None:
        current = self.requests.get(file_request_id)
        if (
            current is None
            or current.account_id != account_id
            or current.status not in OPEN_STATUSES
            or current.short_link_expires_at <= now
            or current.resend_count >= max_resends
            or (current.last_notification_at is not None and current.last_notification_at > not_since)
        ):
            raise RecordChanged("file request")
        self._count_sms(account_id, now, sms_daily_quota)
        self._set(
            file_request_id,
            resend_count=current.resend_count + 1,
            last_notification_at=now,
            updated_at=now,
            notification_status="queued",
        )
        self.audit.append(dict(event))

    def move_notification(self, file_request_id: str, from_status: str, to_status: str) -> FileRequest:
        current = self.requests.get(file_request_id)
        if current is None or current.notification_status != from_status:
            raise RecordChanged("file request", current)
        return self._set(file_request_id, notification_status=to_status)

    def list_file_requests(
        self,
        account_id: str,
        now: datetime,
        limit: int,
        patient_id: str | None = None,
        status: str | None = None,
        after: dict[str, str] | None = None,
    ) -> tuple[list[FileRequest], dict[str, str] | None]:
        self.listed.append(
            {"account_id": account_id, "limit": limit, "patient_id": patient_id, "status": status, "after": after}
        )
        found = [r for r in self.requests.values() if r.account_id == account_id]
        found.sort(key=lambda r: r.created_at, reverse=True)
        if after is not None:
            ids = [r.id for r in found]
            found = found[ids.index(after["PK"].removeprefix("FILEREQ#")) + 1 :]
        page = found[:limit]
        if len(found) <= limit:
            return page, None
        last = page[-1]
        position = {
            "PK": f"FILEREQ#{last.id}",
            "SK": "REQUEST",
            "GSI1PK": file_requests_table.account_partition(account_id),
            "GSI1SK": f"x#{last.id}",
        }
        return page, position

    def list_patient_file_requests(
        self,
        account_id: str,
        patient_id: str,
        now: datetime,
        limit: int,
        status: str | None = None,
        after: dict[str, str] | None = None,
    ) -> tuple[list[FileRequest], dict[str, str] | None]:
        self.listed.append(
            {"account_id": account_id, "limit": limit, "patient_id": patient_id, "status": status, "after": after}
        )
        found = [r for r in self.requests.values() if (r.account_id, r.patient_id) == (account_id, patient_id)]
        found.sort(key=lambda r: r.created_at, reverse=True)
        page = found[:limit]
        return page, None

    # --- the patient page

    def open_request(self, file_request_id: str, at: datetime, max_wrong: int) -> FileRequest | None:
        current = self.requests.get(file_request_id)
        if current is None:
            return None
        if current.status in ("created", "notified") and _usable(current, at, max_wrong):
            return self._set(file_request_id, status="opened", opened_at=current.opened_at or at, updated_at=at)
        return current

    def confirm_answer(
        self,
        request: FileRequest,
        token_hash: str,
        session_expires_at: datetime,
        at: datetime,
        max_wrong: int,
        event: dict[str, Any],
    ) -> None:
        current = self.requests[request.id]
        same_state = current.status == request.status or (
            current.status in OPEN_STATUSES and request.status in OPEN_STATUSES
        )
        if not same_state or not _usable(current, at, max_wrong):
            raise RecordChanged("file request", current.model_copy(update={"files": []}))
        self.verified.append(request.id)
        if current.status in OPEN_STATUSES:
            self._set(request.id, status="verified", verified_at=current.verified_at or at)
        self.sessions[token_hash] = (request.id, session_expires_at)
        self.audit.append(dict(event))

    def count_wrong_answer(self, request: FileRequest, at: datetime, event: dict[str, Any]) -> int:
        current = self.requests[request.id]
        if current.failed_verifications != request.failed_verifications:
            raise RecordChanged("file request", current.model_copy(update={"files": []}))
        self.wrong_answers += 1
        self.audit.append(dict(event))
        return self._set(request.id, failed_verifications=current.failed_verifications + 1).failed_verifications

    def reserve_upload_slot(
        self, file_request_id: str, max_files: int, at: datetime, max_wrong: int, event: dict[str, Any]
    ) -> None:
        current = self.requests[file_request_id]
        if (
            current.status not in (*OPEN_STATUSES, "responded")
            or not _usable(current, at, max_wrong)
            or current.upload_slots >= max_files
        ):
            raise RecordChanged("file request", current.model_copy(update={"files": []}))
        self._set(file_request_id, upload_slots=current.upload_slots + 1, updated_at=at)
        self.audit.append(dict(event))

    def record_answer(
        self, file: RequestFile, document_item: dict[str, Any], event: dict[str, Any], also: Any = ()
    ) -> str:
        outcome = self.answer_outcomes.pop(0) if self.answer_outcomes else "recorded"
        if outcome == "recorded":
            self.answers.append((file, document_item))
            self.audit.append(dict(event))
            request = self.requests[file.file_request_id]
            self.requests[request.id] = request.model_copy(update={"files": [*request.files, file]})
        return outcome

    def mark_responded(self, file_request_id: str, at: datetime) -> None:
        self.responded.append(file_request_id)
        if self.requests[file_request_id].status in OPEN_STATUSES:
            self._set(file_request_id, status="responded", responded_at=at)

    def get_link(self, short_link_id: str) -> str | None:
        return self.links.get(short_link_id)

    def get_link_and_session(
        self, short_link_id: str, token_hash: str | None
    ) -> tuple[str | None, StoredSession | None]:
        session = self.sessions.get(token_hash) if token_hash else None
        if session is None:
            return self.links.get(short_link_id), None
        request = self.requests.get(session[0])
        account, number = (request.account_id, request.patient_number) if request else (None, None)
        return self.links.get(short_link_id), StoredSession(session[0], session[1], account, number)


@dataclass
class Fakes:
    people: FakePeople
    requests: FakeFileRequests
    documents: FakeDocuments = field(default_factory=FakeDocuments)
    scans: FakeScanResults = field(default_factory=FakeScanResults)
    objects: FakeObjectStore = field(default_factory=FakeObjectStore)
    notifications: FakeNotifications = field(default_factory=FakeNotifications)
    queue: FakeNotificationQueue = field(default_factory=FakeNotificationQueue)
    reminders: FakeReminders = field(default_factory=FakeReminders)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    audit: AuditTrail = field(default_factory=AuditTrail)

    @classmethod
    def install(cls, monkeypatch: pytest.MonkeyPatch) -> Fakes:
        people = FakePeople()
        fakes = cls(people=people, requests=FakeFileRequests(people))
        replaced: dict[Any, tuple[object, list[str]]] = {
            documents_table: (
                fakes.documents,
                [
                    "put_document",
                    "get_document",
                    "list_patient_documents",
                    "list_patient_documents_page",
                    "read_patient_documents",
                    "count_patient_documents",
                    "count_patient_documents_between",
                    "count_days",
                    "count_hours",
                    "count_patient_documents_in",
                    "update_document",
                    "delete_document",
                    "set_scan_status",
                    "get_documents",
                ],
            ),
            scan_results_table: (fakes.scans, ["store_result", "get_entry", "expire_unclaimed"]),
            object_store: (
                fakes.objects,
                [
                    "put_object",
                    "delete_object",
                    "read_head",
                    "head_object",
                    "quarantine",
                    "presign_upload",
                    "presign_download",
                ],
            ),
            notifications: (
                fakes.notifications,
                ["is_opted_out", "send_sms", "send_push", "push_configured", "create_push_endpoint"],
            ),
            patients_table: (
                people,
                ["read_for_create", "read_for_resend", "get_patient_record_by_number", "set_patient_device"],
            ),
            account_settings_table: (people, ["get_account_settings", "put_account_settings"]),
            file_requests_table: (
                fakes.requests,
                [
                    "create_file_request",
                    "get_file_request",
                    "get_file_request_by_short_link",
                    "record_notification",
                    "move_notification",
                    "cancel_file_request",
                    "claim_resend",
                    "list_file_requests",
                    "list_patient_file_requests",
                    "open_request",
                    "confirm_answer",
                    "count_wrong_answer",
                    "reserve_upload_slot",
                    "record_answer",
                    "mark_responded",
                ],
            ),
            patient_page_table: (fakes.requests, ["get_link", "get_link_and_session"]),
            notification_queue: (fakes.queue, ["enqueue", "delay"]),
            reminders: (fakes.reminders, ["schedule_reminder", "cancel_reminder"]),
        }
        for module, (fake, names) in replaced.items():
            for name in names:
                assert hasattr(module, name), f"{module.__name__} has no {name}: the fake is out of date"
                monkeypatch.setattr(module, name, getattr(fake, name))
        monkeypatch.setattr(events, "publish", lambda detail_type, detail: fakes.events.append((detail_type, detail)))
        fakes.requests.audit = fakes.documents.audit = people.audit = fakes.audit
        monkeypatch.setattr(audit_log, "append", fakes.append_audit_event)
        monkeypatch.setattr(audit_log, "append_all", lambda events: [fakes.append_audit_event(e) for e in events])
        return fakes

    def append_audit_event(self, values: Any, writes: Any = ()) -> dict[str, Any]:
        """The audit trail in memory. With ``writes`` (a real adapter under a Stubber), the transaction is
        the real one, only the chain's tail is read from memory: the Stubber answers the write."""
        chain = [e for e in self.audit if e["chain"] == values["chain"]]
        if writes:
            with mock.patch.object(audit_log, "tail", lambda _: chain[-1] if chain else None):
                stored = _REAL_APPEND(values, writes)
        else:
            stored = audit_log.sealed(values, chain[-1] if chain else None)
        self.audit.append(stored)
        return stored

    def audit_actions(self) -> list[str]:
        """The actions of the audit events stored so far, in order."""
        return [event["action"] for event in self.audit]

    def writes(self) -> dict[str, int]:
        """How many records, objects and messages were written or sent (a refusal leaves all zero)."""
        return {
            "documents": len(self.documents.put_attempts) + len(self.documents.updates),
            "objects": len(self.objects.objects),
            "deleted": len(self.objects.deleted),
            "requests": len(self.requests.creates),
            "notifications": len(self.requests.notifications),
            "queued": len(self.queue.queued),
            "sms": len(self.notifications.sms),
            "pushes": len(self.notifications.pushes),
            "settings": len(self.people.settings_writes),
            "events": len(self.events),
        }
