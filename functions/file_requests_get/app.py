"""GET /v1/file-requests/{fileRequestId} — door C: a file request with its files."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.read_file_requests import get_file_request
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.file_requests import UUID_PATTERN, FileRequestOut

app = file_requests.resolver()


@app.get(
    "/v1/file-requests/<fileRequestId>",
    operation_id="getFileRequest",
    summary="Get a file request; each unexpired file carries a short-lived download_url",
    tags=["Door C: file requests"],
    responses=file_requests.AUDITED_ERRORS,
)
def get(
    fileRequestId: Annotated[str, Path(pattern=UUID_PATTERN)],  # noqa: N803 - the seed's name
) -> FileRequestOut:
    return get_file_request(caller_from_event(app.current_event), fileRequestId.lower())


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
