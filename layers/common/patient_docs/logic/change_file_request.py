"""Staff changing a request after it was sent: cancel it (its link dies) or resend the notification.

Resend is limited to one notification a minute and 5 resends per request (RESEND_* in
rules/file_requests.py), counted in one conditional write so concurrent resends cannot
exceed them. Cancelling a cancelled request changes nothing and answers the request.
A request that is no longer open (responded, or expired: its link has passed its time) is a
409 naming its status for both: it can be neither cancelled nor resent.
A resend also counts against the account's daily SMS quota, in the same transaction (past it: a 429
naming the quota, nothing counted or sent).
A resend reads the request and its patient before it counts anything: a refusal (the patient
record missing, the request closed or rate-limited) leaves the count as it was.
"""

from __future__ import annotations

from datetime import datetime

from patient_docs.adapters import file_requests_table, patients_table
from patient_docs.adapters.sms_quota import next_day_starts
from patient_docs.auth import Caller
from patient_docs.errors import (
    Conflict,
    NotFound,
    QuotaUsedUp,
    RecordChanged,
    Refused,
    SmsQuotaExceeded,
    TooManyRequests,
)
from patient_docs.logic import audit_trail
from patient_docs.logic.account_settings import sms_daily_quota, with_defaults
from patient_docs.logic.notify_patient import notify_patient
from patient_docs.logic.read_file_requests import find_file_request, present
from patient_docs.models.audit import Target
from patient_docs.models.file_requests import FileRequest
from patient_docs.observability import logger
from patient_docs.permissions import Action
from patient_docs.rules.file_requests import (
    OPEN_STATUSES,
    RESEND_MAX,
    RESEND_MIN_INTERVAL,
    effective_status,
)
from patient_docs.rules.timestamps import utc_now
from patient_docs.schemas.file_requests import FileRequestOut


def _target(request: FileRequest) -> Target:
    return Target(patient_id=request.patient_number, file_request_id=request.id)


def cancel_file_request(caller: Caller, file_request_id: str) -> FileRequestOut:
    # Read first: the audit event joins the chain of the request's patient.
    request = find_file_request(caller, file_request_id, Action.CHANGE_FILE_REQUEST)
    now = utc_now()
    event = audit_trail.pending("file_request.cancelled", audit_trail.actor_of(caller), _target(request), at=now)
    try:
        file_requests_table.cancel_file_request(file_request_id, caller.account_id, now, event)
    except RecordChanged as exc:
        current = exc.current or find_file_request(caller, file_request_id, Action.CHANGE_FILE_REQUEST)
        if current.status != "cancelled":
            status = effective_status(current.status, current.short_link_expires_at, now)
            raise Conflict(f"the request is {status} and can no longer be cancelled") from None
        return present(current.model_copy(update={"files": request.files}), now)  # cancelled before: unchanged
    logger.info("file request cancelled", extra={"file_request_id": file_request_id})
    cancelled = request.model_copy(update={"status": "cancelled", "cancelled_at": now, "updated_at": now})
    return present(cancelled, now)


def _why_not_resent(current: FileRequest, now: datetime) -> Refused | None:
    """Why ``current`` cannot be resent now, or None if it can."""
    status = effective_status(current.status, current.short_link_expires_at, now)
    if status not in OPEN_STATUSES:
        return Conflict(f"the request is {status}; there is nothing to resend")
    if current.resend_count >= RESEND_MAX:
        return TooManyRequests(f"a request can be resent at most {RESEND_MAX} times")
    if current.last_notification_at is None or current.last_notification_at <= now - RESEND_MIN_INTERVAL:
        return None
    wait = current.last_notification_at + RESEND_MIN_INTERVAL - now
    seconds = max(1, int(wait.total_seconds()) + 1)
    return TooManyRequests(
        f"the patient was notified less than a minute ago; retry in {seconds} seconds", retry_after=seconds
    )


def _rate_limited(current: FileRequest, now: datetime) -> Refused:
    """Why a resend lost its conditional write although the request read as resendable: another won."""
    return _why_not_resent(current, now) or TooManyRequests(
        "the patient was notified less than a minute ago; retry in 60 seconds",
        retry_after=int(RESEND_MIN_INTERVAL.total_seconds()),
    )


def resend_notification(caller: Caller, file_request_id: str) -> FileRequestOut:
    # Everything a resend needs is read before the resend is counted: a refusal uses nothing up.
    request = find_file_request(caller, file_request_id, Action.CHANGE_FILE_REQUEST)
    now = utc_now()
    refusal = _why_not_resent(request, now)
    if refusal is not None:
        raise refusal
    patient, stored_settings = patients_table.read_for_resend(request.account_id, request.patient_number)
    if patient is None:
        raise NotFound("patient")
    event = audit_trail.pending("file_request.resent", audit_trail.actor_of(caller), _target(request), at=now)
    settings = with_defaults(request.account_id, stored_settings)
    quota = sms_daily_quota(settings)
    try:
        file_requests_table.claim_resend(
            file_request_id, caller.account_id, now, now - RESEND_MIN_INTERVAL, RESEND_MAX, event, quota
        )
    except QuotaUsedUp:
        wait = max(1, int((next_day_starts(now) - now).total_seconds()) + 1)
        raise SmsQuotaExceeded(quota, wait) from None
    except RecordChanged as exc:
        current = exc.current or find_file_request(caller, file_request_id, Action.CHANGE_FILE_REQUEST)
        raise _rate_limited(current, now) from None
    updated = notify_patient(request, patient, settings.sms_sender_id, now)
    logger.info("notification resent", extra={"file_request_id": request.id, "resend_count": updated.resend_count})
    return present(updated, now)
