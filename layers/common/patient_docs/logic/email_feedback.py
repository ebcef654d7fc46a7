"""SES feedback on an email notice: a bounce (the address cannot take mail) or a complaint.

The event names its request through the message's ``file_request_id`` tag; it is recorded on the
request (``email_feedback``), and a bounce of the notice that went by email marks the notification
``failed``, so staff see that the patient was not reached. Addresses in the event are never logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from patient_docs.adapters import file_requests_table
from patient_docs.adapters.email import FILE_REQUEST_TAG
from patient_docs.errors import RecordChanged
from patient_docs.observability import logger

_KINDS = {"Bounce": "bounce", "Complaint": "complaint"}


def record_email_feedback(event: dict[str, Any], now: datetime) -> str:
    """``recorded`` or ``ignored`` (another kind of event, or one naming no request of ours)."""
    kind = _KINDS.get(str(event.get("eventType") or event.get("notificationType")))
    tags = (event.get("mail") or {}).get("tags") or {}
    ids = tags.get(FILE_REQUEST_TAG) or []
    if kind is None or not ids:
        return "ignored"
    if kind == "bounce" and (event.get("bounce") or {}).get("bounceType") == "Transient":
        return "ignored"  # a full mailbox or a pause: SES tries again itself
    try:
        file_requests_table.record_email_feedback(str(ids[0]), kind, now)
    except RecordChanged:
        return "ignored"
    logger.info("email feedback recorded", extra={"file_request_id": str(ids[0]), "feedback": kind})
    return "recorded"
