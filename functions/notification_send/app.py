"""SQS (queued patient notifications and reminders) — send each once: app push, else SMS, else email."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs import request_context
from patient_docs.logic.notify_patient import send_queued_notification, send_reminder
from patient_docs.observability import logger
from patient_docs.request_context import RequestContext
from patient_docs.rules.timestamps import utc_now

# A batch that failed whole still answers its failures (no error): only they come back, each after its backoff.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def send_record(record: SQSRecord) -> None:
    """One message, one notice; a throttled one fails alone and comes back after its backoff."""
    request_context.set_current(RequestContext(request_id=record.message_id))
    attempt = int(record.attributes.approximate_receive_count or 1)
    body = record.json_body
    # A reminder's schedule puts {"kind": "reminder"} on the queue; create and resend, the first notice.
    send = send_reminder if body.get("kind") == "reminder" else send_queued_notification
    outcome = send(body["file_request_id"], attempt, record.receipt_handle, utc_now())
    logger.info("notification processed", extra={"outcome": outcome, "attempt": attempt})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=send_record, processor=processor, context=context)
