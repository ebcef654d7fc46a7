"""GET /fhir/R4/metadata — door D: the CapabilityStatement (what this FHIR server supports)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.http import fhir
from patient_docs.logic.search_document_references import MAX_COUNT
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.schemas.fhir_capability import CapabilityStatement, capability_statement
from patient_docs.settings import get_settings

app = fhir.resolver()


@app.get(
    "/fhir/R4/metadata",
    operation_id="getFhirCapabilities",
    summary="What this FHIR R4 server supports (CapabilityStatement)",
    tags=fhir.TAGS,
    responses={**fhir.answers(200, CapabilityStatement, "The CapabilityStatement"), **fhir.METADATA_ERRORS},
)
def get_capabilities() -> Response[str]:
    caller_from_event(app.current_event)  # the same bearer token as every other route
    statement = capability_statement(fhir.base_url(), get_settings().inline_max_bytes, MAX_COUNT)
    return fhir.resource(200, statement)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
