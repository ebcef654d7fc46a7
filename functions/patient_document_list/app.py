"""GET /apis/v1/patient-document/{id} — door B list with filters and pages (``id``: the patient's)."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.errors import InvalidField
from patient_docs.http import patient_documents
from patient_docs.logic.read_documents import thumbnail_urls
from patient_docs.logic.search_documents import DocumentQuery, SortBy, search_documents
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.cursors import MAX_CURSOR_LENGTH
from patient_docs.rules.timestamps import RANGE_BOUND_PATTERN, parse_range_bound
from patient_docs.schemas.common import PathId, QueryBool, QueryInt
from patient_docs.schemas.patient_documents import DocumentCategory, Envelope, PatientDocumentOut, PatientDocumentPage
from patient_docs.settings import get_settings

app = patient_documents.resolver()
# Documented in /openapi.json; _bound() decides.
_BOUND: dict[str, Any] = {"json_schema_extra": {"pattern": RANGE_BOUND_PATTERN}}


def _bound(name: str, value: str | None, end: bool) -> Any:
    if value is None:
        return None
    try:
        return parse_range_bound(value, end)
    except ValueError as exc:
        raise InvalidField(name, str(exc)) from exc


@app.get(
    "/apis/v1/patient-document/<id>",
    operation_id="listPatientDocuments",
    summary="List a patient's documents with filters and pages",
    tags=["Door B: patient documents"],
    responses=patient_documents.ERRORS,
)
def list_patient_documents(
    # One name for the path's one variable, shared with the update (POST): here it is the patient's id.
    id: Annotated[PathId, Path(description="The patient's id")],
    document_category: Annotated[list[DocumentCategory] | None, Query()] = None,
    document_type: Annotated[list[str] | None, Query()] = None,
    signed: Annotated[QueryBool | None, Query(description="true: signature_status COMPLETED")] = None,
    case_title: Annotated[list[str] | None, Query(description="matches spry_case_id")] = None,
    document_name: Annotated[str | None, Query(max_length=255, description="part of the name")] = None,
    start: Annotated[str | None, Query(max_length=40, description="created on or after", **_BOUND)] = None,
    end: Annotated[str | None, Query(max_length=40, description="created on or before", **_BOUND)] = None,
    page: Annotated[QueryInt, Query(ge=1, le=100000)] = 1,
    size: Annotated[QueryInt, Query(ge=1, le=100)] = 5,
    sort: Annotated[Literal["asc", "desc"], Query()] = "desc",
    sort_by: Annotated[SortBy, Query()] = "created_at",
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="next_cursor of the previous page")
    ] = None,
) -> Envelope[PatientDocumentPage]:
    query = DocumentQuery(
        categories=list(document_category or []),
        types=document_type or [],
        signed=signed,
        case_ids=case_title or [],
        name_contains=document_name,
        start=_bound("start", start, end=False),
        end=_bound("end", end, end=True),
        page=page,
        size=size,
        descending=sort == "desc",
        sort_by=sort_by,
        cursor=cursor,
    )
    caller = caller_from_event(app.current_event)
    result = search_documents(caller, id, query)
    settings = get_settings()
    thumbnails = thumbnail_urls(caller, result.documents)
    views = [
        PatientDocumentOut.of(doc, settings.bucket_name, settings.region, thumbnails.get(doc.id))
        for doc in result.documents
    ]
    page_out = PatientDocumentPage(
        documents=views,
        page=result.page,
        size=result.size,
        total=result.total,
        total_pages=result.total_pages,
        next_cursor=result.next_cursor,
    )
    return Envelope[PatientDocumentPage](data=page_out)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
