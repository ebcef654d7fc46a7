"""Door D (FHIR R4): the resources it answers with and the DocumentReference it accepts.

Models of our own for the few resources emitted (the tests validate every answer against the
R4 models of ``fhir.resources`` and ``fhirclient``). FHIR JSON has no nulls and no empty arrays:
answers are dumped with ``fhir_json`` (absent, never null), and a request holding a null is refused.

The create model knows every element of an R4 DocumentReference. Those the store has no place for
are accepted and not kept (``meta``, ``identifier``, ``date``, ``author``, ``context``...: the server
records who added the document and when); those whose meaning would be lost are refused
(``implicitRules``, ``modifierExtension``, ``securityLabel``, ``relatesTo``); anything else is not
an element of DocumentReference and is refused by name.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import InitErrorDetails, PydanticCustomError

from patient_docs.models.documents import Document
from patient_docs.rules import fhir
from patient_docs.rules.ids import MAX_ID
from patient_docs.schemas.common import DisplayName, FileName, Notes, Timestamp

# Optional in a model, never null in its JSON (documented without null, dumped without it).
Absent = SkipJsonSchema[None]
FhirId = Annotated[str, Field(pattern=r"^[A-Za-z0-9\-.]{1,64}$")]


def fhir_json(resource: BaseModel) -> dict[str, Any]:
    """A resource as FHIR JSON: elements without a value are left out, names as FHIR spells them."""
    return resource.model_dump(mode="json", exclude_none=True, by_alias=True)


# ------------------------------------------------------------------ answers
class _Answer(BaseModel):
    """FHIR spells its elements in camelCase (``resourceType``); the code in snake_case."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )


class Coding(_Answer):
    system: str
    code: str
    display: str | Absent = None


class CodeableConcept(_Answer):
    coding: list[Coding] = Field(min_length=1)
    text: str | Absent = None


class Identifier(_Answer):
    system: str
    value: str


class Reference(_Answer):
    reference: str | Absent = None
    type: str | Absent = None
    identifier: Identifier | Absent = None
    display: str | Absent = None


class Meta(_Answer):
    last_updated: Timestamp
    profile: list[str] | Absent = None


class Attachment(_Answer):
    content_type: str = Field(description="The file's real type (its bytes were checked)")
    url: str = Field(description="The file: GET it (Binary) for a redirect to a short-lived download URL")
    size: int = Field(ge=0, description="Bytes")
    title: str = Field(description="The document's name")
    creation: Timestamp


class DocumentReferenceContent(_Answer):
    attachment: Attachment


class DocumentReference(_Answer):
    """A stored document as US Core DocumentReference (docs/api-fhir.md has the mapping)."""

    resource_type: Literal["DocumentReference"] = "DocumentReference"
    id: str = Field(description="The document id of doors A and B")
    meta: Meta
    status: Literal["current"]
    doc_status: fhir.DocStatus | Absent = Field(
        default=None, description="From door B's signature_status: COMPLETED is final, any other preliminary"
    )
    type: CodeableConcept
    category: list[CodeableConcept] = Field(min_length=1)
    subject: Reference
    date: Timestamp
    author: list[Reference] = Field(min_length=1)
    description: str | Absent = Field(default=None, description="Door B's notes")
    content: list[DocumentReferenceContent] = Field(min_length=1, max_length=1)

    @classmethod
    def of(cls, doc: Document, base_url: str) -> DocumentReference:
        kind = fhir.classify(
            doc.record_type, doc.document_category, doc.document_type, patient_photo=doc.source == "file_request"
        )
        created = fhir.instant(doc.created_at)
        return cls(
            id=str(doc.id),
            meta=Meta(last_updated=fhir.instant(doc.updated_at), profile=[fhir.US_CORE_DOCUMENT_REFERENCE]),
            status="current",
            doc_status=fhir.doc_status_of(doc.signature_status),
            type=CodeableConcept(coding=[_coding(kind.type_coding)], text=kind.type_text),
            category=[CodeableConcept(coding=[_coding(coding)], text=coding[2]) for coding in kind.categories],
            subject=Reference(reference=f"Patient/{doc.patient_id}", type="Patient"),
            date=created,
            author=[_author(doc)],
            description=doc.notes,
            content=[
                DocumentReferenceContent(
                    attachment=Attachment(
                        content_type=doc.mime_type,
                        url=f"{base_url}/Binary/{doc.id}",
                        size=doc.size_bytes,
                        title=doc.name,
                        creation=created,
                    )
                )
            ],
        )


