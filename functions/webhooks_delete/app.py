"""DELETE /v1/webhooks/{webhookId} — an admin removes an endpoint; its pending deliveries are skipped."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.webhooks import delete_webhook
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.webhooks import WEBHOOK_ID_PATTERN

app = file_requests.resolver()


@app.delete(
    "/v1/webhooks/<webhookId>",
    operation_id="deleteWebhook",
    status_code=204,
    summary="Remove a webhook endpoint (role admin only)",
    tags=["Webhooks"],
    responses={204: {"description": "Removed"}, **file_requests.WEBHOOK_DELETE_ERRORS},
)
def delete(webhookId: Annotated[str, Path(pattern=WEBHOOK_ID_PATTERN)]) -> Response[None]:  # noqa: N803
    delete_webhook(caller_from_event(app.current_event), webhookId)
    logger.info("webhook deleted", extra={"webhook_id": webhookId})
    return Response(status_code=204, body=None)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
