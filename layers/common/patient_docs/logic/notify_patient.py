"""Telling the patient about a request, off the request path: create and resend queue a notice; the
notification sender (NotificationSendFunction) delivers it, app push when they registered a device,
else SMS; and when the SMS cannot reach them (opted out, refused) and the request has an email
address, an email through SES from the account's sender, in the language the request was sent in.

One notice, at most one message: the sender claims the notice (``queued`` -> ``sending``) before it
calls SNS, so a message that arrives twice, or a retry after a send went through, sends nothing more.
A try that stopped between its claim and its outcome cannot know whether SNS sent the SMS: it is
recorded ``failed`` (staff may resend), never sent again. SNS throttling releases the claim and the
message comes back later, each time after a longer wait (rules/file_requests.py); the last try
records ``failed``. Whatever happens at SNS, the request stays stored and records the outcome.

A reminder counts against the account's daily SMS quota like a create or a resend, in the transaction
that claims it. It is no request anyone waits on, so past the quota there is no 429: the reminder is
not sent and the request records it ``skipped`` (``reminder_skipped_reason: sms_quota``), audited
(``file_request.reminded``, ``denied``) by ids only.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from patient_docs.adapters import email as email_adapter
from patient_docs.adapters import file_requests_table, notification_queue, notifications, patients_table, reminders
from patient_docs.errors import NotificationFailed, NotificationThrottled, QuotaUsedUp, RecordChanged
from patient_docs.logic import audit_trail
from patient_docs.logic.account_settings import sms_daily_quota, with_defaults
from patient_docs.models.account_settings import AccountSettings
from patient_docs.models.audit import Target
from patient_docs.models.file_requests import FileRequest, NotificationChannel, NotificationStatus
from patient_docs.models.people import Patient
from patient_docs.observability import logger
from patient_docs.rules.emails import email_notice
from patient_docs.rules.file_requests import (
    NOTIFICATION_TRIES,
    OPEN_STATUSES,
    effective_status,
    notification_backoff,
    notification_text,
    reminder_time,
    short_link_url,
)
from patient_docs.settings import get_settings

# Why a reminder was not sent (``reminder_skipped_reason``): the account's daily SMS quota was used up.
REMINDER_SKIPPED_QUOTA = "sms_quota"


def queue_notification(request: FileRequest, now: datetime) -> FileRequest:
    """Hand the request's notice to the sender. If it cannot be queued the request says ``failed``,
    so staff see it and can resend; the request itself is kept."""
    try:
        notification_queue.enqueue(request.id)
    except NotificationFailed as exc:
        logger.warning("notification not queued", extra={"file_request_id": request.id, "reason": exc.reason})
        failed = file_requests_table.record_notification(request.id, None, "failed", now, False)
        return failed.model_copy(update={"files": request.files})
    return request


def _deliver(
    request: FileRequest, patient: Patient, sender_id: str, email: EmailSettings | None, reminder: bool = False
) -> tuple[NotificationChannel, NotificationStatus]:
    """The channel and outcome; NotificationThrottled when the message may go on a later try."""
    link = short_link_url(get_settings().public_base_url, request.short_link_id)
    text = notification_text(request.type, link, request.short_link_expires_at, request.language, reminder)
    if patient.push_endpoint_arn:
        try:
            notifications.send_push(patient.push_endpoint_arn, text, request.id)
            return "push", "sent"
        except NotificationFailed as exc:
            # A disabled or stale app endpoint: the patient still gets the SMS.
            logger.warning("push failed; sending SMS", extra={"file_request_id": request.id, "reason": exc.reason})
    sms_status: NotificationStatus
    try:
        if notifications.is_opted_out(patient.mobile):
            sms_status = "opted_out"
        else:
            notifications.send_sms(patient.mobile, text, sender_id)
            return "sms", "sent"
    except NotificationThrottled:
        raise
    except NotificationFailed as exc:
        logger.warning("SMS failed", extra={"file_request_id": request.id, "reason": exc.reason})
        sms_status = "failed"
    if request.patient_email and email is not None:
        return "email", _send_email(request, request.patient_email, link, email, reminder)
    return "sms", sms_status


class EmailSettings(NamedTuple):
    """The account's email sender (None instead: no email can go)."""

    sender: str


