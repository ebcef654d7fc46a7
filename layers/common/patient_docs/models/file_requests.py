"""File requests as stored: a staff user's request, its lifecycle and notification, and the files sent in answer."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from patient_docs.rules.languages import DEFAULT_LANGUAGE, Language

NotificationChannel = Literal["sms", "push", "email"]
# queued: waiting for the notification sender; sending: the sender has claimed it (one send per notice:
# a try that stops here is not sent again but recorded failed); sent: SNS accepted it; opted_out: the
# number opted out of SMS, nothing sent; failed: SNS refused, kept throttling, or the notice could not be
# queued (resend can try again); pending: a request stored before notifications were queued.
NotificationStatus = Literal["pending", "queued", "sending", "sent", "opted_out", "failed"]


class RequestFile(BaseModel):
    """A file a patient sent in answer to a request; also a document of the patient."""

    id: str  # UUID
    file_request_id: str
    account_id: str
    created_at: datetime
    expires_at: datetime
    mime_type: str
    original_name: str
    size: int
    object_key: str
    document_id: int | None = None


class FileRequest(BaseModel):
    id: str  # UUID
    account_id: str
    patient_id: str
    patient_number: int
    staff_id: str
    staff_name: str
    prompt: str
    type: str
    short_link_id: str
    short_link_expires_at: datetime
    created_at: datetime
    updated_at: datetime
    created_by: str  # the caller's subject
    # The SMS sender ID the request went out under: the practice's name as the patient saw it, shown
    # by the patient page before the date of birth is checked (None: a request from before it was kept).
    sms_sender_id: str | None = None
    # The account's practice name, phone number and language when the request was sent: the page shows
    # them (who asks, whom to call about a locked or expired link) and the SMS was written in that language.
    practice_name: str | None = None
    practice_phone: str | None = None
    language: Language = DEFAULT_LANGUAGE
    # Lifecycle: created -> notified -> opened -> verified -> responded, or cancelled; "expired" is
    # computed from short_link_expires_at when read.
    status: str = "created"
    notified_at: datetime | None = None
    opened_at: datetime | None = None
    verified_at: datetime | None = None
    responded_at: datetime | None = None
    cancelled_at: datetime | None = None
    # The address the link goes to when SMS cannot reach the patient (optional; never shown in answers).
    patient_email: str | None = None
    # Notification
    notification_channel: NotificationChannel | None = None
    notification_status: NotificationStatus = "pending"
    last_notification_at: datetime | None = None
    notification_attempts: int = 0
    resend_count: int = 0
    # The one reminder: None (not sent), "sending" (claimed and counted), "queued" (SNS throttled it; tried
    # again without counting again), then "sent", "failed", "opted_out", or "skipped" (not sent, because of
    # reminder_skipped_reason: "sms_quota", the account's daily SMS quota was used up).
    reminder_status: str | None = None
    reminder_skipped_reason: str | None = None
    reminder_sent_at: datetime | None = None
    # SES feedback on the email notice: "bounce" or "complaint", and when it came.
    email_feedback: str | None = None
    email_feedback_at: datetime | None = None
    # The patient page (date-of-birth check) counts wrong answers here.
    failed_verifications: int = 0
    # Presigned uploads handed out by the patient page (at most the photo limit).
    upload_slots: int = 0
    files: list[RequestFile] = []
