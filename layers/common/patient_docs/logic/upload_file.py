"""Door B "Upload File": the compatibility multipart upload and the presigned POST.

The client's ``bucket_name``/``file_path`` are checked, never used as a key: the
server picks the key inside the caller's account and the patient's area.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from patient_docs.adapters import object_store
from patient_docs.auth import Caller
from patient_docs.errors import InvalidField, PayloadTooLarge
from patient_docs.permissions import Action, new_document_target, require
from patient_docs.rules.content_types import DOCUMENT_TYPES, content_verdict, extension_for, normalise
from patient_docs.rules.ids import MAX_ID
from patient_docs.rules.inline_files import check_size
from patient_docs.rules.object_keys import new_document_key, object_url
from patient_docs.rules.timestamps import utc_now
from patient_docs.settings import get_settings

# The patient id as every id is written (digits 0-9, no leading zero); a slash before or after is allowed.
_FILE_PATH = re.compile(r"/?patients/(?P<patient>[1-9][0-9]{0,15})/documents/?")


@dataclass(frozen=True)
class UploadedFile:
    file_url: str
    bucket_name: str
    file_name: str
    size_bytes: int


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    fields: dict[str, str]
    file_url: str
    bucket_name: str
    file_name: str
    content_type: str
    size_bytes: int
    expires_at: datetime


def check_bucket(bucket_name: str) -> None:
    if bucket_name != get_settings().bucket_name:
        raise InvalidField("bucket_name", "must be the bucket_name this service returned from Upload File")


def patient_from_file_path(file_path: str) -> int:
    match = _FILE_PATH.fullmatch(file_path)
    if not match:
        raise InvalidField("file_path", "must be patients/{patient_id}/documents")
    patient_id = int(match["patient"])
    if not 1 <= patient_id <= MAX_ID:
        raise InvalidField("file_path", f"the patient id must be between 1 and {MAX_ID}")
    return patient_id


def _document_type(content: bytes, declared: str | None) -> str:
    try:
        return content_verdict(declared, content, DOCUMENT_TYPES)
    except ValueError as exc:
        raise InvalidField("file", str(exc)) from exc


def upload_unsigned(
    caller: Caller, bucket_name: str, file_path: str, file_name: str, content: bytes, declared_type: str | None
) -> UploadedFile:
    check_bucket(bucket_name)
    patient_id = patient_from_file_path(file_path)
    require(caller, Action.CREATE_DOCUMENT, new_document_target(caller, caller.account_id, patient_id))
    settings = get_settings()
    check_size(content, "file", settings.inline_max_bytes)
    mime_type = _document_type(content, declared_type)
    key = new_document_key(caller.account_id, patient_id, extension_for(mime_type, file_name))
    object_store.put_object(key, content, mime_type, file_name)
    return UploadedFile(
        file_url=object_url(settings.bucket_name, settings.region, key),
        bucket_name=settings.bucket_name,
        file_name=file_name,
        size_bytes=len(content),
    )


def presign_upload(
    caller: Caller, patient_id: int, file_name: str, content_type: str, size_bytes: int
) -> PresignedUpload:
    require(caller, Action.CREATE_DOCUMENT, new_document_target(caller, caller.account_id, patient_id))
    settings = get_settings()
    mime_type = normalise(content_type)
    if mime_type not in DOCUMENT_TYPES:
        raise InvalidField("content_type", f"must be one of {', '.join(DOCUMENT_TYPES)}")
    if size_bytes > settings.upload_max_bytes:
        raise PayloadTooLarge("size_bytes", f"must be at most {settings.upload_max_bytes} bytes")
    key = new_document_key(caller.account_id, patient_id, extension_for(mime_type, file_name))
    url, fields = object_store.presign_upload(key, mime_type, size_bytes, size_bytes, file_name)
    return PresignedUpload(
        url=url,
        fields=fields,
        file_url=object_url(settings.bucket_name, settings.region, key),
        bucket_name=settings.bucket_name,
        file_name=file_name,
        content_type=mime_type,
        size_bytes=size_bytes,
        expires_at=utc_now() + timedelta(seconds=settings.presign_ttl_seconds),
    )
