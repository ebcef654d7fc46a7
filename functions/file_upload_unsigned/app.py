"""POST /apis/v1/file/upload/unsigned — door B "Upload File" (multipart, bounded like door A)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import File, Form, UploadFile
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import patient_documents
from patient_docs.logic.upload_file import upload_unsigned
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.common import FileName
from patient_docs.schemas.patient_documents import Envelope, UploadedFileOut

app = patient_documents.resolver()


@app.post(
    "/apis/v1/file/upload/unsigned",
    operation_id="uploadFileUnsigned",
    summary="Upload a file through the API (compatibility; bounded to the inline limit)",
    tags=["Door B: patient documents"],
    responses=patient_documents.UPLOAD_ERRORS,
)
def upload_file(
    file: Annotated[UploadFile, File(description="The file")],
    bucket_name: Annotated[str, Form(min_length=1, max_length=63)],
    file_path: Annotated[str, Form(min_length=1, max_length=255, description="patients/{patient_id}/documents")],
    file_name: Annotated[FileName, Form()],
) -> Envelope[UploadedFileOut]:
    caller = caller_from_event(app.current_event)
    uploaded = upload_unsigned(caller, bucket_name, file_path, file_name, file.content, file.content_type)
    logger.info("file uploaded", extra={"size_bytes": uploaded.size_bytes})
    return Envelope[UploadedFileOut](data=UploadedFileOut(**uploaded.__dict__))


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
