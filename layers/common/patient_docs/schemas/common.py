"""Annotated field types shared by the doors' models."""

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictInt, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from patient_docs.rules.ids import MAX_ID, digits_only
from patient_docs.rules.names import (
    FILE_NAME_PATTERN,
    FREE_TEXT_PATTERN,
    MAX_NAME_LENGTH,
    NAME_PATTERN,
    check_file_name,
    check_free_text,
    check_name,
)
from patient_docs.rules.timestamps import DATETIME_PATTERN, parse_door_b_datetime
from patient_docs.rules.urls import PUBLIC_HTTPS_URL_PATTERN, check_public_https_url

# ``json_schema_extra`` documents each rule in /openapi.json; the validators enforce it (they
# also accept a little more, e.g. surrounding spaces, so the documented shape is the safe one).
FileName = Annotated[
    str,
    Field(max_length=1024, json_schema_extra={"pattern": FILE_NAME_PATTERN, "maxLength": MAX_NAME_LENGTH}),
    AfterValidator(check_file_name),
]
# Every stored text people read follows rules/names.py: a single-line name, or free text (notes).
DisplayName = Annotated[
    str,
    Field(max_length=1024, json_schema_extra={"pattern": NAME_PATTERN, "maxLength": MAX_NAME_LENGTH}),
    AfterValidator(check_name),
]
MAX_NOTES_LENGTH = 5000


def _notes(value: str) -> str:
    return check_free_text(value, MAX_NOTES_LENGTH)


Notes = Annotated[
    str,
    Field(
        max_length=4 * MAX_NOTES_LENGTH, json_schema_extra={"pattern": FREE_TEXT_PATTERN, "maxLength": MAX_NOTES_LENGTH}
    ),
    AfterValidator(_notes),
]


def _blank_as_none(value: Any) -> Any:
    """An optional text sent as "" (or spaces) is no text: stored as absent, as null would be."""
    return None if isinstance(value, str) and not value.strip() else value


OptionalDisplayName = Annotated[DisplayName | None, BeforeValidator(_blank_as_none)]
OptionalNotes = Annotated[Notes | None, BeforeValidator(_blank_as_none)]


def whole_number(value: Any) -> Any:
    """JSON has one number type, and JSON Schema counts ``309.0`` as an integer: so do we.

    Strings and booleans stay refused (``"309"``, ``true``): the field is a number.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer id in a URL path: digits only, then 1..2^53-1 (``Annotated[PathId, Path(...)]``).
PathId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(digits_only)]
# An integer query parameter: digits only, as a path id; its bounds go on the parameter
# (``Annotated[QueryInt, Query(ge=1, le=100)]``), where /openapi.json documents them.
QueryInt = Annotated[int, BeforeValidator(digits_only)]


def true_or_false(value: Any) -> Any:
    """A boolean in a query string as JSON writes one: ``true`` or ``false``, lower case.

    Pydantic would also read ``True``, ``1``, ``yes``, ``on``, ``t``, ``y`` (and their opposites) as a boolean."""
    if isinstance(value, str) and value not in ("true", "false"):
        raise ValueError("must be true or false")
    return value


# A boolean query parameter (``Annotated[QueryBool | None, Query(...)]``): true or false.
QueryBool = Annotated[bool, BeforeValidator(true_or_false)]


# A JSON integer in a request body: 309 or 309.0, never "309", true or 309.5.
JsonInt = Annotated[StrictInt, BeforeValidator(whole_number)]


# A bounded JsonInt takes its bounds on the integer, before the validator. Put on the field
# (``x: JsonInt | None = Field(ge=…)``), pydantic enforces them but writes ``ge``/``le`` into the JSON
# Schema, which no client or validator reads as bounds.
PatientNumber = Annotated[StrictInt, Field(ge=1, le=MAX_ID), BeforeValidator(whole_number)]
VisitCount = Annotated[StrictInt, Field(ge=0, le=100000), BeforeValidator(whole_number)]
DoorBDatetime = Annotated[
    str, Field(max_length=40, json_schema_extra={"pattern": DATETIME_PATTERN}), AfterValidator(parse_door_b_datetime)
]
PublicHttpsUrl = Annotated[
    str,
    Field(max_length=2048, json_schema_extra={"pattern": PUBLIC_HTTPS_URL_PATTERN}),
    AfterValidator(check_public_https_url),
]
# Timestamps as the doors send them, all in UTC. Doors A and C write an offset (2026-04-01T12:00:00+00:00):
# RFC 3339, documented as ``format: date-time``. Door B writes none (2026-04-01T12:00:00), as the vendor
# does; RFC 3339 requires an offset, so a client's date-time parser could refuse the value or read it
# as local time: it is documented as a string of that exact shape instead, and its description says UTC.
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
NAIVE_UTC_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$"
NaiveUtcTimestamp = Annotated[
    str,
    Field(json_schema_extra={"pattern": NAIVE_UTC_PATTERN, "description": "UTC, without an offset"}),
]
# A calendar day, YYYY-MM-DD (RFC 3339 full-date).
Day = Annotated[str, Field(json_schema_extra={"format": "date"})]


def refuse_server_owned(data: Any, fields: Iterable[str]) -> Any:
    """Server-owned fields in a request are refused, never silently overwritten.

    The error is located at the field itself, so the 400 names it (``doc.id`` in door A).
    """
    if isinstance(data, dict):
        for name in fields:
            if name in data:
                error = PydanticCustomError("server_owned", "is set by the server and must not be sent")
                raise ValidationError.from_exception_data(
                    "server-owned field", [InitErrorDetails(type=error, loc=(name,), input=None)]
                )
    return data
