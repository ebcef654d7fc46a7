"""Is this FHIR R4? Every resource door D answers is checked by two kept libraries and FHIR JSON's own rules.

* ``fhir.resources`` (its R4B models: R4's DocumentReference, Binary, Bundle, OperationOutcome and
  CapabilityStatement unchanged): element names, types, cardinality, primitive formats; and every
  code whose element the library marks with its value set (``enum_values``: status, Bundle.type,
  search.mode, issue severity and type, ...) must be one of its codes, which the models alone do not check.
* ``fhirclient`` (R4 4.0.1 models, the SMART client library): parsed strictly, and written back
  the same, so that it holds no element the client library does not know.
* FHIR JSON: no ``null``, no empty array, object or string anywhere.

``assert_us_core_document_reference`` adds the US Core DocumentReference profile's rules.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhirclient.models.fhirelementfactory import FHIRElementFactory
from pydantic import BaseModel

US_CORE_DOCUMENT_REFERENCE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference"
LOINC = "http://loinc.org"
UNKNOWN = ("http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "UNK")


def _fhir_json_rules(value: Any, path: str = "") -> None:
    assert value is not None, f"{path}: FHIR JSON has no null"
    if isinstance(value, dict):
        assert value, f"{path}: FHIR JSON has no empty object"
        for key, item in value.items():
            _fhir_json_rules(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        assert value, f"{path}: FHIR JSON has no empty array"
        for index, item in enumerate(value):
            _fhir_json_rules(item, f"{path}[{index}]")
    elif isinstance(value, str):
        assert value.strip(), f"{path}: FHIR JSON has no empty string"


def _codes_in_value_sets(model: BaseModel, path: str) -> None:
    """Every coded element the library binds to a value set (``enum_values``) holds one of its codes."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        allowed = extra.get("enum_values")
        for item in value if isinstance(value, list) else [value]:
            if allowed and isinstance(item, str):
                assert item in allowed, f"{path}.{name}: {item!r} is not one of {allowed}"
            if isinstance(item, BaseModel):
                _codes_in_value_sets(item, f"{path}.{name}")


def valid_r4(resource: dict[str, Any]) -> Any:
    """``resource`` parsed by fhir.resources and by fhirclient, after FHIR JSON's rules; fhirclient's object."""
    _fhir_json_rules(resource)
    kind = resource["resourceType"]
    model = get_fhir_model_class(kind).model_validate(resource)
    _codes_in_value_sets(model, kind)
    parsed = FHIRElementFactory.instantiate(kind, resource)
    assert parsed.as_json() == resource, "fhirclient wrote back something else: an element it does not know"
    return parsed


def assert_us_core_document_reference(resource: dict[str, Any]) -> None:
    """The US Core DocumentReference profile's must-haves, beyond R4's."""
    valid_r4(resource)
    assert US_CORE_DOCUMENT_REFERENCE in resource["meta"]["profile"]
    assert resource["status"] in ("current", "superseded", "entered-in-error")
    # type 1..1, bound (required) to LOINC document codes and "unknown"
    codings = resource["type"]["coding"]
    assert codings and all(c["system"] == LOINC or (c["system"], c["code"]) == UNKNOWN for c in codings), codings
    # category 1..*, each coded
    assert resource["category"] and all(
        c["coding"][0]["system"] and c["coding"][0]["code"] for c in resource["category"]
    )
    assert resource["subject"]["reference"].startswith("Patient/")
    assert resource["date"] and resource["author"]
    for content in resource["content"]:
        attachment = content["attachment"]
        assert attachment["contentType"]
        assert "url" in attachment or "data" in attachment  # us-core-6
