"""GET /v1/me/access-log — who accessed the calling patient's documents (a patient token)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.read_audit import access_log
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.cursors import MAX_CURSOR_LENGTH
from patient_docs.schemas.audit import AccessLogEntryOut, AccessLogPage
from patient_docs.schemas.common import QueryInt

app = file_requests.resolver()


@app.get(
    "/v1/me/access-log",
    operation_id="getAccessLog",
    summary="Who opened, listed, changed or added the calling patient's documents, newest first",
    tags=["Audit trail"],
    responses=file_requests.ACCESS_LOG_ERRORS,
)
def get_access_log(
    limit: Annotated[QueryInt, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="next_cursor of the previous page")
    ] = None,
) -> AccessLogPage:
    entries, next_cursor = access_log(caller_from_event(app.current_event), limit, cursor)
    return AccessLogPage(entries=[AccessLogEntryOut.of(entry) for entry in entries], next_cursor=next_cursor)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
