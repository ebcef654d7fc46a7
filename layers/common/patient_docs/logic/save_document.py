"""Door B "Save Document": a record pointing at a file already uploaded here.

The URL is parsed, never fetched: it must name an object of this service's bucket,
inside the caller's account and that patient's area, and the object must exist and
really be of an accepted type.

With an ``Idempotency-Key`` header, a retry within 24 hours returns the stored answer (the document
and the thumbnail URL the first answer held) and stores nothing more: not the 409 a second record of
the same file would be, no audit event, no announcement. The same key with another body is a 422,
and while the first is still running a 409 (logic/idempotent_create.py).
"""

from pydantic import BaseModel

from patient_docs.adapters import object_store
from patient_docs.auth import Caller
from patient_docs.errors import Conflict, InvalidField, ObjectClaimed
from patient_docs.logic import audit_trail, file_safety
from patient_docs.logic.idempotent_create import IdempotentCreate
from patient_docs.logic.new_document import record_new_document
from patient_docs.logic.read_documents import thumbnail_urls
from patient_docs.logic.upload_file import check_bucket
from patient_docs.models.documents import Document
from patient_docs.permissions import Action, new_document_target, require, signature_field
from patient_docs.rules.content_types import DOCUMENT_TYPES, SNIFF_BYTES, bytes_needed, content_verdict
from patient_docs.rules.object_keys import key_from_object_url, parse_document_key
from patient_docs.rules.timestamps import utc_now
from patient_docs.rules.urls import check_public_https_url
from patient_docs.schemas.patient_documents import SaveDocumentRequest
from patient_docs.settings import get_settings

NOT_OURS = "must be a file_url returned by Upload File for this patient"
ALREADY_RECORDED = "another document already points at this file; upload the file again to record it twice"


def _object_key(caller: Caller, request: SaveDocumentRequest) -> str:
    settings = get_settings()
    key = key_from_object_url(request.document_url.strip(), settings.bucket_name, settings.region)
    if key is None:  # not this bucket's: say what is wrong with it when a rule for any URL does
        try:
            check_public_https_url(request.document_url)
        except ValueError as exc:
            raise InvalidField("document_url", str(exc)) from exc
    check_bucket(request.bucket_name)
    parsed = parse_document_key(key) if key else None
    if parsed is None or parsed.account_id != caller.account_id or parsed.patient_id != request.patient_id:
        raise InvalidField("document_url", NOT_OURS)
    return parsed.key


class SavedDocument(BaseModel):
    """Save Document's answer: the record, and its thumbnail's URL when one was handed out (``thumbnail_urls``)."""

    document: Document
    thumbnail_url: str | None = None


_SAVE = IdempotentCreate("save_document", SavedDocument, __name__)
IDEMPOTENCY = _SAVE.config


def _require_may_save(caller: Caller, request: SaveDocumentRequest) -> None:
    target = new_document_target(caller, caller.account_id, request.patient_id)
    require(caller, Action.CREATE_DOCUMENT, target)
    signing = signature_field(request.model_fields_set)
    if signing is not None:
        require(caller, Action.SIGN_DOCUMENT, target, signing)


def save_document_answer(caller: Caller, request: SaveDocumentRequest, idempotency_key: str | None) -> SavedDocument:
    """Door B's Save: the record, and its thumbnail URL (a read, recorded as one) for an image already processed."""
    # Checked before anything is read or written, idempotency records included.
    _require_may_save(caller, request)
    return _SAVE(caller, idempotency_key, request, lambda: _saved(caller, request))


def _saved(caller: Caller, request: SaveDocumentRequest) -> SavedDocument:
    doc = save_document(caller, request)
    return SavedDocument(document=doc, thumbnail_url=thumbnail_urls(caller, [doc]).get(doc.id))


def save_document(caller: Caller, request: SaveDocumentRequest) -> Document:
    _require_may_save(caller, request)
    key = _object_key(caller, request)
    found = object_store.read_head(key, SNIFF_BYTES)
    if found is None:
        if file_safety.quarantined_before_recorded(key):  # its malware scan came first, and found a threat
            raise InvalidField("document_url", "the uploaded file was found to contain malware and is in quarantine")
        raise InvalidField("document_url", "no uploaded file at this URL")
    stored, head = found
    needed = bytes_needed(stored.content_type, stored.size_bytes, DOCUMENT_TYPES)
    if needed > len(head):  # text is checked whole, as door A and the multipart upload check it
        found = object_store.read_head(key, needed)
        if found is None:
            raise InvalidField("document_url", "no uploaded file at this URL")
        stored, head = found
    try:
        mime_type = content_verdict(stored.content_type, head, DOCUMENT_TYPES)
    except ValueError as exc:
        raise InvalidField("document_url", f"the uploaded file is empty or not of its declared type: {exc}") from exc

    extension = key.rsplit(".", 1)[-1]
    now = utc_now()
    fields = request.model_dump(exclude={"patient_id", "name", "document_url", "bucket_name"}, exclude_none=True)
    try:
        return record_new_document(
            lambda document_id: Document(
                id=document_id,
                account_id=caller.account_id,
                patient_id=request.patient_id,
                name=request.name,
                original_file_name=stored.original_name or f"{request.name}.{extension}",
                mime_type=mime_type,
                extension=extension,
                size_bytes=stored.size_bytes,
                object_key=key,
                source="upload",
                uploaded_by=caller.user_id,
                uploaded_by_name=caller.name,
                created_at=now,
                updated_at=now,
                author_role=caller.role,
                author_subject=caller.subject,
                **fields,
            ),
            audit_trail.actor_of(caller),
        )
    except ObjectClaimed as exc:  # one object, one record
        raise Conflict(ALREADY_RECORDED, "document_url") from exc
