"""GET /v1/file-requests — door C: the account's file requests, newest first, with cursor paging."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.read_file_requests import FileRequestQuery, list_file_requests
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.file_requests import Status
from patient_docs.schemas.common import QueryInt
from patient_docs.schemas.file_requests import UUID_PATTERN, FileRequestPage

app = file_requests.resolver()


@app.get(
    "/v1/file-requests",
    operation_id="listFileRequests",
    summary="List the account's file requests, filtered by patient and status",
    tags=["Door C: file requests"],
    responses=file_requests.AUDITED_ERRORS,
)
def list_requests(
    patientId: Annotated[str | None, Query(pattern=UUID_PATTERN, description="Door C patient UUID")] = None,  # noqa: N803
    status: Annotated[Status | None, Query()] = None,
    limit: Annotated[QueryInt, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1024, description="next_cursor of the previous page")] = None,
) -> FileRequestPage:
    query = FileRequestQuery(
        patient_id=patientId.lower() if patientId else None, status=status, limit=limit, cursor=cursor
    )
    return list_file_requests(caller_from_event(app.current_event), query)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
