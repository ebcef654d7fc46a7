"""POST /apis/v1/patient-document — door B "Save Document"."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import patient_documents
from patient_docs.logic.read_documents import thumbnail_urls
from patient_docs.logic.save_document import save_document
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
def save_patient_document(request: SaveDocumentRequest) -> Envelope[PatientDocumentOut]:
    caller = caller_from_event(app.current_event)
    doc = save_document(caller, request)
    settings = get_settings()
    logger.info("document saved", extra={"document_id": doc.id})
    thumbnail = thumbnail_urls(caller, [doc]).get(doc.id)
    return Envelope[PatientDocumentOut](
        data=PatientDocumentOut.of(doc, settings.bucket_name, settings.region, thumbnail)
    )


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
