"""GET /fhir/R4/DocumentReference/{id} — door D: one document as a US Core DocumentReference."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import fhir
from patient_docs.logic.read_document_reference import read_document_reference
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.common import PathId
from patient_docs.schemas.fhir import DocumentReference

app = fhir.resolver()


@app.get(
    "/fhir/R4/DocumentReference/<id>",
    operation_id="readDocumentReference",
    summary="Read a document as a DocumentReference",
    tags=fhir.TAGS,
    responses={**fhir.answers(200, DocumentReference, "The DocumentReference"), **fhir.READ_ERRORS},
)
def read(
    id: Annotated[PathId, Path(description="The document id (the same as doors A and B)")],
) -> Response[str]:
    doc = read_document_reference(caller_from_event(app.current_event), id)
    return fhir.resource(200, DocumentReference.of(doc, fhir.base_url()))


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
