"""POST /v1/webhooks — an admin registers an HTTPS endpoint for some event types; its secret shows once."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.webhooks import register_webhook
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.webhooks import WebhookBody, WebhookWithSecret

app = file_requests.resolver()


@app.post(
    "/v1/webhooks",
    operation_id="createWebhook",
    status_code=201,
    summary="Register a webhook endpoint (role admin only); the answer holds its signing secret, once",
    tags=["Webhooks"],
    responses=file_requests.WEBHOOK_CREATE_ERRORS,
)
def create(request: WebhookBody) -> WebhookWithSecret:
    webhook = register_webhook(caller_from_event(app.current_event), request.url, list(request.event_types))
    logger.info("webhook registered", extra={"webhook_id": webhook.id})
    return WebhookWithSecret.with_secret(webhook)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
