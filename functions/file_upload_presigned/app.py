"""POST /apis/v1/file/upload/presigned — door B "Upload File": a presigned POST straight to S3."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import patient_documents
from patient_docs.logic.upload_file import presign_upload
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.timestamps import iso_naive_utc
from patient_docs.schemas.patient_documents import Envelope, PresignedUploadOut, PresignUploadRequest

app = patient_documents.resolver()


@app.post(
    "/apis/v1/file/upload/presigned",
    operation_id="presignFileUpload",
    summary="Get a presigned POST to upload a file straight to storage",
    tags=["Door B: patient documents"],
    responses=patient_documents.UPLOAD_ERRORS,
)
def presign_file_upload(request: PresignUploadRequest) -> Envelope[PresignedUploadOut]:
    caller = caller_from_event(app.current_event)
    upload = presign_upload(caller, request.patient_id, request.file_name, request.content_type, request.size_bytes)
    out = PresignedUploadOut(
        url=upload.url,
        fields=upload.fields,
        file_url=upload.file_url,
        bucket_name=upload.bucket_name,
        file_name=upload.file_name,
        content_type=upload.content_type,
        size_bytes=upload.size_bytes,
        expires_at=iso_naive_utc(upload.expires_at),
    )
    return Envelope[PresignedUploadOut](data=out)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
