"""GET /v1/account-settings — door C: the caller's account SMS settings (or the defaults)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.account_settings import read_account_settings
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.file_requests import AccountSettingsOut

app = file_requests.resolver()


@app.get(
    "/v1/account-settings",
    operation_id="getAccountSettings",
    summary="The account's SMS sender ID and short link lifetime",
    tags=["Door C: account settings"],
    responses=file_requests.ERRORS,
)
def get_settings() -> AccountSettingsOut:
    return AccountSettingsOut.of(read_account_settings(caller_from_event(app.current_event)))


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
