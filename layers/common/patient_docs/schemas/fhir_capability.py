"""Door D (FHIR R4): the CapabilityStatement ``GET /fhir/metadata`` answers (its function alone builds it)."""

from typing import Literal

from pydantic import Field

from patient_docs.rules import fhir
from patient_docs.schemas.fhir import Absent, CodeableConcept, Coding, _Answer


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
CAPABILITY_DATE = "2026-12-02"
_SEARCH_PARAMETERS = (
    ("patient", "clinical-patient", "reference", "Required: Patient/{id} or the id (a patient token: its own)"),
    ("_id", "Resource-id", "token", "Document ids of the patient; commas: any of"),
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
            f"Every document of the service, whichever door stored it. Search: _count (at most {max_count}, a "
            f"larger count is read as {max_count}; 0: the total alone), _summary (count; data and false: the default), "
            "_sort (-date, the default, or date), and the next link's opaque _cursor; any other search parameter "
            "and every modifier is refused (400, not-supported), whatever Prefer: handling says. Create: one file, "
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
            "application/fhir+json (or _format=json) a Binary resource holding it when it is small."
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
                documentation=(
                    "The same documents as doors A, B and C, as FHIR R4. JSON only: an Accept or _format that "
                    "admits no FHIR R4 JSON is a 406; _pretty=true lays the JSON out."
                ),
                security=security,
                resource=[documents, binary],
            )
        ],
    )
