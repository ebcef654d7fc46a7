"""POST /v1/file-requests — door C: ask a patient for a file and notify them."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.create_file_request import IDEMPOTENCY, create_file_request
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.timestamps import utc_now
from patient_docs.schemas.file_requests import CreateFileRequestBody, FileRequestOut
from patient_docs.settings import get_settings

app = file_requests.resolver()


@app.post(
    "/v1/file-requests",
    operation_id="createFileRequest",
    status_code=201,
    summary="Create a file request and notify the patient by SMS or app push",
    tags=["Door C: file requests"],
    responses=file_requests.CREATE_ERRORS,
)
def create(
    request: CreateFileRequestBody,
    idempotency_key: Annotated[
        str | None,
        Header(description="1-255 visible ASCII characters. A retry with the same key returns the same request"),
    ] = None,
) -> FileRequestOut:
    created = create_file_request(caller_from_event(app.current_event), request, idempotency_key)
    return FileRequestOut.of(created, get_settings().public_base_url, utc_now())


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    IDEMPOTENCY.register_lambda_context(context)
    return app.resolve(event, context)
