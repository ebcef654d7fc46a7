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

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema

from patient_docs.models.documents import Document
from patient_docs.rules import fhir
from patient_docs.rules.ids import MAX_ID
from patient_docs.schemas.common import Timestamp
from patient_docs.schemas.deferred import Schema

# Optional in a model, never null in its JSON (documented without null, dumped without it).
Absent = SkipJsonSchema[None]
FhirId = Annotated[str, Field(pattern=r"^[A-Za-z0-9\-.]{1,64}$")]


def fhir_json(resource: BaseModel) -> dict[str, Any]:
    """A resource as FHIR JSON: elements without a value are left out, names as FHIR spells them."""
    return resource.model_dump(mode="json", exclude_none=True, by_alias=True)


# ------------------------------------------------------------------ answers
class _Answer(Schema):
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
    """Describes the bytes ``url`` (Binary) serves: for an image, its clean copy (docs/images.md)."""

    content_type: str = Field(
        description="The type Binary serves: the file's real type (its bytes were checked); an image's clean type"
    )
    url: str = Field(description="The file: GET it (Binary) for a redirect to a short-lived download URL")
    size: Annotated[int, Field(ge=0)] | Absent = Field(
        default=None,
        description="Bytes Binary serves; absent while an image's clean copy is not made (Binary answers 409)",
    )
    hash: str | Absent = Field(
        default=None, description="SHA-1 (base64) of the bytes Binary serves: given for an image's clean copy"
    )
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
    def of(cls, doc: Document, base_url: str) -> "DocumentReference":
        kind = fhir.classify(
            doc.record_type, doc.document_category, doc.document_type, patient_photo=doc.source == "file_request"
        )
        created = fhir.instant(doc.created_at)
        served = doc.served_content()  # what Binary serves: an image's clean copy, not the file as sent
        return cls(
            id=str(doc.id),
            meta=Meta(last_updated=fhir.last_updated(doc.updated_at), profile=[fhir.US_CORE_DOCUMENT_REFERENCE]),
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
                        content_type=served.mime_type,
                        url=f"{base_url}/Binary/{doc.id}",
                        size=served.size_bytes,
                        hash=served.sha1,
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


# The patient a search or a create names: an id of doors A and B.
PatientId = Annotated[int, Field(ge=1, le=MAX_ID)]
