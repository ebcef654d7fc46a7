"""Error bodies, per door, as documented in the OpenAPI document."""

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from patient_docs.schemas.deferred import Schema


class ErrorDetail(Schema):
    status: int
    code: str
    message: str
    field: str | None = None


class ErrorResponse(Schema):
    """Doors A and C: ``{"error": {"status", "code", "message", "field"}}``."""

    error: ErrorDetail


class VerifyErrorResponse(ErrorResponse):
    """The patient page's date-of-birth check: a wrong answer also says how many tries remain."""

    attempts_left: int | SkipJsonSchema[None] = Field(
        default=None, description="Only for a wrong date of birth: tries left before the link locks"
    )


class DoorBErrorResponse(Schema):
    """Door B: ``{"code": 4000, "message": "...", "data": null}``."""

    code: int
    message: str
    data: None = None


class GatewayErrorResponse(Schema):
    """What API Gateway itself answers before or instead of the function: ``{"message": "Unauthorized"}``.

    The JWT authorizer (401), the payload limit (413), throttling (429) and a failed or timed-out
    function (500, 503) all answer this way, whichever door the route belongs to.
    """

    message: str
