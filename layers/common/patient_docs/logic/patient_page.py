"""The patient page: open a link, prove who you are, get a place to send each photo.

Nothing here reveals the patient's name or date of birth, and every answer for a link
that is unknown, expired, cancelled or locked is the same whatever the request holds.
Before the date of birth is right the page says only who is asking (the staff member, the
practice and its phone number); what they ask for (the prompt) comes with the upload session.

Each answer is decided in one conditional write: a right one writes the upload session, a wrong
one the new count, each with its audit event, on condition that the request is still as it was
read. So concurrent answers cannot count past the lock, and once the fifth wrong answer has locked
the link no answer still in flight can be confirmed.
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
    ServiceUnavailable,
    WrongAnswer,
)
from patient_docs.logic import audit_trail
from patient_docs.models.audit import Actor, AuditAction, Outcome, Target
from patient_docs.models.file_requests import FileRequest
from patient_docs.rules.content_types import PHOTO_TYPES, extension_for, normalise
from patient_docs.rules.file_requests import is_short_link_id
from patient_docs.rules.languages import Language
from patient_docs.rules.patient_page import (
    MAX_WRONG_ANSWERS,
    PageState,
    new_session_token,
    page_state,
    parse_date_of_birth,
    request_file_key,
    session_hash,
)
from patient_docs.settings import get_settings

LOCKED_MESSAGE = "This link is locked after too many attempts. Please contact the practice that sent it."
ACCEPTED_TYPES = sorted(PHOTO_TYPES)
# Concurrent answers on one link each re-read it and try again; this many rounds is far more than
# the page's throttling (5 answers a second) ever needs.
_ANSWER_ATTEMPTS = 10


def _refusal(request: FileRequest, now: datetime) -> Refused | None:
    """Why a request's link no longer works (the error the page shows), or None."""
    state = page_state(request.status, request.short_link_expires_at, request.failed_verifications, now)
    if state == "locked":
        return Locked(LOCKED_MESSAGE)
    if state == "expired":
        return Gone(
            "This link has expired. Please contact the practice that sent it if you still need to send a photo."
        )
    if state == "cancelled":
        return Gone("This request was withdrawn by the practice. There is nothing more to send.")
    return None


def _refuse_unusable(request: FileRequest | None, now: datetime) -> FileRequest:
    """The request behind a usable link, or the error the page shows."""
    if request is None:
        raise NotFound("link")
    refusal = _refusal(request, now)
    if refusal is not None:
        raise refusal
    return request


def _actor(account_id: str, file_request_id: str) -> Actor:
    return audit_trail.link_actor(account_id, file_request_id)


def _target(request: FileRequest) -> Target:
    return Target(patient_id=request.patient_number, file_request_id=request.id)


@dataclass(frozen=True)
class PageView:
    """What the page shows before the date of birth is right: who is asking and how to reach them,
    nothing clinical. ``state``: whether the link still takes an answer (else the page says why)."""

    short_link_id: str
    state: PageState
    staff_name: str
    practice: str
    practice_phone: str | None
    language: Language
    max_files: int
    max_bytes: int
    accepted_types: list[str]


def _practice(request: FileRequest) -> str:
    """The practice's name as the account set it, else the name the SMS came from (its sender ID)."""
    return request.practice_name or request.sms_sender_id or get_settings().default_sms_sender_id


def open_page(short_link_id: str, now: datetime) -> PageView:
    """The page of a link: marks the request opened (the first time a usable link is opened)."""
    link = patient_page_table.get_link(short_link_id) if is_short_link_id(short_link_id) else None
    # Opening marks the request (the first time) and reads it in the same call.
    request = file_requests_table.open_request(link, now, MAX_WRONG_ANSWERS) if link else None
    if request is None:
        raise NotFound("link")
    state = page_state(request.status, request.short_link_expires_at, request.failed_verifications, now)
    outcome: Outcome = "success" if state == "open" else "denied"
    audit_trail.record("patient_page.opened", _actor(request.account_id, request.id), _target(request), outcome, now)
    settings = get_settings()
    return PageView(
        short_link_id,
        state,
        request.staff_name,
        _practice(request),
        request.practice_phone,
        request.language,
        settings.photo_max_files,
        settings.photo_max_bytes,
        ACCEPTED_TYPES,
    )


@dataclass(frozen=True)
class UploadSession:
    """A right date of birth: the session to upload with, and what the request asks for."""

    token: str
    expires_at: datetime
    max_files: int
    max_bytes: int
    accepted_types: list[str]
    staff_name: str
    prompt: str


