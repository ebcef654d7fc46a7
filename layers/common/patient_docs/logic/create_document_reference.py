"""Door D create: a DocumentReference becomes a document of every door.

Nothing here stores a file: a file sent inline (``content[0].attachment.data``) goes through door
A's create (the same inline limit, the same check of the bytes), and a file uploaded first through
door B's presigned POST (``content[0].attachment.url`` = its ``file_url``) through door B's Save
Document (same bucket, that patient's area, the object exists and is of an accepted type, never
fetched). Their refusals are renamed to the DocumentReference element the client sent.

With an ``Idempotency-Key`` header, a retry within 24 hours returns the stored document (the same
resource and Location) and stores nothing more; the same key with another resource is a 422, and
while the first is still running a 409 (logic/idempotent_create.py).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from patient_docs.auth import Caller
from patient_docs.errors import InvalidField
from patient_docs.logic.create_inline_document import create_inline_document
from patient_docs.logic.idempotent_create import IdempotentCreate
from patient_docs.logic.save_document import save_document
from patient_docs.models.documents import Document
from patient_docs.permissions import Action, new_document_target, require
from patient_docs.rules import fhir
from patient_docs.rules.inline_files import PRESIGNED_HINT, decode_base64_file
from patient_docs.rules.names import check_name
from patient_docs.schemas.deferred import build_reachable
from patient_docs.schemas.fhir_input import AttachmentIn, CodeableConceptIn, DocumentReferenceIn
from patient_docs.schemas.inline_documents import InlineDocumentIn
from patient_docs.schemas.patient_documents import SaveDocumentRequest
from patient_docs.settings import get_settings

# A create stores through door A's or door B's request: both are validated on the first request.
build_reachable(InlineDocumentIn, SaveDocumentRequest)
ATTACHMENT = "content[0].attachment"
DEFAULT_TITLE = "document"
# The doors' field names -> the element of the DocumentReference that carried them.
_RENAMED = {
    "doc.data": f"{ATTACHMENT}.data",
    "doc.mime_type": f"{ATTACHMENT}.contentType",
    "doc.document_name": f"{ATTACHMENT}.title",
    "document_url": f"{ATTACHMENT}.url",
    "bucket_name": f"{ATTACHMENT}.url",
    "name": f"{ATTACHMENT}.title",
    "patient_id": "subject.reference",
    "document_type": "type.text",
    "notes": "description",
}
_LARGER = f"; {PRESIGNED_HINT}, then send its file_url as {ATTACHMENT}.url"


@contextmanager
def _named_as_sent() -> Iterator[None]:
    """Refusals of door A's and door B's create, naming what the DocumentReference called the field."""
    try:
        yield
    except InvalidField as exc:
        field = _RENAMED.get(exc.field or "", exc.field or "body")
        if field == exc.field and PRESIGNED_HINT not in exc.message:
            raise
        raise type(exc)(field, exc.message.replace(f"; {PRESIGNED_HINT}", _LARGER)) from exc
    except ValidationError as exc:  # the doors' request models: what reached them was checked already
        errors = exc.errors()
        location = errors[0]["loc"] if errors else ()
        field = ".".join(part for part in location if isinstance(part, str)) or "body"
        raise InvalidField(_RENAMED.get(field, field), errors[0]["msg"] if errors else "is invalid") from exc


def _codes(concept: CodeableConceptIn | None) -> list[tuple[str | None, str]]:
    return [(coding.system, coding.code) for coding in (concept.coding or []) if coding.code] if concept else []


def _document_type(concept: CodeableConceptIn | None) -> str | None:
    """The type's text, else its first coding's display: door B's free-text ``document_type``."""
    if concept is None:
        return None
    if concept.text:
        return concept.text
    display = next((coding.display for coding in concept.coding or [] if coding.display), None)
    if display is None:
        return None
    try:
        return check_name(display)
    except ValueError as exc:
        raise InvalidField("type.coding.display", str(exc)) from exc


def _described(request: DocumentReferenceIn) -> dict[str, Any]:
    """The record's classification and description, from the resource's type, category and description."""
    categories = [code for concept in request.category or [] for code in _codes(concept)]
    try:
        fields: dict[str, Any] = fhir.stored_classification(_codes(request.type), categories)
    except ValueError as exc:
        raise InvalidField("category.coding.code", str(exc)) from exc
    document_type = _document_type(request.type)
    if document_type is not None:
        fields["document_type"] = document_type
    if request.description is not None:
        fields["notes"] = request.description
    return fields


def _check_inline(attachment: AttachmentIn) -> None:
    """``size`` and ``hash``, when sent, describe the file sent (FHIR: bytes before base64, SHA-1)."""
    if attachment.size is None and attachment.hash is None:
        return
    content = decode_base64_file(attachment.data or "", f"{ATTACHMENT}.data", get_settings().inline_max_bytes)
    if attachment.size is not None and attachment.size != len(content):
        raise InvalidField(f"{ATTACHMENT}.size", f"is {attachment.size} but the data holds {len(content)} bytes")
    digest = base64.b64encode(hashlib.sha1(content, usedforsecurity=False).digest()).decode()
    if attachment.hash is not None and attachment.hash != digest:
        raise InvalidField(f"{ATTACHMENT}.hash", "is not the SHA-1 (base64) of the data")


_CREATE = IdempotentCreate("create_document_reference", Document, __name__)
IDEMPOTENCY = _CREATE.config


def create_document_reference(
    caller: Caller, request: DocumentReferenceIn, base_url: str, idempotency_key: str | None = None
) -> Document:
    try:
        patient_id = fhir.patient_of_reference(request.subject.reference, base_url)
    except ValueError as exc:
        raise InvalidField("subject.reference", str(exc)) from exc
    # Who may add a document for this patient is decided before anything else is read, idempotency records
    # included (door A's and door B's create ask again, as they always do).
    require(caller, Action.CREATE_DOCUMENT, new_document_target(caller, caller.account_id, patient_id))
    return _CREATE(caller, idempotency_key, request, lambda: _create(caller, request, patient_id))


def _create(caller: Caller, request: DocumentReferenceIn, patient_id: int) -> Document:
    described = _described(request)
    attachment = request.content[0].attachment
    title = attachment.title or DEFAULT_TITLE
    with _named_as_sent():
        if attachment.data is not None:
            _check_inline(attachment)
            doc = InlineDocumentIn(
                document_name=title,
                data=attachment.data,
                mime_type=attachment.content_type,
                record_type=described.pop("record_type", fhir.DEFAULT_RECORD_TYPE),
            )
            return create_inline_document(caller, patient_id, doc, described)
        described.pop("record_type", None)  # door B's records have none (door A shows its default)
        saved = SaveDocumentRequest.model_validate(
            {
                "patient_id": patient_id,
                "name": title,
                "document_url": attachment.url,
                "bucket_name": get_settings().bucket_name,
                **described,
            }
        )
        return save_document(caller, saved)
