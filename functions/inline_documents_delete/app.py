"""DELETE /api/v2/patients/{patient_id}/documents/{document_id} — door A: delete a document."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import inline_documents
from patient_docs.logic.delete_document import delete_document
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.common import PathId

app = inline_documents.resolver()


@app.delete(
    "/api/v2/patients/<patient_id>/documents/<document_id>",
    operation_id="deleteInlineDocument",
    status_code=204,
    summary="Delete a document",
    tags=["Door A: patient documents"],
    responses={204: {"description": "Deleted"}, **inline_documents.DELETE_ERRORS},
)
def delete_patient_document(
    patient_id: Annotated[PathId, Path()],
    document_id: Annotated[PathId, Path()],
) -> Response[None]:
    delete_document(caller_from_event(app.current_event), patient_id, document_id)
    logger.info("document deleted", extra={"document_id": document_id})
    return Response(status_code=204, body=None)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
