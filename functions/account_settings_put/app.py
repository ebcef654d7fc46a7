"""PUT /v1/account-settings — door C: an admin sets the account's SMS sender ID and link lifetime."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.account_settings import change_account_settings
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.file_requests import AccountSettingsBody, AccountSettingsOut

app = file_requests.resolver()


@app.put(
    "/v1/account-settings",
    operation_id="updateAccountSettings",
    summary="Change the account's SMS settings (role admin only)",
    tags=["Door C: account settings"],
    responses=file_requests.SETTINGS_ERRORS,
)
def put_settings(request: AccountSettingsBody) -> AccountSettingsOut:
    settings = change_account_settings(caller_from_event(app.current_event), request)
    logger.info("account settings changed")
    return AccountSettingsOut.of(settings)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
