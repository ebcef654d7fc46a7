"""Door B (seed 001): ``/apis/v1/file/upload/*`` and ``/apis/v1/patient-document``."""

from typing import Any, Generic, Literal, TypeVar

from pydantic import Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from patient_docs.models.documents import Document
from patient_docs.rules.object_keys import object_url
from patient_docs.rules.scanning import ScanStatus
from patient_docs.rules.timestamps import iso_naive_utc
from patient_docs.schemas.common import (
    DisplayName,
    DoorBDatetime,
    FileName,
    NaiveUtcTimestamp,
    OptionalDisplayName,
    OptionalNotes,
    PatientNumber,
    PublicHttpsUrl,
    VisitCount,
    refuse_server_owned,
)
from patient_docs.schemas.deferred import Schema

DocumentCategory = Literal[
    "PERSONAL_DETAILS",
    "MEDICAL_HISTORY",
    "DIAGNOSTIC_TESTS",
    "PROVIDER_NOTES",
    "INSURANCE",
    "INSURANCE_CARD",
    "INSURANCE_VERIFICATION",
    "FINANCIAL_INFORMATION",
    "PROTOCOL",
    "SOAP_SUMMARY_DOCUMENT",
    "POC_DOCUMENT",
    "OTHER",
]
SignatureStatus = Literal["COMPLETED", "INCOMPLETED", "COSIGN", "REVISION"]
DEFAULT_CATEGORY = "OTHER"
SERVER_OWNED = ("id", "uploaded_by", "created_at", "updated_at", "original_file_name", "unsigned_document_url")

T = TypeVar("T")


class Envelope(Schema, Generic[T]):
    code: int = 2000
    data: T
    message: str = "Success"


# --- Upload File -------------------------------------------------------------------


class UploadedFileOut(Schema):
    file_url: str
    bucket_name: str
    file_name: str
    size_bytes: int


class PresignUploadRequest(Schema):
    patient_id: PatientNumber
    file_name: FileName
    content_type: str = Field(min_length=1, max_length=127)
    size_bytes: int = Field(ge=1, description="Exact size of the file; pinned in the upload policy")


class PresignedUploadOut(Schema):
    url: str = Field(description="POST the form here, fields first, then 'file'")
    fields: dict[str, str]
    file_url: str
    bucket_name: str
    file_name: str
    content_type: str
    size_bytes: int
    expires_at: NaiveUtcTimestamp


# --- Save / update / list -------------------------------------------------------------


class _DocumentFields(Schema):
    document_type: OptionalDisplayName = None
    document_category: DocumentCategory | None = None
    thumbnail_url: PublicHttpsUrl | None = None
    spry_case_id: OptionalDisplayName = None
    eligible_visit_count: VisitCount | None = None
    notes: OptionalNotes = None
    document_expiration_date: DoorBDatetime | None = None
    receipt_date: DoorBDatetime | None = None
    signature_status: SignatureStatus | None = None
    signed_by: OptionalDisplayName = None
    signed_at: DoorBDatetime | None = None


class SaveDocumentRequest(_DocumentFields):
    patient_id: PatientNumber
    name: DisplayName
    document_url: str = Field(min_length=1, max_length=2048)
    bucket_name: str = Field(min_length=1, max_length=63)

    @model_validator(mode="before")
    @classmethod
    def _no_server_fields(cls, data: Any) -> Any:
        return refuse_server_owned(data, SERVER_OWNED)


class UpdateDocumentRequest(_DocumentFields):
    # May be omitted, never null (the logic refuses null): the schema says so too.
    name: DisplayName | SkipJsonSchema[None] = None

    @model_validator(mode="before")
    @classmethod
    def _no_fixed_fields(cls, data: Any) -> Any:
        refuse_server_owned(data, SERVER_OWNED)
        if isinstance(data, dict):
            for name in ("patient_id", "document_url", "bucket_name"):
                if name in data:
                    raise ValueError(f"'{name}' cannot be changed; save a new document instead")
        return data


class PatientDocumentOut(Schema):
    id: int
    name: str
    patient_id: int
    uploaded_by: int
    document_url: str
    unsigned_document_url: str
    thumbnail_url: str | None = Field(
        description=(
            "The client's own thumbnail URL; when it gave none, an image document's thumbnail (JPEG, at most"
            " 256 px) as a short-lived presigned GET URL once the image is scanned and processed; else null"
        )
    )
    bucket_name: str
    document_type: str | None
    document_category: str | None
    spry_case_id: str | None
    case_title: str | None
    eligible_visit_count: int
    notes: str | None
    document_expiration_date: NaiveUtcTimestamp | None
    receipt_date: NaiveUtcTimestamp | None
    signature_status: str | None
    signed_by: str | None
    signed_at: NaiveUtcTimestamp | None
    original_file_name: str
    created_at: NaiveUtcTimestamp
    updated_at: NaiveUtcTimestamp
    # Additions (file safety): the file's malware scan; only a clean file's bytes are served.
    scan_status: ScanStatus = Field(description="pending, clean, infected, unsupported or failed")
    scanned_at: NaiveUtcTimestamp | None = Field(description="When the scan's result came; null while pending")

    @classmethod
    def of(cls, doc: Document, bucket_name: str, region: str, thumbnail_url: str | None = None) -> "PatientDocumentOut":
        """``thumbnail_url``: the served thumbnail's URL, for a document whose client gave none."""
        document_url = object_url(bucket_name, region, doc.object_key)
        return cls(
            id=doc.id,
            name=doc.name,
            patient_id=doc.patient_id,
            uploaded_by=doc.uploaded_by,
            document_url=document_url,
            unsigned_document_url=document_url,
            thumbnail_url=doc.thumbnail_url or thumbnail_url,
            bucket_name=bucket_name,
            document_type=doc.document_type,
            document_category=doc.document_category or DEFAULT_CATEGORY,
            spry_case_id=doc.spry_case_id,
            case_title=None,  # cases live in the practice system, not here
            eligible_visit_count=doc.eligible_visit_count,
            notes=doc.notes,
            document_expiration_date=doc.document_expiration_date,
            receipt_date=doc.receipt_date,
            signature_status=doc.signature_status,
            signed_by=doc.signed_by,
            signed_at=doc.signed_at,
            original_file_name=doc.original_file_name,
            created_at=iso_naive_utc(doc.created_at),
            updated_at=iso_naive_utc(doc.updated_at),
            scan_status=doc.scan_status,
            scanned_at=iso_naive_utc(doc.scanned_at) if doc.scanned_at else None,
        )


class PatientDocumentPage(Schema):
    documents: list[PatientDocumentOut]
    page: int
    size: int
    total: int
    total_pages: int
    next_cursor: str | None = Field(
        default=None,
        description=(
            "An addition to the vendor's paging: send it as cursor with page + 1 to read the next page from"
            " where this one ended (default sort, no filter but start/end); null: no next page, or not available"
        ),
    )
