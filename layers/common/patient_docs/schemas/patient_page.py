"""Requests and responses of the patient page's JSON endpoints."""

from pydantic import Field

from patient_docs.schemas.common import Day, FileName, Timestamp
from patient_docs.schemas.deferred import Schema


class VerifyBody(Schema):
    date_of_birth: Day = Field(max_length=20, description="YYYY-MM-DD")


class UploadSessionOut(Schema):
    upload_session: str = Field(description="Send as X-Upload-Session; kept in memory by the page, never in the URL")
    expires_at: Timestamp
    max_files: int
    max_bytes: int
    accepted_types: list[str]
    staff_name: str = Field(description="Who asks")
    prompt: str = Field(description="What they ask for: shown only once the date of birth is right")


class PhotoUploadBody(Schema):
    file_name: FileName
    content_type: str = Field(min_length=1, max_length=127)
    size_bytes: int = Field(ge=1)


class PhotoUploadOut(Schema):
    url: str
    fields: dict[str, str]
    file_id: str
    expires_at: Timestamp
