"""Access-audit events as stored: who did what to which patient's data, when, from where, and how it ended.

An event never holds a value of the record it is about: ids only (patient, document, file request,
file), never names, dates of birth, phone numbers, file names, prompts or contents. The public
patient page's actor is its file request (``link``), never the short link id, which is a bearer
capability. ``display_name`` (the token's name claim) is kept for staff and admin actors only, so
that a patient's access log can say who looked; a patient actor's name is never stored.

The action names are stable: reports and the access log filter on them (docs/audit.md lists them).
"""

from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel

AuditAction = Literal[
    "document.created",
    "document.listed",
    "document.read",
    "document.downloaded",
    "document.updated",
    "document.deleted",
    "file_request.created",
    "file_request.read",
    "file_request.listed",
    "file_request.cancelled",
    "file_request.resent",
    "file_request.reminded",
    "patient_page.opened",
    "patient_page.verified",
    "patient_page.verify_failed",
    "patient_page.locked",
    "patient_page.upload_issued",
    "file.registered",
    "file.quarantined",
    "file.scanned",
    "file.infected",
    "file.image_processed",
    "account_settings.changed",
    "audit_events.read",
    "access_log.read",
    "webhook.created",
    "webhook.deleted",
    "webhook.secret_rotated",
    "webhook_delivery.redelivered",
]
ACTIONS: tuple[str, ...] = get_args(AuditAction)

# success: done; failure: attempted and not done (a wrong date of birth); denied: refused before
# anything was done (a link that is locked, expired or cancelled).
Outcome = Literal["success", "failure", "denied"]

# staff, admin, patient: a bearer token's role. link: the holder of a patient page link.
# system: the service itself (the register function checking an uploaded file, the malware scanner's verdict).
ActorRole = Literal["staff", "admin", "patient", "link", "system"]


class Actor(BaseModel):
    sub: str | None = None
    role: ActorRole
    account_id: str
    patient_id: int | None = None  # a patient token's patient
    link: str | None = None  # the public page: the file request its link belongs to
    display_name: str | None = None  # staff and admin only


class Target(BaseModel):
    patient_id: int | None = None  # the patient number doors A and B use
    document_id: int | None = None
    file_request_id: str | None = None
    file_id: str | None = None
    webhook_id: str | None = None
    webhook_delivery_id: str | None = None


class AuditEvent(BaseModel):
    id: str
    at: datetime
    actor: Actor
    action: AuditAction
    target: Target
    outcome: Outcome
    request_id: str | None = None
    source_ip: str | None = None
    chain: str
    seq: int