def _coding(coding: fhir.Coding) -> Coding:
    system, code, display = coding
    return Coding(system=system, code=code, display=display)


def _author(doc: Document) -> Reference:
    """Who added it: the patient (by reference), or the staff member's user id and name from their token."""
    if doc.author == "patient":
        return Reference(reference=f"Patient/{doc.patient_id}", type="Patient")
    user = Identifier(system=fhir.USER_SYSTEM, value=str(doc.uploaded_by))
    return Reference(type="Practitioner", identifier=user, display=doc.uploaded_by_name)


class BundleLink(_Answer):
    relation: Literal["self", "next"]
    url: str


class BundleSearch(_Answer):
    mode: Literal["match"] = "match"


class BundleEntry(_Answer):
    full_url: str
    resource: DocumentReference
    search: BundleSearch = Field(default_factory=BundleSearch)


class BundleMeta(_Answer):
    last_updated: Timestamp


class Bundle(_Answer):
    """A page of a DocumentReference search: ``link`` ``next`` holds the next page's opaque cursor."""

    resource_type: Literal["Bundle"] = "Bundle"
    id: str
    meta: BundleMeta
    type: Literal["searchset"] = "searchset"
    total: int = Field(ge=0, description="Matches on every page")
    link: list[BundleLink] = Field(min_length=1)
    entry: Annotated[list[BundleEntry], Field(min_length=1)] | Absent = Field(
        default=None, description="Absent on an empty page"
    )


class Binary(_Answer):
    """A small file inline (``Accept: application/fhir+json``); larger ones are served by redirect."""

    resource_type: Literal["Binary"] = "Binary"
    id: str
    content_type: str
    security_context: Reference
    data: str = Field(description="The file, base64", repr=False)


class OperationOutcomeIssue(_Answer):
    severity: Literal["fatal", "error", "warning", "information"]
    code: str = Field(description="FHIR issue type (invalid, not-found, forbidden, ...)")
    diagnostics: str
    expression: list[str] | Absent = Field(default=None, description="The field at fault")


class OperationOutcome(_Answer):
    """Every refusal of door D: the HTTP status says what kind, ``expression`` names the field."""

    resource_type: Literal["OperationOutcome"] = "OperationOutcome"
    issue: list[OperationOutcomeIssue] = Field(min_length=1)


# ------------------------------------------------------------------ the capability statement
class CapabilitySoftware(_Answer):
    name: str
    version: str


class CapabilityImplementation(_Answer):
    description: str
    url: str


class CapabilitySecurity(_Answer):
    cors: bool
    service: list[CodeableConcept]
    description: str


class CapabilityInteraction(_Answer):
    code: Literal["read", "search-type", "create"]
    documentation: str | Absent = None


class CapabilitySearchParam(_Answer):
    name: str
    definition: str
    type: Literal["reference", "token", "date"]
    documentation: str


class CapabilityResource(_Answer):
    type: Literal["DocumentReference", "Binary"]
    supported_profile: list[str] | Absent = None
    documentation: str
    interaction: list[CapabilityInteraction] = Field(min_length=1)
    versioning: Literal["no-version"] = "no-version"
    read_history: bool = False
    update_create: bool = False
    conditional_create: bool = False
    conditional_read: Literal["not-supported"] = "not-supported"
    conditional_update: bool = False
    conditional_delete: Literal["not-supported"] = "not-supported"
    search_param: list[CapabilitySearchParam] | Absent = None


class CapabilityRest(_Answer):
    mode: Literal["server"] = "server"
    documentation: str
    security: CapabilitySecurity
    resource: list[CapabilityResource] = Field(min_length=1)


class CapabilityStatement(_Answer):
    """What door D supports, and only that."""

    resource_type: Literal["CapabilityStatement"] = "CapabilityStatement"
    status: Literal["active"] = "active"
    date: str = Field(json_schema_extra={"format": "date"})
    publisher: str
    kind: Literal["instance"] = "instance"
    software: CapabilitySoftware
    implementation: CapabilityImplementation
    fhir_version: Literal["4.0.1"] = "4.0.1"
    format: list[str] = Field(min_length=1)
    rest: list[CapabilityRest] = Field(min_length=1)


