"""EventBridge (a scan's result; S3's Object Created when nothing scans) — an image's clean renditions, once."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from patient_docs import request_context
from patient_docs.logic.process_image import StoredImage, process_image
from patient_docs.observability import logger
from patient_docs.request_context import RequestContext
from patient_docs.rules.scanning import RESULT_SOURCE, status_of_result
from patient_docs.schemas.scan_results import ObjectCreatedEvent, ScanResultEvent


def _stored_image(event: dict[str, Any]) -> tuple[str, StoredImage]:
    if event.get("source") == RESULT_SOURCE:
        result = ScanResultEvent.model_validate(event)
        found = result.detail.s3_object_details
        verdict = result.detail.scan_result_details.scan_result_status
        return result.id, StoredImage(found.bucket_name, found.object_key, status_of_result(verdict), verdict)
    created = ObjectCreatedEvent.model_validate(event)
    return created.id, StoredImage(created.detail.bucket.name, created.detail.object.key)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    try:
        event_id, found = _stored_image(event)
    except ValidationError as exc:
        # Field names only (the error's text quotes the event); it fails, so the dead-letter queue keeps it.
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors()})
        logger.error("image event not understood", extra={"fields": fields})
        raise ValueError("image event not understood") from None
    request_context.set_current(RequestContext(request_id=event_id))
    return {"outcome": process_image(found)}
