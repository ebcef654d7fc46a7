"""GET /v1/webhook-deliveries — an admin lists the account's webhook deliveries and their tries, newest first."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import file_requests
from patient_docs.logic.webhooks import list_deliveries
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.common import QueryInt
from patient_docs.schemas.webhooks import WEBHOOK_ID_PATTERN, WebhookDeliveryOut, WebhookDeliveryPage

app = file_requests.resolver()


@app.get(
    "/v1/webhook-deliveries",
    operation_id="listWebhookDeliveries",
    summary="The account's webhook deliveries with their tries, newest first (role admin only)",
    tags=["Webhooks"],
    responses=file_requests.WEBHOOK_LIST_ERRORS,
)
def list_all(
    webhookId: Annotated[str | None, Query(pattern=WEBHOOK_ID_PATTERN, description="One endpoint's")] = None,  # noqa: N803
    status: Annotated[Literal["pending", "sending", "delivered", "failed", "skipped"] | None, Query()] = None,
    limit: Annotated[QueryInt, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1024, description="next_cursor of the previous page")] = None,
) -> WebhookDeliveryPage:
    found, next_cursor = list_deliveries(caller_from_event(app.current_event), webhookId, status, limit, cursor)
    return WebhookDeliveryPage(deliveries=[WebhookDeliveryOut.of(d) for d in found], next_cursor=next_cursor)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
