"""A patient's app registers its device: later requests reach the patient by push, not SMS.

Only a patient this service knows (created by a file request, addressed by the number in the
patient token) can register; the app cannot claim a mobile number, so it cannot divert another
patient's requests to itself.
"""

from __future__ import annotations

from patient_docs.adapters import notifications, patients_table
from patient_docs.auth import Caller
from patient_docs.errors import InvalidField, NotFound, NotificationFailed, RecordChanged, ServiceUnavailable
from patient_docs.models.people import Patient
from patient_docs.observability import logger
from patient_docs.permissions import Action, require, self_target
from patient_docs.rules.timestamps import utc_now
from patient_docs.schemas.file_requests import RegisterDeviceBody


def register_patient_device(caller: Caller, body: RegisterDeviceBody) -> Patient:
    require(caller, Action.REGISTER_DEVICE, self_target(caller, "patient"))
    if caller.patient_id is None:  # a patient token always names its patient (auth.py)
        raise NotFound("patient")
    # The number item holds all the patient's record but the device, which this replaces.
    patient = patients_table.get_patient_record_by_number(caller.account_id, caller.patient_id)
    if patient is None:
        raise NotFound("patient")
    if not notifications.push_configured():
        raise ServiceUnavailable("push notifications are not configured in this deployment")
    try:
        endpoint_arn = notifications.create_push_endpoint(body.device_token, patient.patient_id)
    except NotificationFailed as exc:
        logger.warning("device registration refused by SNS", extra={"reason": exc.reason})
        if exc.reason == "InvalidParameter":
            raise InvalidField("deviceToken", "was refused by the push service") from exc
        raise ServiceUnavailable("the push service refused the device; try again later") from exc
    now = utc_now()
    try:
        patients_table.set_patient_device(patient, endpoint_arn, now)
    except RecordChanged as exc:
        raise NotFound("patient") from exc
    logger.info("patient device registered", extra={"patient_number": patient.patient_number})
    return patient.model_copy(update={"push_endpoint_arn": endpoint_arn, "device_registered_at": now})
