"""GET /api/v2/patients/{patient_id}/documents — door A: a patient's documents, newest first."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import door_a
from patient_docs.logic.read_documents import list_documents
from patient_docs.models.door_a import InlineDocumentListResponse, InlineDocumentOut
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.ids import MAX_ID

app = door_a.resolver()


@app.get(
    "/api/v2/patients/<patient_id>/documents",
    summary="List a patient's documents",
    tags=["Door A: patient documents"],
    responses=door_a.ERRORS,
)
def list_patient_documents(patient_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> InlineDocumentListResponse:
    docs = list_documents(caller_from_event(app.current_event), patient_id)
    return InlineDocumentListResponse(docs=[InlineDocumentOut.of(doc) for doc in docs])


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
