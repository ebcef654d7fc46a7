"""POST /v1/webhooks/{webhookId}/rotate-secret — a new signing secret, shown once; the old one signs
beside it for 24 hours."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.webhooks import rotate_secret
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.webhooks import WEBHOOK_ID_PATTERN, WebhookWithSecret

app = file_requests.resolver()


@app.post(
    "/v1/webhooks/<webhookId>/rotate-secret",
    operation_id="rotateWebhookSecret",
    summary="Rotate a webhook's signing secret (role admin only); the answer holds the new one, once",
    tags=["Webhooks"],
    responses=file_requests.WEBHOOK_ERRORS,
)
def rotate(webhookId: Annotated[str, Path(pattern=WEBHOOK_ID_PATTERN)]) -> WebhookWithSecret:  # noqa: N803
    webhook = rotate_secret(caller_from_event(app.current_event), webhookId)
    logger.info("webhook secret rotated", extra={"webhook_id": webhook.id})
    return WebhookWithSecret.with_secret(webhook)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
