"""Door A create: a small file posted as base64 JSON becomes a patient document.

With an ``Idempotency-Key`` header, a retry within 24 hours returns the stored document and stores
nothing more (no object, no record, no event); the same key with another body is a 422, and while the
first is still running a 409 (logic/idempotent_create.py). The record holds the body's hash, not its
megabytes of base64.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from patient_docs.adapters import object_store
from patient_docs.auth import Caller
from patient_docs.errors import InvalidField
from patient_docs.logic import audit_trail
from patient_docs.logic.idempotent_create import IdempotentCreate
from patient_docs.logic.new_document import record_new_document
from patient_docs.models.documents import Document
from patient_docs.permissions import Action, new_document_target, require
from patient_docs.rules.content_types import DOCUMENT_TYPES, content_verdict, extension_for, normalise
from patient_docs.rules.inline_files import decode_base64_file
from patient_docs.rules.object_keys import new_document_key
from patient_docs.rules.timestamps import utc_now
from patient_docs.schemas.inline_documents import InlineDocumentIn
from patient_docs.settings import get_settings

_CREATE = IdempotentCreate("create_inline_document", Document, __name__)
IDEMPOTENCY = _CREATE.config


def create_inline_document(
    caller: Caller,
    patient_id: int,
    doc: InlineDocumentIn,
    described: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Document:
    """``described``: more of the record's fields, as another door classifies it (door D: document_type,
    document_category, notes); ``idempotency_key``: door A's header (door D keeps its own record)."""
    # Checked before anything is read or written, idempotency records included.
    require(caller, Action.CREATE_DOCUMENT, new_document_target(caller, caller.account_id, patient_id))
    body = {"patient_id": patient_id, "doc": doc}
    return _CREATE(caller, idempotency_key, body, lambda: _create(caller, patient_id, doc, described))


def _create(caller: Caller, patient_id: int, doc: InlineDocumentIn, described: Mapping[str, Any] | None) -> Document:
    mime_type = normalise(doc.mime_type)
    if mime_type not in DOCUMENT_TYPES:
        raise InvalidField("doc.mime_type", f"must be one of {', '.join(DOCUMENT_TYPES)}")
    content = decode_base64_file(doc.data, "doc.data", get_settings().inline_max_bytes)
    try:
        mime_type = content_verdict(mime_type, content, DOCUMENT_TYPES)
    except ValueError as exc:
        raise InvalidField("doc.mime_type", str(exc)) from exc

    extension = extension_for(mime_type, doc.document_name)
    key = new_document_key(caller.account_id, patient_id, extension)
    object_store.put_object(key, content, mime_type, doc.document_name)
    now = utc_now()
    return record_new_document(
        lambda document_id: Document(
            id=document_id,
            account_id=caller.account_id,
            patient_id=patient_id,
            name=doc.document_name,
            original_file_name=doc.document_name,
            mime_type=mime_type,
            extension=extension,
            size_bytes=len(content),
            object_key=key,
            source="inline",
            uploaded_by=caller.user_id,
            uploaded_by_name=caller.name,
            created_at=now,
            updated_at=now,
            record_type=doc.record_type,
            author_role=caller.role,
            author_subject=caller.subject,
            **(described or {}),
        ),
        audit_trail.actor_of(caller),
        uploaded_key=key,
    )
