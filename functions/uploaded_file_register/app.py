"""SQS (S3 ObjectCreated under file-requests/) — check each uploaded photo and record it once."""

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs import request_context
from patient_docs.logic.register_uploaded_file import register_uploaded_file
from patient_docs.observability import logger
from patient_docs.request_context import RequestContext
from patient_docs.rules.timestamps import utc_now
from patient_docs.settings import get_settings

processor = BatchProcessor(event_type=EventType.SQS)


def register_record(record: SQSRecord) -> None:
    """One SQS message carries one S3 event; a failure here retries just this message."""
    notification = record.json_body
    bucket = get_settings().bucket_name
    for entry in notification.get("Records", []):  # absent in S3's test event
        if entry.get("s3", {}).get("bucket", {}).get("name") != bucket:
            continue
        key = unquote_plus(entry["s3"]["object"]["key"])  # S3 URL-encodes keys in events
        # The audit trail's request id and source: the queue message, and the address the photo came from.
        source_ip = (entry.get("requestParameters") or {}).get("sourceIPAddress")
        request_context.set_current(RequestContext(request_id=record.message_id, source_ip=source_ip))
        outcome = register_uploaded_file(key, utc_now())
        logger.info("upload processed", extra={"outcome": outcome})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=register_record, processor=processor, context=context)
