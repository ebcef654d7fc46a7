"""Door A (seed 000): ``/api/v2/patients/{patient_id}/documents``."""

from typing import Any, Literal

from pydantic import Field, model_validator

from patient_docs.models.documents import Document
from patient_docs.rules.scanning import ScanStatus
from patient_docs.rules.timestamps import iso_with_offset
from patient_docs.schemas.common import FileName, Timestamp, refuse_server_owned
from patient_docs.schemas.deferred import Schema

RecordType = Literal["Behavioral", "Exam-Face2Face", "Patient Record", "Test Result", "Wellness Panel Results"]
DEFAULT_RECORD_TYPE = "Patient Record"


class InlineDocumentIn(Schema):
    document_name: FileName = Field(description="Desired file name, with extension")
    # repr=False: Powertools formats the route arguments into a debug message on every request,
    # which would copy megabytes of base64 (and file content is PHI).
    data: str = Field(min_length=1, description="Base64 encoded file data", repr=False)
    mime_type: str = Field(min_length=1, max_length=127, description="MIME type, e.g. image/png")
    record_type: RecordType

    @model_validator(mode="before")
    @classmethod
    def _no_server_fields(cls, data: Any) -> Any:
        return refuse_server_owned(data, ("id", "upload_by", "upload_date", "extension"))


class CreateInlineDocumentRequest(Schema):
    doc: InlineDocumentIn


class InlineDocumentOut(Schema):
    id: int
    mime_type: str
    record_type: str
    upload_date: Timestamp
    document_name: str
    upload_by: str
    extension: str
    # Additions (file safety): the file's malware scan; only a clean file's bytes are served.
    scan_status: ScanStatus = Field(description="pending, clean, infected, unsupported or failed")
    scanned_at: Timestamp | None = Field(description="When the scan's result came; null while pending")

    @classmethod
    def of(cls, doc: Document) -> "InlineDocumentOut":
        return cls(
            id=doc.id,
            mime_type=doc.mime_type,
            record_type=doc.record_type or DEFAULT_RECORD_TYPE,
            upload_date=iso_with_offset(doc.created_at),
            document_name=doc.name,
            upload_by=doc.uploaded_by_name,
            extension=doc.extension,
            scan_status=doc.scan_status,
            scanned_at=iso_with_offset(doc.scanned_at) if doc.scanned_at else None,
        )


class InlineDocumentWithUrlOut(InlineDocumentOut):
    download_url: str = Field(description="Short-lived presigned GET URL of the file (an image's clean copy)")
    download_url_expires_at: Timestamp
    thumbnail_url: str | None = Field(
        default=None, description="An image's thumbnail (JPEG, at most 256 px): a short-lived presigned GET URL"
    )
    preview_url: str | None = Field(
        default=None, description="An image's preview (JPEG, at most 1600 px): a short-lived presigned GET URL"
    )


class InlineDocumentResponse(Schema):
    doc: InlineDocumentOut


class InlineDocumentWithUrlResponse(Schema):
    doc: InlineDocumentWithUrlOut


class InlineDocumentListResponse(Schema):
    docs: list[InlineDocumentOut]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page"
    )
