"""POST /apis/v1/patient-document — door B "Save Document"."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import patient_documents
from patient_docs.logic.save_document import IDEMPOTENCY, save_document_answer
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.patient_documents import Envelope, PatientDocumentOut, SaveDocumentRequest
from patient_docs.settings import get_settings

app = patient_documents.resolver()


@app.post(
    "/apis/v1/patient-document",
    operation_id="savePatientDocument",
    summary="Save a document record for a file uploaded with Upload File",
    tags=["Door B: patient documents"],
    responses=patient_documents.SAVE_ERRORS,
)
def save_patient_document(
    request: SaveDocumentRequest,
    idempotency_key: Annotated[
        str | None,
        Header(description="1-255 visible ASCII characters. A retry with the same key returns the same answer"),
    ] = None,
) -> Envelope[PatientDocumentOut]:
    saved = save_document_answer(caller_from_event(app.current_event), request, idempotency_key)
    settings = get_settings()
    logger.info("document saved", extra={"document_id": saved.document.id})
    return Envelope[PatientDocumentOut](
        data=PatientDocumentOut.of(saved.document, settings.bucket_name, settings.region, saved.thumbnail_url)
    )


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    IDEMPOTENCY.register_lambda_context(context)
    return app.resolve(event, context)
