"""The patient page: open a link, prove who you are, get a place to send each photo.

Nothing here reveals the patient's name or date of birth, and every answer for a link
that is unknown, expired, cancelled or locked is the same whatever the request holds.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from patient_docs.adapters import file_requests_table, object_store, patient_page_table, patients_table
from patient_docs.errors import (
    Conflict,
    Gone,
    InvalidField,
    Locked,
    NotFound,
    PayloadTooLarge,
    RecordChanged,
    Refused,
    WrongAnswer,
)
from patient_docs.models.file_requests import FileRequest
from patient_docs.rules.content_types import PHOTO_TYPES, extension_for, normalise
from patient_docs.rules.file_requests import is_short_link_id
from patient_docs.rules.patient_page import (
    MAX_WRONG_ANSWERS,
    new_session_token,
    page_state,
    parse_date_of_birth,
    request_file_key,
    session_hash,
)
from patient_docs.settings import get_settings

LOCKED_MESSAGE = "This link is locked after too many attempts. Please contact the practice that sent it."
ACCEPTED_TYPES = sorted(PHOTO_TYPES)


def _refuse_unusable(request: FileRequest | None, now: datetime) -> FileRequest:
    """The request behind a usable link, or the error the page shows."""
    if request is None:
        raise NotFound("link")
    state = page_state(request.status, request.short_link_expires_at, request.failed_verifications, now)
    if state == "locked":
        raise Locked(LOCKED_MESSAGE)
    if state == "expired":
        raise Gone("This link has expired. Please contact the practice that sent it if you still need to send a photo.")
    if state == "cancelled":
        raise Gone("This request was withdrawn by the practice. There is nothing more to send.")
    return request


def _open_request(short_link_id: str, now: datetime) -> FileRequest:
    request = (
        file_requests_table.get_file_request_by_short_link(short_link_id) if is_short_link_id(short_link_id) else None
    )
    return _refuse_unusable(request, now)


@dataclass(frozen=True)
class PageView:
    short_link_id: str
    staff_name: str
    prompt: str
    max_files: int
    max_bytes: int
    accepted_types: list[str]


def open_page(short_link_id: str, now: datetime) -> PageView:
    link = patient_page_table.get_link(short_link_id) if is_short_link_id(short_link_id) else None
    # Opening marks the request (the first time) and reads it in the same call.
    request = _refuse_unusable(file_requests_table.open_request(link, now, MAX_WRONG_ANSWERS) if link else None, now)
    settings = get_settings()
    return PageView(
        short_link_id,
        request.staff_name,
        request.prompt,
        settings.photo_max_files,
        settings.photo_max_bytes,
        ACCEPTED_TYPES,
    )


@dataclass(frozen=True)
class UploadSession:
    token: str
    expires_at: datetime
    max_files: int
    max_bytes: int
    accepted_types: list[str]


def verify_patient(short_link_id: str, date_of_birth: str, now: datetime) -> UploadSession:
    try:
        answer = parse_date_of_birth(date_of_birth)  # a malformed answer is not counted as a wrong one
    except ValueError as exc:
        raise InvalidField("date_of_birth", str(exc)) from exc
    request = _open_request(short_link_id, now)
    patient = patients_table.get_patient_record_by_number(request.account_id, request.patient_number)
    expected = patient.date_of_birth if patient else ""
    if not hmac.compare_digest(answer.isoformat(), expected):
        try:
            wrong = file_requests_table.record_wrong_answer(request.id, MAX_WRONG_ANSWERS, now)
        except RecordChanged as exc:
            raise Locked(LOCKED_MESSAGE) from exc
        if wrong >= MAX_WRONG_ANSWERS:
            raise Locked(LOCKED_MESSAGE)
        raise WrongAnswer(MAX_WRONG_ANSWERS - wrong)
    settings = get_settings()
    token = new_session_token()
    expires_at = now + timedelta(minutes=settings.upload_session_minutes)
    patient_page_table.put_upload_session(session_hash(token), request.id, expires_at)
    file_requests_table.mark_verified(request.id, now)
    return UploadSession(token, expires_at, settings.photo_max_files, settings.photo_max_bytes, ACCEPTED_TYPES)


@dataclass(frozen=True)
class PhotoUpload:
    url: str
    fields: dict[str, str]
    file_id: str
    expires_at: datetime


def presign_photo(
    short_link_id: str, session_token: str | None, file_name: str, content_type: str, size_bytes: int, now: datetime
) -> PhotoUpload:
    if not is_short_link_id(short_link_id):
        raise NotFound("link")
    file_request_id, session = patient_page_table.get_link_and_session(
        short_link_id, session_hash(session_token) if session_token else None
    )
    if file_request_id is None:
        raise NotFound("link")
    settings = get_settings()
    mime_type = normalise(content_type)
    refused: Refused | None = None
    if session is None or session[0] != file_request_id or session[1] <= now:
        refused = InvalidField("X-Upload-Session", "missing or expired: confirm your date of birth again")
    elif mime_type not in PHOTO_TYPES:
        refused = InvalidField("content_type", "must be a JPEG, PNG, HEIC/HEIF or WebP photo")
    elif size_bytes > settings.photo_max_bytes:
        refused = PayloadTooLarge("size_bytes", f"must be at most {settings.photo_max_bytes} bytes")
    if refused is not None:
        # A link that no longer works says so first, whatever else is wrong (one read, on this path only).
        _refuse_unusable(file_requests_table.get_file_request(file_request_id), now)
        raise refused
    try:
        # One conditional write takes a slot and returns the request: open, unexpired, unlocked, under the limit.
        request = file_requests_table.reserve_upload_slot(
            file_request_id, settings.photo_max_files, now, MAX_WRONG_ANSWERS
        )
    except RecordChanged as exc:
        _refuse_unusable(exc.current, now)
        raise Conflict(f"at most {settings.photo_max_files} photos can be sent for one request") from exc
    file_id = str(uuid.uuid4())
    key = request_file_key(request.account_id, request.id, file_id, extension_for(mime_type, file_name))
    url, fields = object_store.presign_upload(key, mime_type, 1, settings.photo_max_bytes, file_name)
    return PhotoUpload(url, fields, file_id, now + timedelta(seconds=settings.presign_ttl_seconds))
