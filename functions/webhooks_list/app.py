"""GET /v1/webhooks — an admin lists the account's webhook endpoints (never their secrets)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.webhooks import list_webhooks
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.webhooks import WebhookList, WebhookOut

app = file_requests.resolver()


@app.get(
    "/v1/webhooks",
    operation_id="listWebhooks",
    summary="The account's webhook endpoints (role admin only)",
    tags=["Webhooks"],
    responses=file_requests.WEBHOOK_LIST_ERRORS,
)
def list_all() -> WebhookList:
    found = list_webhooks(caller_from_event(app.current_event))
    return WebhookList(webhooks=[WebhookOut.of(webhook) for webhook in found])


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
