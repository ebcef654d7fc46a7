"""POST /api/v2/patients/{patient_id}/documents — door A: create a document from base64."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import inline_documents
from patient_docs.logic.create_inline_document import IDEMPOTENCY, create_inline_document
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.common import PathId
from patient_docs.schemas.inline_documents import CreateInlineDocumentRequest, InlineDocumentOut, InlineDocumentResponse

app = inline_documents.resolver()


@app.post(
    "/api/v2/patients/<patient_id>/documents",
    operation_id="createInlineDocument",
    status_code=201,
    summary="Create a patient document from base64 data",
    tags=["Door A: patient documents"],
    responses=inline_documents.CREATE_ERRORS,
)
def create_document(
    patient_id: Annotated[PathId, Path()],
    request: CreateInlineDocumentRequest,
    idempotency_key: Annotated[
        str | None,
        Header(description="1-255 visible ASCII characters. A retry with the same key returns the same document"),
    ] = None,
) -> InlineDocumentResponse:
    caller = caller_from_event(app.current_event)
    doc = create_inline_document(caller, patient_id, request.doc, idempotency_key=idempotency_key)
    logger.info("document created", extra={"document_id": doc.id, "size_bytes": doc.size_bytes})
    return InlineDocumentResponse(doc=InlineDocumentOut.of(doc))


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    IDEMPOTENCY.register_lambda_context(context)
    return app.resolve(event, context)
