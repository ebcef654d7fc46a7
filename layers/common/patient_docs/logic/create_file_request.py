"""Door C create: staff ask a patient (found by mobile, or created) for a file, and the patient is told.

The request is written, then its notice queued (``notification_status: queued``); the notification
sender delivers it (logic/notify_patient.py), so SNS's pace never holds up the answer.

Decisions the seed leaves open:
- An existing patient whose date of birth differs from ``patientDateOfBirth`` is never changed:
  the create is refused with 409 naming ``patientDateOfBirth``, and nothing is written or sent
  (the patient page checks that date, so a wrong one would lock the patient out).
- Names of an existing patient are kept as recorded; the request's names only name a new patient.
- ``staffId`` that names no staff user of the caller's account is a 400 naming ``staffId``.
- Each create counts against the account's daily SMS quota (``smsDailyQuota``, a push included: it may
  fall back to SMS) in the transaction that writes it; past the quota it is a 429 naming the quota and
  nothing is written or sent.
- With an ``Idempotency-Key`` header, a retry within 24 hours returns the stored result and sends
  nothing; the same key with another body is a 422, and while the first is still running a 409.
"""

import uuid
from datetime import datetime

from patient_docs.adapters import file_requests_table, patients_table
from patient_docs.adapters.sms_quota import next_day_starts
from patient_docs.auth import Caller
from patient_docs.errors import (
    Conflict,
    InvalidField,
    QuotaUsedUp,
    RecordTaken,
    SmsQuotaExceeded,
)
from patient_docs.logic import audit_trail
from patient_docs.logic.account_settings import sms_daily_quota, with_defaults
from patient_docs.logic.idempotent_create import IdempotentCreate
from patient_docs.logic.notify_patient import plan_reminder, queue_notification
from patient_docs.models.audit import Target
from patient_docs.models.file_requests import FileRequest
from patient_docs.models.people import Patient, StaffUser
from patient_docs.observability import logger
from patient_docs.permissions import Action, account_target, require
from patient_docs.rules.file_requests import link_expiry, new_short_link_id
from patient_docs.rules.ids import new_patient_number
from patient_docs.rules.timestamps import utc_now
from patient_docs.schemas.file_requests import CreateFileRequestBody

_WRITE_ATTEMPTS = 3

# A retry with the same key returns the stored request and notifies nobody again (logic/idempotent_create.py).
_CREATE = IdempotentCreate("create_file_request", FileRequest, __name__)
IDEMPOTENCY = _CREATE.config


def _resolve_staff(
    caller: Caller, body: CreateFileRequestBody, found: StaffUser | None, now: datetime
) -> tuple[StaffUser, bool]:
    """The staff user and whether it is new (a shell to be written with the request)."""
    if body.staff_id is not None:
        if found is None or found.account_id != caller.account_id:
            raise InvalidField("staffId", "does not name a staff user of this account")
        return found, False
    if found is not None:
        return found, False
    shell = StaffUser(
        staff_id=str(uuid.uuid4()),
        account_id=caller.account_id,
        account_user_id=body.account_user_id,
        name=body.staff_name,
        created_at=now,
    )
    return shell, True


def _resolve_patient(
    caller: Caller, body: CreateFileRequestBody, found: Patient | None, now: datetime
) -> tuple[Patient, bool]:
    if found is not None:
        if found.date_of_birth != body.patient_date_of_birth:
            raise Conflict(
                "differs from the date of birth recorded for the patient with this mobile number;"
                " the record was not changed and nothing was sent",
                "patientDateOfBirth",
            )
        return found, False
    shell = Patient(
        patient_id=str(uuid.uuid4()),
        patient_number=new_patient_number(),
        account_id=caller.account_id,
        mobile=body.patient_mobile,
        date_of_birth=body.patient_date_of_birth,
        first_name=body.patient_first_name,
        last_name=body.patient_last_name,
        created_at=now,
    )
    return shell, True


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds()) + 1)


def _create(caller: Caller, body: CreateFileRequestBody) -> FileRequest:
    for _ in range(_WRITE_ATTEMPTS):
        now = utc_now()
        found_staff, found_patient, stored_settings = patients_table.read_for_create(
            caller.account_id, body.patient_mobile, body.staff_id, body.account_user_id
        )
        staff, staff_is_new = _resolve_staff(caller, body, found_staff, now)
        patient, patient_is_new = _resolve_patient(caller, body, found_patient, now)
        settings = with_defaults(caller.account_id, stored_settings)
        request = FileRequest(
            id=str(uuid.uuid4()),
            account_id=caller.account_id,
            patient_id=patient.patient_id,
            patient_number=patient.patient_number,
            staff_id=staff.staff_id,
            staff_name=body.staff_name,
            prompt=body.prompt,
            type=body.type,
            short_link_id=new_short_link_id(),
            short_link_expires_at=link_expiry(now, settings.link_lifetime_hours),
            created_at=now,
            updated_at=now,
            created_by=caller.subject,
            sms_sender_id=settings.sms_sender_id,
            patient_email=body.patient_email,
            notification_status="queued",
            practice_name=settings.practice_name,
            practice_phone=settings.practice_phone,
            language=settings.language,
        )
        target = Target(patient_id=patient.patient_number, file_request_id=request.id)
        event = audit_trail.pending("file_request.created", audit_trail.actor_of(caller), target, at=now)
        quota = sms_daily_quota(settings)
        try:
            file_requests_table.create_file_request(
                request, patient if patient_is_new else None, staff if staff_is_new else None, event, quota
            )
        except QuotaUsedUp:
            raise SmsQuotaExceeded(quota, _seconds_until(next_day_starts(now), now)) from None
        except RecordTaken:
            continue  # another create recorded this patient or staff user first: read them again
        logger.info(
            "file request created",
            extra={"file_request_id": request.id, "new_patient": patient_is_new, "new_staff": staff_is_new},
        )
        plan_reminder(request, settings, now)
        return queue_notification(request, now)
    raise RuntimeError("could not record the file request")


def create_file_request(caller: Caller, body: CreateFileRequestBody, idempotency_key: str | None) -> FileRequest:
    # Checked before anything is read or written, idempotency records included.
    require(caller, Action.CREATE_FILE_REQUEST, account_target(body.account_id, "account"))
    if body.staff_id is None and body.account_user_id is None:
        raise InvalidField("accountUserId", "is required when staffId is absent")
    return _CREATE(caller, idempotency_key, body, lambda: _create(caller, body))
