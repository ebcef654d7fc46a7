"""POST /fhir/R4/DocumentReference — door D: store a document (file inline, or door B's uploaded file_url)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import fhir
from patient_docs.logic.create_document_reference import IDEMPOTENCY, create_document_reference
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.fhir import DocumentReference
from patient_docs.schemas.fhir_input import DocumentReferenceIn

app = fhir.resolver(reads_resource=True)


@app.post(
    "/fhir/R4/DocumentReference",
    operation_id="createDocumentReference",
    status_code=201,
    summary="Create a document from a DocumentReference",
    description=(
        "The file inline in content[0].attachment.data (base64, door A's limit and checks), or uploaded first "
        "with POST /apis/v1/file/upload/presigned and named by its file_url in content[0].attachment.url "
        "(door B's Save Document checks). The document is then visible through every door."
    ),
    tags=fhir.TAGS,
    responses={**fhir.answers(201, DocumentReference, "Created; Location names it"), **fhir.CREATE_ERRORS},
)
def create(
    resource: DocumentReferenceIn,
    idempotency_key: Annotated[
        str | None,
        Header(
            description="1-255 visible ASCII characters. A retry with the same key returns the same"
            " DocumentReference and Location"
        ),
    ] = None,
) -> Response[str]:
    base = fhir.base_url()
    doc = create_document_reference(caller_from_event(app.current_event), resource, base, idempotency_key)
    logger.info("document created", extra={"document_id": doc.id, "size_bytes": doc.size_bytes})
    location = f"{base}/DocumentReference/{doc.id}"
    return fhir.resource(201, DocumentReference.of(doc, base), {"Location": location})


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    IDEMPOTENCY.register_lambda_context(context)
    return app.resolve(event, context)
