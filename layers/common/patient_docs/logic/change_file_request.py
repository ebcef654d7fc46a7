"""Staff changing a request after it was sent: cancel it (its link dies) or resend the notification.

Resend is limited to one notification a minute and 5 resends per request (RESEND_* in
rules/file_requests.py), counted in one conditional write so concurrent resends cannot
exceed them. Cancelling a cancelled request changes nothing and answers the request.
"""

from __future__ import annotations

from datetime import datetime

from patient_docs.adapters import file_requests_table, patients_table
from patient_docs.auth import Caller
from patient_docs.errors import Conflict, NotFound, RecordChanged, Refused, TooManyRequests
from patient_docs.logic.account_settings import with_defaults
from patient_docs.logic.notify_patient import notify_patient
from patient_docs.logic.read_file_requests import find_file_request, present
from patient_docs.models.file_requests import FileRequest
from patient_docs.observability import logger
from patient_docs.rules.file_requests import (
    OPEN_STATUSES,
    RESEND_MAX,
    RESEND_MIN_INTERVAL,
    effective_status,
)
from patient_docs.rules.timestamps import utc_now
from patient_docs.schemas.file_requests import FileRequestOut


def cancel_file_request(caller: Caller, file_request_id: str) -> FileRequestOut:
    caller.require_staff()
    now = utc_now()
    try:
        file_requests_table.cancel_file_request(file_request_id, caller.account_id, now)
    except RecordChanged:
        current = find_file_request(caller, file_request_id)
        if current.status != "cancelled":
            status = effective_status(current.status, current.short_link_expires_at, now)
            raise Conflict(f"the request is {status} and can no longer be cancelled") from None
    else:
        logger.info("file request cancelled", extra={"file_request_id": file_request_id})
    return present(find_file_request(caller, file_request_id), now)


def _why_not_resent(current: FileRequest, now: datetime) -> Refused:
    status = effective_status(current.status, current.short_link_expires_at, now)
    if status not in OPEN_STATUSES:
        return Conflict(f"the request is {status}; there is nothing to resend")
    if current.resend_count >= RESEND_MAX:
        return TooManyRequests(f"a request can be resent at most {RESEND_MAX} times")
    wait = RESEND_MIN_INTERVAL
    if current.last_notification_at is not None:
        wait = current.last_notification_at + RESEND_MIN_INTERVAL - now
    seconds = max(1, int(wait.total_seconds()) + 1)
    return TooManyRequests(
        f"the patient was notified less than a minute ago; retry in {seconds} seconds", retry_after=seconds
    )


def resend_notification(caller: Caller, file_request_id: str) -> FileRequestOut:
    caller.require_staff()
    now = utc_now()
    try:
        file_requests_table.claim_resend(file_request_id, caller.account_id, now, now - RESEND_MIN_INTERVAL, RESEND_MAX)
    except RecordChanged:
        raise _why_not_resent(find_file_request(caller, file_request_id), now) from None
    request = find_file_request(caller, file_request_id)
    patient, stored_settings = patients_table.read_for_resend(request.account_id, request.patient_number)
    if patient is None:
        raise NotFound("patient")
    settings = with_defaults(request.account_id, stored_settings)
    updated = notify_patient(request, patient, settings.sms_sender_id, now)
    logger.info("notification resent", extra={"file_request_id": request.id, "resend_count": updated.resend_count})
    return present(updated, now)
