"""Telling the patient about a request: app push when they registered a device, else SMS.

Whatever happens at SNS, the request stays stored and records the outcome, so a
failed or opted-out notification is visible and ``resend`` can try again.
"""

from __future__ import annotations

from datetime import datetime

from patient_docs.adapters import file_requests_table, notifications
from patient_docs.errors import NotificationFailed, RecordChanged
from patient_docs.models.file_requests import FileRequest, NotificationChannel, NotificationStatus
from patient_docs.models.people import Patient
from patient_docs.observability import logger
from patient_docs.rules.file_requests import notification_text, short_link_url
from patient_docs.settings import get_settings


def _deliver(request: FileRequest, patient: Patient, sender_id: str) -> tuple[NotificationChannel, NotificationStatus]:
    link = short_link_url(get_settings().public_base_url, request.short_link_id)
    text = notification_text(request.type, link, request.short_link_expires_at, request.language)
    if patient.push_endpoint_arn:
        try:
            notifications.send_push(patient.push_endpoint_arn, text, request.id)
            return "push", "sent"
        except NotificationFailed as exc:
            # A disabled or stale app endpoint: the patient still gets the SMS.
            logger.warning("push failed; sending SMS", extra={"file_request_id": request.id, "reason": exc.reason})
    try:
        if notifications.is_opted_out(patient.mobile):
            return "sms", "opted_out"
        notifications.send_sms(patient.mobile, text, sender_id)
    except NotificationFailed as exc:
        logger.warning("SMS failed", extra={"file_request_id": request.id, "reason": exc.reason})
        return "sms", "failed"
    return "sms", "sent"


def notify_patient(request: FileRequest, patient: Patient, sender_id: str, now: datetime) -> FileRequest:
    channel, status = _deliver(request, patient, sender_id)
    advance = status == "sent" and request.status == "created"
    try:
        updated = file_requests_table.record_notification(request.id, channel, status, now, advance)
    except RecordChanged:
        # The patient opened the link in the meantime: keep their status, record the outcome only.
        updated = file_requests_table.record_notification(request.id, channel, status, now, False)
    logger.info(
        "patient notified",
        extra={"file_request_id": request.id, "channel": channel, "notification_status": status},
    )
    return updated.model_copy(update={"files": request.files})
