"""GET /api/v2/patients/{patient_id}/documents/{document_id} — door A: metadata and a download URL."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import inline_documents
from patient_docs.logic.read_documents import download_link, get_document, image_views
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.timestamps import iso_with_offset
from patient_docs.schemas.common import PathId
from patient_docs.schemas.inline_documents import (
    InlineDocumentOut,
    InlineDocumentWithUrlOut,
    InlineDocumentWithUrlResponse,
)

app = inline_documents.resolver()


@app.get(
    "/api/v2/patients/<patient_id>/documents/<document_id>",
    operation_id="getInlineDocument",
    summary="Get a document with a short-lived download URL",
    description=(
        "Answers 409 (with Retry-After while the malware scan is pending or an image is being processed) for a "
        "file not served yet or at all. An image is served clean (docs/images.md), with thumbnail and preview URLs."
    ),
    tags=["Door A: patient documents"],
    responses=inline_documents.DOWNLOAD_ERRORS,
)
def get_patient_document(
    patient_id: Annotated[PathId, Path()],
    document_id: Annotated[PathId, Path()],
) -> InlineDocumentWithUrlResponse:
    caller = caller_from_event(app.current_event)
    doc = get_document(caller, document_id, patient_id)
    doc, url, expires_at = download_link(caller, doc)
    thumbnail_url, preview_url = image_views(doc)
    view = InlineDocumentOut.of(doc).model_dump()
    return InlineDocumentWithUrlResponse(
        doc=InlineDocumentWithUrlOut(
            **view,
            download_url=url,
            download_url_expires_at=iso_with_offset(expires_at),
            thumbnail_url=thumbnail_url,
            preview_url=preview_url,
        )
    )


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