def _send_email(
    request: FileRequest, address: str, link: str, email: EmailSettings, reminder: bool
) -> NotificationStatus:
    subject, body = email_notice(request.language, request.type, link, request.short_link_expires_at, reminder)
    try:
        email_adapter.send_email(address, subject, body, email.sender, request.id)
    except NotificationThrottled:
        raise
    except NotificationFailed as exc:
        logger.warning("email failed", extra={"file_request_id": request.id, "reason": exc.reason})
        return "failed"
    return "sent"


def email_settings(settings: AccountSettings) -> EmailSettings | None:
    sender = settings.email_sender or get_settings().default_email_sender
    return EmailSettings(sender) if sender else None


def notify_patient(
    request: FileRequest, patient: Patient, sender_id: str, now: datetime, email: EmailSettings | None = None
) -> FileRequest:
    """Deliver the notice and record its outcome (NotificationThrottled: nothing recorded). SMS that cannot
    reach the patient (opted out, refused) falls back to email when the request has an address and
    ``email`` a sender."""
    channel, status = _deliver(request, patient, sender_id, email)
    return _record(request, channel, status, now)


def _record(request: FileRequest, channel: str | None, status: str, now: datetime) -> FileRequest:
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


class TryAgainLater(Exception):
    """SNS throttled the notice: its queue message is to be tried again (after ``seconds``)."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"throttled; next try in {seconds} s")
        self.seconds = seconds


def send_queued_notification(file_request_id: str, attempt: int, receipt_handle: str, now: datetime) -> str:
    """Send the notice a queue message names, once. ``attempt``: the message's receive count (from 1).

    Returns what happened (``sent``, ``opted_out``, ``failed``, or ``skipped`` when there was nothing to
    send); raises TryAgainLater, with the message's next try already put off, when SNS throttled it.
    """
    request = file_requests_table.get_file_request(file_request_id)
    if request is None:
        return "skipped"
    if request.notification_status == "sending":
        # An earlier try claimed this notice and stopped before recording what SNS did: never twice.
        try:
            file_requests_table.move_notification(request.id, "sending", "failed")
        except RecordChanged:
            return "skipped"
        logger.warning("notification outcome unknown; recorded failed", extra={"file_request_id": request.id})
        return "failed"
    if request.notification_status != "queued":
        return "skipped"  # sent already (a repeated message), or superseded
    if effective_status(request.status, request.short_link_expires_at, now) not in OPEN_STATUSES:
        return "skipped"  # answered, cancelled or expired meanwhile: nothing to tell the patient
    try:
        file_requests_table.move_notification(request.id, "queued", "sending")
    except RecordChanged:
        return "skipped"  # another try claimed it
    patient, stored_settings = patients_table.read_for_resend(request.account_id, request.patient_number)
    if patient is None:
        return _record(request, None, "failed", now).notification_status
    settings = with_defaults(request.account_id, stored_settings)
    try:
        return notify_patient(
            request, patient, settings.sms_sender_id, now, email_settings(settings)
        ).notification_status
    except NotificationThrottled as exc:
        if attempt >= NOTIFICATION_TRIES:
            logger.warning("SMS throttled on the last try", extra={"file_request_id": request.id})
            return _record(request, "sms", "failed", now).notification_status
        file_requests_table.move_notification(request.id, "sending", "queued")
        seconds = notification_backoff(attempt)
        notification_queue.delay(receipt_handle, seconds)
        logger.info(
            "SMS throttled; will try again",
            extra={"file_request_id": request.id, "attempt": attempt, "reason": exc.reason, "wait_seconds": seconds},
        )
        raise TryAgainLater(seconds) from exc


# ------------------------------------------------------------------ the one reminder


def plan_reminder(request: FileRequest, settings: AccountSettings, now: datetime) -> None:
    """Schedule the request's reminder when the account has reminders on and its time is still to come.
    A schedule that cannot be made is logged, not fatal: the request and its first notice stand."""
    if not settings.reminders_enabled:
        return
    at = reminder_time(request.short_link_expires_at, settings.reminder_lead_hours, now)
    if at is None:
        return
    try:
        reminders.schedule_reminder(request.id, at)
    except NotificationFailed as exc:
        logger.warning("reminder not scheduled", extra={"file_request_id": request.id, "reason": exc.reason})


def drop_reminder(file_request_id: str) -> None:
    """The request was answered or cancelled: its reminder schedule goes (the claim would refuse it anyway)."""
    try:
        reminders.cancel_reminder(file_request_id)
    except NotificationFailed as exc:
        logger.warning("reminder not deleted", extra={"file_request_id": file_request_id, "reason": exc.reason})


REMINDER_ACTOR = "notification-send"


def _claim_reminder(request: FileRequest, settings: AccountSettings, now: datetime) -> FileRequest | None:
    """The request claimed for its reminder, counted against the account's daily SMS quota (a push or an
    email included, as for create and resend); None when there is nothing to send: closed, expired,
    reminded already, or the quota used up (then the reminder is recorded ``skipped``, and audited)."""
    if request.reminder_status == "queued":  # an earlier try was throttled: counted then, not again
        try:
            return file_requests_table.reclaim_reminder(request.id, now)
        except RecordChanged:
            return None
    if request.reminder_status is not None:
        return None
    target = Target(patient_id=request.patient_number, file_request_id=request.id)
    actor = audit_trail.system_actor(request.account_id, REMINDER_ACTOR)
    try:
        return file_requests_table.claim_reminder(
            request,
            now,
            audit_trail.pending("file_request.reminded", actor, target, at=now),
            sms_daily_quota(settings),
        )
    except RecordChanged:
        return None
    except QuotaUsedUp:
        pass
    # Not a request anyone waits on, so no 429: the reminder is not sent, and the request says why.
    try:
        file_requests_table.skip_reminder(
            request.id,
            REMINDER_SKIPPED_QUOTA,
            now,
            audit_trail.pending("file_request.reminded", actor, target, "denied", now),
        )
    except RecordChanged:
        return None
    logger.warning("reminder skipped", extra={"file_request_id": request.id, "reason": REMINDER_SKIPPED_QUOTA})
    return None


def send_reminder(file_request_id: str, attempt: int, receipt_handle: str, now: datetime) -> str:
    """Send the request's one reminder, the way its first notice went (push, SMS, or email when SMS cannot
    reach the patient). Never two, never after an answer, a cancel or the expiry: a conditional claim,
    which also counts the reminder against the account's daily SMS quota; past the quota it is skipped."""
    request = file_requests_table.get_file_request(file_request_id)
    if request is None:
        return "skipped"
    patient, stored_settings = patients_table.read_for_resend(request.account_id, request.patient_number)
    settings = with_defaults(request.account_id, stored_settings)
    claimed = _claim_reminder(request, settings, now)
    if claimed is None:
        return "skipped"
    request = claimed.model_copy(update={"files": request.files})
    if patient is None:
        file_requests_table.record_reminder(request.id, "failed", now)
        return "failed"
    try:
        _, status = _deliver(request, patient, settings.sms_sender_id, email_settings(settings), reminder=True)
    except NotificationThrottled as exc:
        if attempt >= NOTIFICATION_TRIES:
            file_requests_table.record_reminder(request.id, "failed", now)
            return "failed"
        file_requests_table.record_reminder(request.id, None, now)
        seconds = notification_backoff(attempt)
        notification_queue.delay(receipt_handle, seconds)
        raise TryAgainLater(seconds) from exc
    file_requests_table.record_reminder(request.id, status, now)
    logger.info("reminder sent", extra={"file_request_id": request.id, "reminder_status": status})
    return status
