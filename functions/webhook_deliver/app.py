"""SQS (the webhooks queue) — fan each event out to the account's endpoints, then POST each delivery, signed."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs import request_context
from patient_docs.logic.webhooks import handle_message
from patient_docs.observability import logger
from patient_docs.request_context import RequestContext

# A batch that failed whole still answers its failures (no error): only they come back, each after its backoff.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def deliver_record(record: SQSRecord) -> None:
    """One message: an event to fan out, or one try of one delivery (a failed try comes back later)."""
    request_context.set_current(RequestContext(request_id=record.message_id))
    attempt = int(record.attributes.approximate_receive_count or 1)
    outcome = handle_message(record.json_body, attempt, record.receipt_handle)
    logger.info("webhook message processed", extra={"outcome": outcome, "attempt": attempt})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=deliver_record, processor=processor, context=context)
