"""POST /v1/webhook-deliveries/{deliveryId}/redeliver — an admin sends a delivered or failed delivery again."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.webhooks import redeliver
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.webhooks import DELIVERY_ID_PATTERN, WebhookDeliveryOut

app = file_requests.resolver()


@app.post(
    "/v1/webhook-deliveries/<deliveryId>/redeliver",
    operation_id="redeliverWebhook",
    status_code=202,
    summary="Deliver a webhook again, the same event id, with fresh tries (role admin only)",
    tags=["Webhooks"],
    responses=file_requests.REDELIVER_ERRORS,
)
def redeliver_one(deliveryId: Annotated[str, Path(pattern=DELIVERY_ID_PATTERN)]) -> WebhookDeliveryOut:  # noqa: N803
    delivery = redeliver(caller_from_event(app.current_event), deliveryId)
    logger.info("webhook redelivery queued", extra={"webhook_delivery_id": delivery.id})
    return WebhookDeliveryOut.of(delivery)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
