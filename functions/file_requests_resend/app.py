"""POST /v1/file-requests/{fileRequestId}/resend — door C: notify the patient again (rate-limited)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.change_file_request import resend_notification
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.file_requests import UUID_PATTERN, FileRequestOut

app = file_requests.resolver()


@app.post(
    "/v1/file-requests/<fileRequestId>/resend",
    operation_id="resendFileRequest",
    summary="Notify the patient again: at most once a minute and 5 times per request",
    tags=["Door C: file requests"],
    responses=file_requests.RESEND_ERRORS,
)
def resend(
    fileRequestId: Annotated[str, Path(pattern=UUID_PATTERN)],  # noqa: N803 - the seed's name
) -> FileRequestOut:
    return resend_notification(caller_from_event(app.current_event), fileRequestId.lower())


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