# The day this statement last changed (CapabilityStatement.date).
CAPABILITY_DATE = "2026-12-01"
_SEARCH_PARAMETERS = (
    ("patient", "clinical-patient", "reference", "Required: Patient/{id} or the id (a patient token: its own)"),
    ("category", "DocumentReference-category", "token", "[system|]code; commas: any of; repeated: all of"),
    ("type", "clinical-type", "token", "[system|]code, e.g. http://loinc.org|11502-2; commas: any of"),
    ("date", "DocumentReference-date", "date", "Prefixes eq (default), ge, le, gt, lt; repeat for a range"),
)


def capability_statement(base_url: str, inline_max_bytes: int, max_count: int) -> CapabilityStatement:
    """What door D supports, at ``base_url``: nothing more is claimed (no SMART on FHIR, no history)."""
    search = [
        CapabilitySearchParam(
            name=name, definition=f"http://hl7.org/fhir/SearchParameter/{ident}", type=kind, documentation=text
        )
        for name, ident, kind, text in _SEARCH_PARAMETERS
    ]
    documents = CapabilityResource(
        type="DocumentReference",
        supported_profile=[fhir.US_CORE_DOCUMENT_REFERENCE],
        documentation=(
            f"Every document of the service, whichever door stored it. Search: _count (1-{max_count}), "
            "_sort (-date, the default, or date), and the next link's opaque _cursor. Create: one file, "
            f"inline in content[0].attachment.data (at most {inline_max_bytes} bytes decoded) or uploaded "
            "first through POST /apis/v1/file/upload/presigned and named by its file_url in "
            "content[0].attachment.url."
        ),
        interaction=[
            CapabilityInteraction(code="read"),
            CapabilityInteraction(code="search-type"),
            CapabilityInteraction(code="create"),
        ],
        search_param=search,
    )
    binary = CapabilityResource(
        type="Binary",
        documentation=(
            "A document's file: a redirect (302) to a short-lived download URL, or with Accept: "
            "application/fhir+json a Binary resource holding it when it is small."
        ),
        interaction=[CapabilityInteraction(code="read")],
    )
    security = CapabilitySecurity(
        cors=True,
        service=[
            CodeableConcept(
                coding=[
                    Coding(
                        system="http://terminology.hl7.org/CodeSystem/restful-security-service",
                        code="OAuth",
                        display="OAuth",
                    )
                ],
                text="Bearer JWT",
            )
        ],
        description=(
            "Authorization: Bearer <JWT> from the deployment's identity provider, checked by the API's JWT "
            "authorizer; the token's role (staff, admin, patient) and account decide what is seen, and a "
            "patient token sees its own documents only. SMART on FHIR is not supported."
        ),
    )
    return CapabilityStatement(
        date=CAPABILITY_DATE,
        publisher="patient-docs",
        software=CapabilitySoftware(name="patient-docs", version="1.0.0"),
        implementation=CapabilityImplementation(description="patient-docs, door D (FHIR R4)", url=base_url),
        format=["json"],
        rest=[
            CapabilityRest(
                documentation="The same documents as doors A, B and C, as FHIR R4.",
                security=security,
                resource=[documents, binary],
            )
        ],
    )


# ------------------------------------------------------------------ the DocumentReference a client creates
REFUSED_ELEMENTS = {
    "implicitRules": "is not supported: a resource with special rules would be stored without them",
    "modifierExtension": "is not supported: this server does not know the modifier, so it cannot keep its meaning",
    "securityLabel": "is not supported: the document would be stored without its label",
    "relatesTo": "is not supported: documents are not versioned here (no replaces/transforms)",
}


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


class _Element(BaseModel):
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
    user_selected: bool | Absent = None


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
    size: Annotated[int, Field(ge=0, le=2**31 - 1)] | Absent = Field(
        default=None, description="Bytes; checked against data when sent"
    )
    hash: Annotated[str, Field(max_length=64)] | Absent = Field(
        default=None, description="SHA-1, base64; checked against data when sent"
    )
    title: FileName | Absent = Field(default=None, description="The document's name (door A's document_name)")
    creation: Annotated[str, Field(max_length=40)] | Absent = None

    @model_validator(mode="after")
    def _data_or_url(self) -> AttachmentIn:
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
    date: Annotated[str, Field(max_length=40)] | Absent = None
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


# The patient a search or a create names: an id of doors A and B.
PatientId = Annotated[int, Field(ge=1, le=MAX_ID)]
