"""Reading the audit trail: an account's events (its admins), and a patient's own access log.

Reading the trail is itself recorded (``audit_events.read``, ``access_log.read``) once the page is
read, so a reading never lists itself. Filters that DynamoDB cannot answer from a key (document,
file request, actor, action) read at most ten pages of 100 events per call (adapters/audit_log.py),
so a page may come back short, or empty, with a ``next_cursor`` to go on from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from patient_docs.adapters import audit_log
from patient_docs.adapters.table import stored_time
from patient_docs.auth import Caller
from patient_docs.errors import InvalidField, NotFound
from patient_docs.logic import audit_trail
from patient_docs.models.audit import AuditEvent, Target
from patient_docs.permissions import Action, account_target, require, self_target
from patient_docs.rules.audit_chain import patient_chain
from patient_docs.rules.cursors import decode_cursor, encode_cursor

# What a patient's access log shows: who opened, listed, changed or added its documents, and who
# read a request carrying its photos.
ACCESS_LOG_ACTIONS = (
    "document.listed",
    "document.read",
    "document.downloaded",
    "document.created",
    "document.updated",
    "document.deleted",
    "file_request.read",
)


@dataclass(frozen=True)
class AuditQuery:
    patient_id: int | None = None
    document_id: int | None = None
    file_request_id: str | None = None
    actor: str | None = None
    action: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 50
    cursor: str | None = None


# A position's seq goes to DynamoDB as a number (N): the digits 0-9 as this service writes them, within
# DynamoDB's 38 digits. str.isdigit() would also pass a superscript ², other scripts' digits and 256 nines.
_SEQ = re.compile(r"[1-9][0-9]{0,37}", re.ASCII)


def _after(cursor: str | None, chain: str | None, account_id: str) -> dict[str, str] | None:
    """The position a cursor holds, if it is one of this very list (the same chain, or account)."""
    if cursor is None:
        return None
    keys = audit_log.CHAIN_POSITION if chain else audit_log.INDEX_POSITION
    try:
        position = decode_cursor(cursor, keys)
        if (chain and position["chain"] != chain) or (not chain and position["account_id"] != account_id):
            raise ValueError("is not a valid cursor")
        if not _SEQ.fullmatch(position["seq"]):
            raise ValueError("is not a valid cursor")
    except ValueError as exc:
        raise InvalidField("cursor", str(exc)) from exc
    return position


def list_audit_events(caller: Caller, query: AuditQuery) -> tuple[list[AuditEvent], str | None]:
    """A page of the caller's account's events, newest first (admins only), and the next page's cursor."""
    require(caller, Action.READ_AUDIT_EVENTS, account_target(caller.account_id, "audit events"))
    if query.start and query.end and query.start > query.end:
        raise InvalidField("from", "must not be after to")
    chain = patient_chain(caller.account_id, query.patient_id) if query.patient_id is not None else None
    equals: dict[str, str | int] = {}
    for name, value in (
        ("document_id", query.document_id),
        ("file_request_id", query.file_request_id),
        ("actor_sub", query.actor),
        ("action", query.action),
    ):
        if value is not None:
            equals[name] = value
    found, position = audit_log.find(
        account_id=caller.account_id,
        chain=chain,
        equals=equals,
        start_at=stored_time(query.start) if query.start else None,
        end_at=stored_time(query.end) if query.end else None,
        limit=query.limit,
        after=_after(query.cursor, chain, caller.account_id),
    )
    target = Target(patient_id=query.patient_id, document_id=query.document_id, file_request_id=query.file_request_id)
    audit_trail.record("audit_events.read", audit_trail.actor_of(caller), target)
    return [audit_trail.event_of(values) for values in found], _cursor(position)


def access_log(caller: Caller, limit: int, cursor: str | None) -> tuple[list[AuditEvent], str | None]:
    """Who accessed the caller's own documents (a patient token), newest first, and the next page's cursor."""
    require(caller, Action.READ_ACCESS_LOG, self_target(caller, "access log"))
    if caller.patient_id is None:  # only a patient token has a patient; the table refused the others
        raise NotFound("access log")
    chain = patient_chain(caller.account_id, caller.patient_id)
    found, position = audit_log.find(
        account_id=caller.account_id,
        chain=chain,
        equals={},
        actions=ACCESS_LOG_ACTIONS,
        limit=limit,
        after=_after(cursor, chain, caller.account_id),
    )
    audit_trail.record("access_log.read", audit_trail.actor_of(caller), Target(patient_id=caller.patient_id))
    return [audit_trail.event_of(values) for values in found], _cursor(position)


def _cursor(position: dict[str, Any] | None) -> str | None:
    return encode_cursor(position) if position else None
