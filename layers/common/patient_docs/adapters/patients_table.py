"""Patients and staff users in the one table (door C finds them, or creates them as shells).

Layout (PK / SK):
  MOBILE#<account>#<sha256 of E.164>  / PATIENT   patient, found by mobile (the device endpoint lives here)
  PATIENTNO#<account>#<number>        / PATIENT   the same patient, found by number (patient tokens, the page)
  STAFF#<staff_id>                    / STAFF     staff user, found by staffId
  ACCOUNTUSER#<account>#<user id>     / STAFF     the same staff user, found by the account's user id

Mobile numbers are hashed in keys: keys show up in metrics, traces and error reports, attributes do not.
New patients and staff users are written inside the file request's own transaction
(``file_requests_table.create_file_request``), each on condition that its key is free.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from patient_docs.adapters.account_settings_table import settings_from_item, settings_key
from patient_docs.adapters.aws import dynamodb
from patient_docs.adapters.table import (
    Key,
    batch_get,
    decode,
    get,
    is_conditional_failure,
    put_new,
    record_item,
    stored_time,
    table_name,
    typed_key,
)
from patient_docs.errors import RecordChanged
from patient_docs.models.account_settings import AccountSettings
from patient_docs.models.people import Patient, StaffUser


def mobile_key(account_id: str, mobile: str) -> Key:
    digest = hashlib.sha256(mobile.encode()).hexdigest()
    return {"PK": f"MOBILE#{account_id}#{digest}", "SK": "PATIENT"}


def patient_number_key(account_id: str, number: int) -> Key:
    return {"PK": f"PATIENTNO#{account_id}#{number}", "SK": "PATIENT"}


def _staff_key(staff_id: str) -> Key:
    return {"PK": f"STAFF#{staff_id}", "SK": "STAFF"}


def _account_user_key(account_id: str, account_user_id: str) -> Key:
    return {"PK": f"ACCOUNTUSER#{account_id}#{account_user_id}", "SK": "STAFF"}


def get_patient_by_mobile(account_id: str, mobile: str) -> Patient | None:
    values = get(mobile_key(account_id, mobile))
    return Patient.model_validate(values) if values else None


def get_patient_record_by_number(account_id: str, number: int) -> Patient | None:
    """The patient as recorded at creation (id, mobile, date of birth, names), without the device."""
    values = get(patient_number_key(account_id, number))
    return Patient.model_validate(values) if values else None


def read_for_create(
    account_id: str, mobile: str, staff_id: str | None, account_user_id: str | None
) -> tuple[StaffUser | None, Patient | None, AccountSettings | None]:
    """What a new request needs, in one read: its staff user, its patient (by mobile), the account's settings."""
    staff_key = _staff_key(staff_id) if staff_id is not None else _account_user_key(account_id, account_user_id or "")
    staff, patient, settings = batch_get([staff_key, mobile_key(account_id, mobile), settings_key(account_id)])
    return (
        StaffUser.model_validate(decode(staff)) if staff else None,
        Patient.model_validate(decode(patient)) if patient else None,
        settings_from_item(settings),
    )


def read_for_resend(account_id: str, number: int) -> tuple[Patient | None, AccountSettings | None]:
    """The patient with their device (the number item names the mobile item) and the account's settings."""
    record, settings = batch_get([patient_number_key(account_id, number), settings_key(account_id)])
    patient = get_patient_by_mobile(account_id, str(decode(record)["mobile"])) if record else None
    return patient, settings_from_item(settings)


def new_patient_writes(patient: Patient) -> list[dict[str, Any]]:
    """Transaction writes that record a new patient under both of its keys."""
    return [
        put_new(record_item(patient, mobile_key(patient.account_id, patient.mobile), "patient")),
        put_new(record_item(patient, patient_number_key(patient.account_id, patient.patient_number), "patient_number")),
    ]


def new_staff_writes(staff: StaffUser) -> list[dict[str, Any]]:
    """Transaction writes that record a new staff user under its id (and the account's user id, if any)."""
    writes = [put_new(record_item(staff, _staff_key(staff.staff_id), "staff"))]
    if staff.account_user_id is not None:
        key = _account_user_key(staff.account_id, staff.account_user_id)
        writes.append(put_new(record_item(staff, key, "staff_account_user")))
    return writes


def set_patient_device(patient: Patient, endpoint_arn: str, registered_at: datetime) -> None:
    try:
        dynamodb().update_item(
            TableName=table_name(),
            Key=typed_key(mobile_key(patient.account_id, patient.mobile)),
            UpdateExpression="SET push_endpoint_arn = :arn, device_registered_at = :at",
            ConditionExpression="attribute_exists(PK) AND patient_id = :patient",
            ExpressionAttributeValues={
                ":arn": {"S": endpoint_arn},
                ":at": {"S": stored_time(registered_at)},
                ":patient": {"S": patient.patient_id},
            },
        )
    except ClientError as exc:
        if is_conditional_failure(exc):
            raise RecordChanged("patient") from exc
        raise
