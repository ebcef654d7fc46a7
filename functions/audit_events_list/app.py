"""GET /v1/audit-events — an account's access-audit events, newest first (role admin)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from patient_docs.auth import caller_from_event
from patient_docs.errors import InvalidField
from patient_docs.http import file_requests
from patient_docs.logic.read_audit import AuditQuery, list_audit_events
from patient_docs.models.audit import AuditAction
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules.cursors import MAX_CURSOR_LENGTH
from patient_docs.rules.ids import MAX_ID
from patient_docs.rules.timestamps import RANGE_BOUND_PATTERN, parse_range_bound
from patient_docs.schemas.audit import AuditEventOut, AuditEventPage
from patient_docs.schemas.common import QueryInt
from patient_docs.schemas.file_requests import UUID_PATTERN

app = file_requests.resolver()
# Documented in /openapi.json; _bound() decides.
_BOUND: dict[str, Any] = {"json_schema_extra": {"pattern": RANGE_BOUND_PATTERN}}


def _bound(name: str, value: str | None, end: bool) -> Any:
    if value is None:
        return None
    try:
        return parse_range_bound(value, end)
    except ValueError as exc:
        raise InvalidField(name, str(exc)) from exc


@app.get(
    "/v1/audit-events",
    operation_id="listAuditEvents",
    summary="The account's access-audit events, newest first (role admin only)",
    tags=["Audit trail"],
    responses=file_requests.AUDIT_EVENTS_ERRORS,
)
def list_events(
    patient_id: Annotated[QueryInt | None, Query(ge=1, le=MAX_ID, description="The patient's number")] = None,
    document_id: Annotated[QueryInt | None, Query(ge=1, le=MAX_ID)] = None,
    file_request_id: Annotated[str | None, Query(pattern=UUID_PATTERN)] = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=256, description="The actor's sub")] = None,
    action: Annotated[AuditAction | None, Query(description="A dotted action name (docs/audit.md)")] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=40, description="at or after", **_BOUND)] = None,
    to: Annotated[str | None, Query(max_length=40, description="at or before", **_BOUND)] = None,
    limit: Annotated[QueryInt, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description="next_cursor of the previous page")
    ] = None,
) -> AuditEventPage:
    query = AuditQuery(
        patient_id=patient_id,
        document_id=document_id,
        file_request_id=file_request_id.lower() if file_request_id else None,
        actor=actor,
        action=action,
        start=_bound("from", from_, end=False),
        end=_bound("to", to, end=True),
        limit=limit,
        cursor=cursor,
    )
    events, next_cursor = list_audit_events(caller_from_event(app.current_event), query)
    return AuditEventPage(events=[AuditEventOut.of(event) for event in events], next_cursor=next_cursor)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
