"""The audit trail's read APIs: ``GET /v1/audit-events`` (admin) and ``GET /v1/me/access-log`` (a patient).

Door C's conventions: snake_case, RFC 3339 times with an offset, ``next_cursor`` paging.
"""

from datetime import UTC

from pydantic import Field

from patient_docs.models.audit import AuditEvent
from patient_docs.rules.timestamps import iso_with_offset
from patient_docs.schemas.common import Timestamp
from patient_docs.schemas.deferred import Schema


class AuditActorOut(Schema):
    sub: str | None = Field(description="The token's subject; null for the patient page and the service itself")
    role: str = Field(description="staff, admin, patient, link (the patient page) or system")
    account_id: str
    patient_id: int | None = Field(default=None, description="A patient token's patient")
    link: str | None = Field(default=None, description="The patient page: the file request whose link was used")
    display_name: str | None = Field(default=None, description="Staff and admin: the token's name")


class AuditTargetOut(Schema):
    patient_id: int | None = None
    document_id: int | None = None
    file_request_id: str | None = None
    file_id: str | None = None
    webhook_id: str | None = None
    webhook_delivery_id: str | None = None


class AuditEventOut(Schema):
    id: str
    at: Timestamp = Field(description="When, to the microsecond (usable as from and to as it is)")
    actor: AuditActorOut
    action: str = Field(description="A dotted action name (docs/audit.md)")
    target: AuditTargetOut
    outcome: str = Field(description="success, failure or denied")
    request_id: str | None = Field(description="API Gateway's request id (the queue message's, for uploads)")
    source_ip: str | None = Field(description="The client's address as API Gateway saw it")

    @classmethod
    def of(cls, event: AuditEvent) -> "AuditEventOut":
        return cls(
            id=event.id,
            at=event.at.astimezone(UTC).isoformat(timespec="microseconds"),
            actor=AuditActorOut(**event.actor.model_dump()),
            action=event.action,
            target=AuditTargetOut(**event.target.model_dump()),
            outcome=event.outcome,
            request_id=event.request_id,
            source_ip=event.source_ip,
        )


class AuditEventPage(Schema):
    events: list[AuditEventOut] = Field(description="Newest first")
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null when nothing more matches. A page may hold"
        " fewer than limit events (even none) when filters skipped many: follow next_cursor until null."
    )


class AccessActorOut(Schema):
    role: str = Field(description="staff, admin, patient (the patient's own token), link or system")
    display_name: str | None = Field(description="Who, for staff and admin; null otherwise")


class AccessLogEntryOut(Schema):
    at: Timestamp
    action: str
    actor: AccessActorOut
    document_id: int | None = Field(description="The document, where one was opened, changed or added")

    @classmethod
    def of(cls, event: AuditEvent) -> "AccessLogEntryOut":
        return cls(
            at=iso_with_offset(event.at),
            action=event.action,
            actor=AccessActorOut(role=event.actor.role, display_name=event.actor.display_name),
            document_id=event.target.document_id,
        )


class AccessLogPage(Schema):
    entries: list[AccessLogEntryOut] = Field(description="Newest first")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page")
