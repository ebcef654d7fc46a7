"""The one document record behind all three doors."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from patient_docs.rules.images import ImageStatus, is_image, served_type
from patient_docs.rules.scanning import ScanStatus

DocumentSource = Literal["inline", "upload", "file_request"]
AuthorRole = Literal["staff", "admin", "patient"]


class ImageRenditions(BaseModel):
    """What the image processor made of an image document's file (rules/images.py): the clean image
    served in place of the original, its thumbnail and preview; or that the file was refused (a
    corrupt image or a decompression bomb, moved to quarantine)."""

    status: ImageStatus
    original_mime_type: str
    mime_type: str | None = None  # the clean image's type (what downloads serve)
    clean_key: str | None = None
    thumbnail_key: str | None = None
    preview_key: str | None = None
    width: int | None = None
    height: int | None = None
    # The clean image's bytes, as served: their count and SHA-1 (base64, FHIR's Attachment.hash). None on
    # renditions made before they were kept.
    size_bytes: int | None = None
    sha1: str | None = None


class ServedContent(BaseModel):
    """What a download of a document serves, as far as the record knows before any byte is read:
    its type, and its size and SHA-1 (base64) when known (None: not known, or nothing served yet)."""

    mime_type: str
    size_bytes: int | None = None
    sha1: str | None = None


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
    # Who added it (patient_docs.permissions): the caller's role and token subject; the patient page
    # has no token, so a photo sent through it has the role "patient" and no subject.
    author_role: AuthorRole | None = None
    author_subject: str | None = None
    # File safety (rules/scanning.py): the malware scan's verdict on the file and when it came. A record
    # stored before files were scanned has no status: pending, as its object has no clean verdict either.
    scan_status: ScanStatus = "pending"
    scanned_at: datetime | None = None
    # Clean images (rules/images.py): set once the image processor has made its renditions.
    image: ImageRenditions | None = None

    def served_content(self) -> ServedContent:
        """The bytes a download serves (logic/clean_images.served_file): the file as stored, or an image's
        clean copy. An image whose clean copy is not made yet (or never will be: refused) serves nothing
        yet: its type is the one it will be served as (rules/images.served_type), its size unknown."""
        if not is_image(self.mime_type):
            return ServedContent(mime_type=self.mime_type, size_bytes=self.size_bytes)
        image = self.image
        if image is not None and image.status == "clean" and image.mime_type is not None:
            return ServedContent(mime_type=image.mime_type, size_bytes=image.size_bytes, sha1=image.sha1)
        return ServedContent(mime_type=served_type(self.mime_type))

    @property
    def author(self) -> AuthorRole:
        """The role that added it. Records stored before authorship count as staff-authored,
        except door C photos, which only the patient sends."""
        if self.author_role is not None:
            return self.author_role
        return "patient" if self.source == "file_request" else "staff"
