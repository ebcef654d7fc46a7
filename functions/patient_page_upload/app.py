"""POST /r/{short_link_id}/uploads — a presigned POST for one photo, within a verified session."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.http import patient_page
from patient_docs.logic.patient_page import presign_photo
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.timestamps import iso_with_offset, utc_now
from patient_docs.schemas.patient_page import PhotoUploadBody, PhotoUploadOut

app = patient_page.resolver()


@app.post(
    "/r/<short_link_id>/uploads",
    operation_id="presignPhotoUpload",
    summary="Get a presigned POST for one photo",
    tags=["Patient page"],
    responses={
        200: {"description": "Presigned POST", "content": {"application/json": {"model": PhotoUploadOut}}},
        **patient_page.UPLOAD_ERRORS,
    },
)
def presign(
    short_link_id: str,
    body: PhotoUploadBody,
    x_upload_session: Annotated[str | None, Header(alias="X-Upload-Session", max_length=100)] = None,
) -> Response[Any]:
    upload = presign_photo(
        short_link_id, x_upload_session, body.file_name, body.content_type, body.size_bytes, utc_now()
    )
    out = PhotoUploadOut(
        url=upload.url, fields=upload.fields, file_id=upload.file_id, expires_at=iso_with_offset(upload.expires_at)
    )
    return patient_page.ok(out)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
