"""POST /apis/v1/patient-document/{id} — door B partial update (``id``: the document's)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import patient_documents
from patient_docs.logic.read_documents import thumbnail_urls
from patient_docs.logic.update_document import update_document
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.common import PathId
from patient_docs.schemas.patient_documents import Envelope, PatientDocumentOut, UpdateDocumentRequest
from patient_docs.settings import get_settings

app = patient_documents.resolver()


@app.post(
    "/apis/v1/patient-document/<id>",
    operation_id="updatePatientDocument",
    summary="Update some fields of a document; omitted fields keep their value",
    tags=["Door B: patient documents"],
    responses=patient_documents.WRITE_ERRORS,
)
def update_patient_document(
    # One name for the path's one variable, shared with the list (GET): here it is the document's id.
    id: Annotated[PathId, Path(description="The document's id")],
    request: UpdateDocumentRequest,
) -> Envelope[PatientDocumentOut]:
    caller = caller_from_event(app.current_event)
    doc = update_document(caller, id, request)
    settings = get_settings()
    logger.info("document updated", extra={"document_id": doc.id, "fields": sorted(request.model_fields_set)})
    thumbnail = thumbnail_urls(caller, [doc]).get(doc.id)
    return Envelope[PatientDocumentOut](
        data=PatientDocumentOut.of(doc, settings.bucket_name, settings.region, thumbnail)
    )


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
