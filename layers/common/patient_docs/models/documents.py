"""The one document record behind all three doors."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

DocumentSource = Literal["inline", "upload", "file_request"]


class Document(BaseModel):
    id: int
    account_id: str
    patient_id: int
    name: str
    original_file_name: str
    mime_type: str
    extension: str
    size_bytes: int
    object_key: str
    source: DocumentSource
    uploaded_by: int
    uploaded_by_name: str
    created_at: datetime
    updated_at: datetime
    # Door A
    record_type: str | None = None
    # Door B
    document_type: str | None = None
    document_category: str | None = None
    thumbnail_url: str | None = None
    spry_case_id: str | None = None
    eligible_visit_count: int = 0
    notes: str | None = None
    document_expiration_date: str | None = None
    receipt_date: str | None = None
    signature_status: str | None = None
    signed_by: str | None = None
    signed_at: str | None = None
    # Door C: the file request this document answered, if any
    file_request_id: str | None = None
