"""Recording who did what to patient data: the one way a use case adds an access-audit event.

``record`` stores an event on its own before the use case answers, and fails closed: when the event
cannot be stored, ``AuditUnavailable`` (503) is raised and nothing that needed it (a download URL)
is handed out. A use case that writes anyway builds the event with ``pending`` and passes it to the
adapter's write, which puts both in one transaction: one never lands without the other.
docs/audit.md lists the actions and what an event holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from patient_docs import request_context
from patient_docs.adapters import audit_log
from patient_docs.adapters.audit_log import EventValues
from patient_docs.adapters.table import stored_time
from patient_docs.auth import ROLE_PATIENT, Caller
from patient_docs.models.audit import Actor, AuditAction, AuditEvent, Outcome, Target
from patient_docs.rules.audit_chain import chain_for
from patient_docs.rules.timestamps import utc_now

# Roles whose token name is kept, so that a patient's access log can say who looked.
_NAMED_ROLES = ("staff", "admin")


def actor_of(caller: Caller) -> Actor:
    """A bearer token's caller. A patient token is its patient, by id: its name is never kept."""
    return Actor(
        sub=caller.subject,
        role=caller.role,
        account_id=caller.account_id,
        patient_id=caller.patient_id if caller.role == ROLE_PATIENT else None,
        display_name=caller.name[:200] if caller.role in _NAMED_ROLES else None,
    )


def link_actor(account_id: str, file_request_id: str) -> Actor:
    """Whoever holds a patient page link: known by its file request, never by the link (a capability)."""
    return Actor(role="link", account_id=account_id, link=file_request_id)


def system_actor(account_id: str, name: str) -> Actor:
    return Actor(sub=name, role="system", account_id=account_id)


def _values(action: AuditAction, actor: Actor, target: Target, outcome: Outcome, at: datetime) -> dict[str, Any]:
    context = request_context.current()
    return {
        "chain": chain_for(actor.account_id, target.patient_id),
        "id": str(uuid.uuid4()),
        "at": stored_time(at),
        "account_id": actor.account_id,
        "action": action,
        "outcome": outcome,
        "actor_sub": actor.sub,
        "actor_role": actor.role,
        "actor_patient_id": actor.patient_id,
        "actor_link": actor.link,
        "actor_name": actor.display_name,
        "patient_id": target.patient_id,
        "document_id": target.document_id,
        "file_request_id": target.file_request_id,
        "file_id": target.file_id,
        "webhook_id": target.webhook_id,
        "webhook_delivery_id": target.webhook_delivery_id,
        "request_id": context.request_id,
        "source_ip": context.source_ip,
    }


def pending(
    action: AuditAction, actor: Actor, target: Target, outcome: Outcome = "success", at: datetime | None = None
) -> EventValues:
    """The event to store with a write of the use case's (an adapter adds it to the write's transaction)."""
    return _values(action, actor, target, outcome, at or utc_now())


def record(
    action: AuditAction, actor: Actor, target: Target, outcome: Outcome = "success", at: datetime | None = None
) -> AuditEvent:
    """Store the event on its own, before the use case answers; ``AuditUnavailable`` when it cannot be."""
    return event_of(audit_log.append(pending(action, actor, target, outcome, at)))


def record_all(events: Sequence[EventValues]) -> None:
    """Store events of one chain together (one transaction): all of them, or none and ``AuditUnavailable``."""
    audit_log.append_all(events)


def event_of(values: Mapping[str, Any]) -> AuditEvent:
    """An event as stored (flat attributes) as the model."""
    return AuditEvent(
        id=values["id"],
        at=datetime.fromisoformat(values["at"]),
        actor=Actor(
            sub=values.get("actor_sub"),
            role=values["actor_role"],
            account_id=values["account_id"],
            patient_id=values.get("actor_patient_id"),
            link=values.get("actor_link"),
            display_name=values.get("actor_name"),
        ),
        action=values["action"],
        target=Target(
            patient_id=values.get("patient_id"),
            document_id=values.get("document_id"),
            file_request_id=values.get("file_request_id"),
            file_id=values.get("file_id"),
            webhook_id=values.get("webhook_id"),
            webhook_delivery_id=values.get("webhook_delivery_id"),
        ),
        outcome=values["outcome"],
        request_id=values.get("request_id"),
        source_ip=values.get("source_ip"),
        chain=values["chain"],
        seq=values["seq"],
    )
