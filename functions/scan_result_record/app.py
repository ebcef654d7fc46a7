"""EventBridge (GuardDuty Malware Protection Object Scan Result) — record a file's malware scan result once."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from patient_docs import request_context
from patient_docs.logic.record_scan_result import ScanResult, record_scan_result
from patient_docs.observability import logger
from patient_docs.request_context import RequestContext
from patient_docs.rules.scanning import status_of_result
from patient_docs.schemas.scan_results import ScanResultEvent


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    try:
        parsed = ScanResultEvent.model_validate(event)
    except ValidationError as exc:
        # Field names only (the error's text quotes the event). It fails, so that Lambda's retries and
        # the dead-letter queue keep it: a result never understood is a file that stays pending.
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors()})
        logger.error("scan result event not understood", extra={"fields": fields})
        raise ValueError("scan result event not understood") from None
    # The audit trail's request id: the event's.
    request_context.set_current(RequestContext(request_id=parsed.id))
    found = parsed.detail.s3_object_details
    result = ScanResult(
        bucket=found.bucket_name,
        object_key=found.object_key,
        status=status_of_result(parsed.detail.scan_result_details.scan_result_status),
        scanned_at=parsed.time,
    )
    return {"outcome": record_scan_result(result)}
