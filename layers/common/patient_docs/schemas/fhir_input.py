"""Door D (FHIR R4): the DocumentReference a client creates (only the create reads it).

The model knows every element of an R4 DocumentReference. Those the store has no place for are
accepted and not kept (``meta``, ``identifier``, ``date``, ``author``, ``context``...: the server
records who added the document and when); those whose meaning would be lost are refused
(``implicitRules``, ``modifierExtension``, ``securityLabel``, ``relatesTo``); anything else is not
an element of DocumentReference and is refused by name.
"""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StrictInt, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

from patient_docs.rules import fhir
from patient_docs.schemas.common import DisplayName, FileName, Notes
from patient_docs.schemas.deferred import Schema
from patient_docs.schemas.fhir import Absent

REFUSED_ELEMENTS = {
    "implicitRules": "is not supported: a resource with special rules would be stored without them",
    "modifierExtension": "is not supported: this server does not know the modifier, so it cannot keep its meaning",
    "securityLabel": "is not supported: the document would be stored without its label",
    "relatesTo": "is not supported: documents are not versioned here (no replaces/transforms)",
}


# FHIR's primitive types, as R4 defines them (JSON: a number is a number, never a string).
Instant = Annotated[
    str, Field(max_length=64, json_schema_extra={"pattern": fhir.INSTANT_PATTERN}), AfterValidator(fhir.check_instant)
]
DateTime = Annotated[
    str,
    Field(max_length=64, json_schema_extra={"pattern": fhir.DATE_TIME_PATTERN}),
    AfterValidator(fhir.check_date_time),
]
UnsignedInt = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]


def _refuse(location: tuple[str | int, ...], message: str) -> ValidationError:
    error = PydanticCustomError("fhir_refused", message)
    return ValidationError.from_exception_data(
        "DocumentReference", [InitErrorDetails(type=error, loc=location, input=None)]
    )


def _null_at(value: Any, location: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Where the first null is (FHIR JSON has none), or None."""
    if value is None:
        return location
    if isinstance(value, dict):
        for key, item in value.items():
            found = _null_at(item, (*location, str(key)))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _null_at(item, (*location, index))
            if found is not None:
                return found
    return None


class _Element(Schema):
    """An element of a resource a client sends: ids and extensions accepted (not kept), nothing unknown.
    Only FHIR's own (camelCase) names are read."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel)

    id: Annotated[str, Field(max_length=64)] | Absent = None
    extension: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=50)] | Absent = None


class CodingIn(_Element):
    system: Annotated[str, Field(max_length=1024)] | Absent = None
    version: Annotated[str, Field(max_length=255)] | Absent = None
    code: Annotated[str, Field(min_length=1, max_length=255)] | Absent = None
    display: Annotated[str, Field(max_length=1024)] | Absent = None
    user_selected: StrictBool | Absent = None


class CodeableConceptIn(_Element):
    coding: Annotated[list[CodingIn], Field(min_length=1, max_length=20)] | Absent = None
    text: DisplayName | Absent = None


class SubjectIn(_Element):
    reference: str = Field(
        min_length=1, max_length=2048, description="Patient/{id}: the patient the document belongs to"
    )
    type: Literal["Patient"] | Absent = None
    identifier: dict[str, Any] | Absent = None
    display: Annotated[str, Field(max_length=1024)] | Absent = None


class AttachmentIn(_Element):
    content_type: str = Field(
        min_length=1, max_length=127, description="MIME type; the bytes must really be of this type"
    )
    language: Annotated[str, Field(max_length=35)] | Absent = None
    # repr=False: Powertools formats route arguments into a debug message (file content is PHI).
    data: Annotated[str, Field(min_length=1)] | Absent = Field(
        default=None, repr=False, description="The file, base64, up to the inline limit (4 MiB decoded)"
    )
    url: Annotated[str, Field(min_length=1, max_length=2048)] | Absent = Field(
        default=None, description="Instead of data: the file_url door B's Upload File returned for this patient"
    )
    size: UnsignedInt | Absent = Field(default=None, description="Bytes; checked against data when sent")
    hash: Annotated[str, Field(max_length=64)] | Absent = Field(
        default=None, description="SHA-1, base64; checked against data when sent"
    )
    title: FileName | Absent = Field(default=None, description="The document's name (door A's document_name)")
    creation: DateTime | Absent = Field(default=None, description="A FHIR dateTime; not kept (the server's clock is)")

    @model_validator(mode="after")
    def _data_or_url(self) -> "AttachmentIn":
        if (self.data is None) == (self.url is None):
            raise ValueError("needs either data (the file, base64) or url (door B's file_url), not both")
        return self


class ContentIn(_Element):
    attachment: AttachmentIn
    format: dict[str, Any] | Absent = None


class DocumentReferenceIn(_Element):
    """A document to store: the file inline (``content[0].attachment.data``) or uploaded first through
    door B's presigned POST (``content[0].attachment.url`` = its ``file_url``)."""

    resource_type: Literal["DocumentReference"]
    meta: dict[str, Any] | Absent = None
    language: Annotated[str, Field(max_length=35)] | Absent = None
    text: dict[str, Any] | Absent = None
    contained: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=20)] | Absent = None
    master_identifier: dict[str, Any] | Absent = None
    identifier: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=20)] | Absent = None
    status: Literal["current"] = Field(description="Only current documents are stored")
    doc_status: Literal["preliminary", "final", "amended", "entered-in-error"] | Absent = Field(
        default=None, description="Not kept: documents are signed through door B"
    )
    type: CodeableConceptIn | Absent = Field(
        default=None, description="A LOINC code of docs/api-fhir.md's table classifies the document; text is kept"
    )
    category: Annotated[list[CodeableConceptIn], Field(min_length=1, max_length=10)] | Absent = Field(
        default=None, description="This service's own codes (urn:patient-docs:...)"
    )
    subject: SubjectIn
    date: Instant | Absent = Field(default=None, description="A FHIR instant; not kept (the server's clock is)")
    author: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=20)] | Absent = None
    authenticator: dict[str, Any] | Absent = None
    custodian: dict[str, Any] | Absent = None
    description: Notes | Absent = Field(default=None, description="Kept as door B's notes")
    content: list[ContentIn] = Field(min_length=1, max_length=1, description="One file per document")
    context: dict[str, Any] | Absent = None

    @model_validator(mode="before")
    @classmethod
    def _fhir_json(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        null = _null_at(data)
        if null is not None:
            raise _refuse(null, "must not be null (FHIR JSON leaves an absent element out)")
        for name, message in REFUSED_ELEMENTS.items():
            if name in data:
                raise _refuse((name,), message)
        for index, content in enumerate(data.get("content") or []):
            if isinstance(content, dict) and "modifierExtension" in content:
                raise _refuse(("content", index, "modifierExtension"), REFUSED_ELEMENTS["modifierExtension"])
        return data
