"""GET /api/v2/patients/{patient_id}/documents — door A: a patient's documents, newest first, in pages."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import inline_documents
from patient_docs.logic.read_documents import list_documents
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.cursors import MAX_CURSOR_LENGTH
from patient_docs.schemas.common import PathId, QueryInt
from patient_docs.schemas.inline_documents import InlineDocumentListResponse, InlineDocumentOut

MAX_PAGE = 100  # also the default: most patients have fewer documents, and read them in one call

app = inline_documents.resolver()


@app.get(
    "/api/v2/patients/<patient_id>/documents",
    operation_id="listInlineDocuments",
    summary="List a patient's documents",
    tags=["Door A: patient documents"],
    responses=inline_documents.ERRORS,
)
def list_patient_documents(
    patient_id: Annotated[PathId, Path()],
    limit: Annotated[QueryInt, Query(ge=1, le=MAX_PAGE, description="documents per page")] = MAX_PAGE,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="next_cursor of the previous page")
    ] = None,
) -> InlineDocumentListResponse:
    docs, next_cursor = list_documents(caller_from_event(app.current_event), patient_id, limit, cursor)
    return InlineDocumentListResponse(docs=[InlineDocumentOut.of(doc) for doc in docs], next_cursor=next_cursor)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