def _confirm(request: FileRequest, now: datetime) -> UploadSession:
    settings = get_settings()
    token = new_session_token()
    expires_at = now + timedelta(minutes=settings.upload_session_minutes)
    event = audit_trail.pending(
        "patient_page.verified", _actor(request.account_id, request.id), _target(request), at=now
    )
    file_requests_table.confirm_answer(request, session_hash(token), expires_at, now, MAX_WRONG_ANSWERS, event)
    return UploadSession(
        token,
        expires_at,
        settings.photo_max_files,
        settings.photo_max_bytes,
        ACCEPTED_TYPES,
        request.staff_name,
        request.prompt,
    )


def _count_wrong(request: FileRequest, now: datetime) -> Refused:
    """Count a wrong answer; the refusal to answer it with (the fifth locks the link)."""
    locks = request.failed_verifications + 1 >= MAX_WRONG_ANSWERS
    action: AuditAction = "patient_page.locked" if locks else "patient_page.verify_failed"
    event = audit_trail.pending(action, _actor(request.account_id, request.id), _target(request), "failure", now)
    wrong = file_requests_table.count_wrong_answer(request, now, event)
    return Locked(LOCKED_MESSAGE) if locks else WrongAnswer(MAX_WRONG_ANSWERS - wrong)


def verify_patient(short_link_id: str, date_of_birth: str, now: datetime) -> UploadSession:
    try:
        answer = parse_date_of_birth(date_of_birth)  # a malformed answer is not counted as a wrong one
    except ValueError as exc:
        raise InvalidField("date_of_birth", str(exc)) from exc
    if not is_short_link_id(short_link_id):
        raise NotFound("link")
    request = file_requests_table.get_file_request_by_short_link(short_link_id)
    expected: str | None = None
    for _ in range(_ANSWER_ATTEMPTS):
        if request is None:
            raise NotFound("link")
        refusal = _refusal(request, now)
        if refusal is not None:
            actor = _actor(request.account_id, request.id)
            audit_trail.record("patient_page.verify_failed", actor, _target(request), "denied", now)
            raise refusal
        if expected is None:
            patient = patients_table.get_patient_record_by_number(request.account_id, request.patient_number)
            expected = patient.date_of_birth if patient else ""
        try:
            if hmac.compare_digest(answer.isoformat(), expected):
                return _confirm(request, now)
            raise _count_wrong(request, now)
        except RecordChanged as exc:
            # Another answer (or a cancel) changed the request since it was read: decide again on it as it is.
            request = exc.current or file_requests_table.get_file_request(request.id)
    raise ServiceUnavailable("This link is busy. Please try again.")


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
    if session is None or session.file_request_id != file_request_id or session.expires_at <= now:
        refused = InvalidField("X-Upload-Session", "missing or expired: confirm your date of birth again")
    elif mime_type not in PHOTO_TYPES:
        refused = InvalidField("content_type", "must be a JPEG, PNG, HEIC/HEIF or WebP photo")
    elif size_bytes > settings.photo_max_bytes:
        refused = PayloadTooLarge("size_bytes", f"must be at most {settings.photo_max_bytes} bytes")
    if session is None or refused is not None:
        # A link that no longer works says so first, whatever else is wrong (one read, on this path only).
        _refuse_unusable(file_requests_table.get_file_request(file_request_id), now)
        raise refused or InvalidField("X-Upload-Session", "missing or expired")
    account_id, patient_number = session.account_id, session.patient_number
    if account_id is None or patient_number is None:  # a session written before sessions named them
        request = _refuse_unusable(file_requests_table.get_file_request(file_request_id), now)
        account_id, patient_number = request.account_id, request.patient_number
    file_id = str(uuid.uuid4())
    target = Target(patient_id=patient_number, file_request_id=file_request_id, file_id=file_id)
    event = audit_trail.pending("patient_page.upload_issued", _actor(account_id, file_request_id), target, at=now)
    try:
        # One conditional write takes a slot, with its audit event: open, unexpired, unlocked, under the limit.
        file_requests_table.reserve_upload_slot(
            file_request_id, settings.photo_max_files, now, MAX_WRONG_ANSWERS, event
        )
    except RecordChanged as exc:
        _refuse_unusable(exc.current, now)
        raise Conflict(f"at most {settings.photo_max_files} photos can be sent for one request") from exc
    key = request_file_key(account_id, file_request_id, file_id, extension_for(mime_type, file_name))
    url, fields = object_store.presign_upload(key, mime_type, 1, settings.photo_max_bytes, file_name)
    return PhotoUpload(url, fields, file_id, now + timedelta(seconds=settings.presign_ttl_seconds))
