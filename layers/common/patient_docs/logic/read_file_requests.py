"""Reading file requests: one with its files (and download links), or a page of the account's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from patient_docs.adapters import documents_table, file_requests_table, object_store
from patient_docs.adapters.table import INDEX_POSITION
from patient_docs.auth import Caller
from patient_docs.errors import InvalidField, NotFound
from patient_docs.logic import audit_trail, clean_images, file_safety
from patient_docs.models.audit import Target
from patient_docs.models.documents import Document
from patient_docs.models.file_requests import FileRequest, RequestFile
from patient_docs.permissions import Action, account_target, file_request_target, require
from patient_docs.rules.cursors import decode_cursor, encode_cursor
from patient_docs.rules.timestamps import utc_now
from patient_docs.schemas.file_requests import FileOut, FileRequestOut, FileRequestPage
from patient_docs.settings import get_settings


def find_file_request(caller: Caller, file_request_id: str, action: Action = Action.READ_FILE_REQUEST) -> FileRequest:
    """The request if the caller may ``action`` it; outside the caller's reach is indistinguishable from absent."""
    require(caller, action, account_target(caller.account_id, "file request"))  # before any read
    request = file_requests_table.get_file_request(file_request_id)
    if request is None:
        raise NotFound("file request")
    require(caller, action, file_request_target(request))
    return request


def _shown(request: FileRequest, now: datetime) -> list[RequestFile]:
    """Files past their ``expires_at`` stay stored but are not returned."""
    return [file for file in request.files if file.expires_at > now]


def _documents_of(files: list[RequestFile]) -> dict[int, Document]:
    """The files as documents: their malware scan's status lives there (one BatchGetItem)."""
    return documents_table.get_documents([file.document_id for file in files if file.document_id is not None])


def present(
    request: FileRequest,
    now: datetime,
    documents: Mapping[int, Document] | None = None,
    served: frozenset[str] = frozenset(),
) -> FileRequestOut:
    """The seed's FileRequest; each file with its scan status, and a download URL if its id is in ``served``."""
    shown = _shown(request, now)
    if documents is None:
        documents = _documents_of(shown)
    files = []
    for file in shown:
        doc = documents.get(file.document_id) if file.document_id is not None else None
        url = thumbnail_url = preview_url = None
        if file.id in served and doc is not None:
            # An image's clean rendition (its type and extension), never the original sent.
            served_file = clean_images.served_file(doc, file.original_name)
            if served_file.key != doc.object_key:
                file = _as_served(file, served_file, doc.served_content().size_bytes)
            url = object_store.presign_download(file.object_key, file.original_name, file.mime_type)
            thumbnail_url, preview_url = clean_images.view_urls(doc)
        status, scanned_at = (doc.scan_status, doc.scanned_at) if doc is not None else ("pending", None)
        files.append(FileOut.of(file, url, status, scanned_at, thumbnail_url, preview_url))
    return FileRequestOut.of(request, get_settings().public_base_url, now, files)


def _as_served(file: RequestFile, served: clean_images.ServedFile, size: int | None) -> RequestFile:
    """The file as its download URL serves it: the clean image's key, type, name and (when kept) size."""
    update: dict[str, object] = {
        "object_key": served.key,
        "mime_type": served.mime_type,
        "original_name": served.file_name,
    }
    if size is not None:
        update["size"] = size
    return file.model_copy(update=update)


def get_file_request(caller: Caller, file_request_id: str) -> FileRequestOut:
    """The request with a download URL for each file it still shows whose malware scan allows serving it
    (logic/file_safety.py); the others show their scan status only. The reading and each URL are
    recorded in the audit trail (one transaction) before any URL is signed."""
    request = find_file_request(caller, file_request_id)
    now = utc_now()
    shown = _shown(request, now)
    documents = {doc_id: file_safety.settled(doc) for doc_id, doc in _documents_of(shown).items()}
    served = frozenset(
        file.id for file in shown if file.document_id in documents and file_safety.servable(documents[file.document_id])
    )
    actor = audit_trail.actor_of(caller)
    target = Target(patient_id=request.patient_number, file_request_id=request.id)
    events = [audit_trail.pending("file_request.read", actor, target, at=now)]
    for file in shown:
        if file.id in served:
            downloaded = target.model_copy(update={"document_id": file.document_id, "file_id": file.id})
            events.append(audit_trail.pending("document.downloaded", actor, downloaded, at=now))
    audit_trail.record_all(events)
    return present(request, now, documents, served)


@dataclass(frozen=True)
class FileRequestQuery:
    patient_id: str | None = None
    status: str | None = None
    limit: int = 20
    cursor: str | None = None


def list_file_requests(caller: Caller, query: FileRequestQuery) -> FileRequestPage:
    require(caller, Action.LIST_FILE_REQUESTS, account_target(caller.account_id, "file request"))
    after = None
    # A cursor only ever moves within the list it came from: the account's, or one patient's (GSI2).
    if query.patient_id is not None:
        partition = file_requests_table.patient_partition(caller.account_id, query.patient_id)
        keys, partition_key = file_requests_table.PATIENT_INDEX_POSITION, "GSI2PK"
    else:
        partition = file_requests_table.account_partition(caller.account_id)
        keys, partition_key = INDEX_POSITION, "GSI1PK"
    if query.cursor is not None:
        try:
            after = decode_cursor(query.cursor, keys, within=partition, partition_key=partition_key)
        except ValueError as exc:
            raise InvalidField("cursor", str(exc)) from exc
    now = utc_now()
    if query.patient_id is not None:
        requests, position = file_requests_table.list_patient_file_requests(
            caller.account_id, query.patient_id, now, query.limit, query.status, after
        )
    else:
        requests, position = file_requests_table.list_file_requests(
            caller.account_id, now, query.limit, None, query.status, after
        )
    # The account's list: an account-level event (its requests may name many patients).
    audit_trail.record("file_request.listed", audit_trail.actor_of(caller), Target(), at=now)
    return FileRequestPage(
        file_requests=[present(request, now) for request in requests],
        next_cursor=encode_cursor(position) if position else None,
    )
