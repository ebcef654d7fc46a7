"""Annotated field types shared by the doors' models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictInt

from patient_docs.rules.ids import MAX_ID
from patient_docs.rules.names import check_display_text, check_file_name
from patient_docs.rules.timestamps import parse_door_b_datetime
from patient_docs.rules.urls import check_public_https_url

FileName = Annotated[str, Field(max_length=1024), AfterValidator(check_file_name)]
DisplayName = Annotated[str, Field(max_length=1024), AfterValidator(check_display_text)]
PatientNumber = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
DoorBDatetime = Annotated[str, Field(max_length=40), AfterValidator(parse_door_b_datetime)]
PublicHttpsUrl = Annotated[str, Field(max_length=2048), AfterValidator(check_public_https_url)]
ShortText = Annotated[str, Field(max_length=255)]
Notes = Annotated[str, Field(max_length=5000)]


def refuse_server_owned(data: Any, fields: tuple[str, ...]) -> Any:
    """Server-owned fields in a request are refused, never silently overwritten."""
    if isinstance(data, dict):
        for name in fields:
            if name in data:
                raise ValueError(f"'{name}' is set by the server and must not be sent")
    return data
