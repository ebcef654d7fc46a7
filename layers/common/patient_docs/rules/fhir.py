"""Door D's vocabulary: how the one document record reads as FHIR R4, and FHIR search values.

No I/O and no models: plain values in, plain values out, so the mapping can be read (and tested)
as the table docs/api-fhir.md documents.

Classification. Door A stores a ``record_type`` (five values), door B a ``document_category``
(twelve values) and a free-text ``document_type``; a photo from the patient page (door C) has
both a record type and a category. FHIR reads them as:

* ``category``: the stored classifications, each in its own local code system (``RECORD_TYPE_SYSTEM``
  for door A's record type, ``CATEGORY_SYSTEM`` for door B's category; ``OTHER`` when neither is
  stored, as door B reports it), plus US Core's ``clinical-note`` when the document is a note about
  the patient's care.
* ``type``: a LOINC document code where one fits (``LOINC_TYPES``), else US Core's "unknown"
  (``v3-NullFlavor#UNK``, which the US Core type value set includes); its text is door B's
  ``document_type`` when set, else the label of what is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from patient_docs.rules.ids import MAX_ID
from patient_docs.rules.timestamps import _DAY, _FRACTION, _OFFSET  # door B's calendar days, fractions, offsets

FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"
LOINC = "http://loinc.org"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
US_CORE_DOCUMENT_REFERENCE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference"
# This service's own code systems: the values doors A and B store, verbatim.
RECORD_TYPE_SYSTEM = "urn:patient-docs:record-type"
CATEGORY_SYSTEM = "urn:patient-docs:document-category"
USER_SYSTEM = "urn:patient-docs:user-id"

CLINICAL_NOTE = (US_CORE_CATEGORY, "clinical-note", "Clinical Note")
UNKNOWN_TYPE = (NULL_FLAVOR, "UNK", "unknown")

# The LOINC document codes used, with their display names.
LOINC_TYPES = {
    "11502-2": "Laboratory report",
    "11506-3": "Progress note",
    "18776-5": "Plan of care note",
    "34109-9": "Note",
    "64290-0": "Health insurance card",
}


@dataclass(frozen=True)
class Kind:
    """What one stored classification value means: its label, LOINC type (if any), and whether it is a note."""

    label: str
    loinc: str | None = None
    clinical_note: bool = False


# Door A's record_type (seed 000).
RECORD_TYPES = {
    "Behavioral": Kind("Behavioral", None, True),
    "Exam-Face2Face": Kind("Exam (face to face)", "11506-3", True),
    "Patient Record": Kind("Patient record"),
    "Test Result": Kind("Test result", "11502-2"),
    "Wellness Panel Results": Kind("Wellness panel results", "11502-2"),
}
# Door B's document_category (seed 001).
CATEGORIES = {
    "PERSONAL_DETAILS": Kind("Personal details"),
    "MEDICAL_HISTORY": Kind("Medical history", None, True),
    "DIAGNOSTIC_TESTS": Kind("Diagnostic tests"),
    "PROVIDER_NOTES": Kind("Provider notes", "34109-9", True),
    "INSURANCE": Kind("Insurance"),
    "INSURANCE_CARD": Kind("Insurance card", "64290-0"),
    "INSURANCE_VERIFICATION": Kind("Insurance verification"),
    "FINANCIAL_INFORMATION": Kind("Financial information"),
    "PROTOCOL": Kind("Protocol"),
    "SOAP_SUMMARY_DOCUMENT": Kind("SOAP summary", "11506-3", True),
    "POC_DOCUMENT": Kind("Plan of care", "18776-5", True),
    "OTHER": Kind("Other"),
}
DEFAULT_CATEGORY = "OTHER"
DEFAULT_RECORD_TYPE = "Patient Record"
PHOTO_LABEL = "Photo sent by the patient"

Coding = tuple[str, str, str]  # system, code, display
DocStatus = Literal["preliminary", "final"]


def doc_status_of(signature_status: str | None) -> DocStatus | None:
    """Door B's signature: COMPLETED is a final document, any other status a preliminary one; none, none."""
    if signature_status is None:
        return None
    return "final" if signature_status == "COMPLETED" else "preliminary"


@dataclass(frozen=True)
class Classification:
    categories: list[Coding]
    type_coding: Coding
    type_text: str


def classify(
    record_type: str | None, document_category: str | None, document_type: str | None, patient_photo: bool = False
) -> Classification:
    """The FHIR category and type of a document stored with these values (see the module docstring)."""
    stored: list[tuple[str, str, Kind]] = []
    if document_category in CATEGORIES:
        stored.append((CATEGORY_SYSTEM, document_category, CATEGORIES[document_category]))
    if record_type in RECORD_TYPES:
        stored.append((RECORD_TYPE_SYSTEM, record_type, RECORD_TYPES[record_type]))
    if not stored:
        stored.append((CATEGORY_SYSTEM, DEFAULT_CATEGORY, CATEGORIES[DEFAULT_CATEGORY]))
    categories: list[Coding] = [(system, code, kind.label) for system, code, kind in stored]
    if any(kind.clinical_note for _, _, kind in stored):
        categories.insert(0, CLINICAL_NOTE)
    loinc = next((kind.loinc for _, _, kind in stored if kind.loinc), None)
    type_coding = (LOINC, loinc, LOINC_TYPES[loinc]) if loinc else UNKNOWN_TYPE
    text = document_type or (PHOTO_LABEL if patient_photo else stored[0][2].label)
    return Classification(categories, type_coding, text)


def stored_classification(
    type_codes: list[tuple[str | None, str]], category_codes: list[tuple[str | None, str]]
) -> dict[str, str]:
    """What a created DocumentReference's codings store: ``record_type`` and ``document_category``.

    A coding of this service's own systems is taken as it is (ValueError names an unknown code); a
    LOINC type code of ``LOINC_TYPES`` gives the category and record type that read back as it.
    """
    fields: dict[str, str] = {}
    for system, code in category_codes:
        if system == CATEGORY_SYSTEM:
            if code not in CATEGORIES:
                raise ValueError(f"{CATEGORY_SYSTEM} has no code {code!r}; one of {', '.join(CATEGORIES)}")
            fields.setdefault("document_category", code)
        elif system == RECORD_TYPE_SYSTEM:
            if code not in RECORD_TYPES:
                raise ValueError(f"{RECORD_TYPE_SYSTEM} has no code {code!r}; one of {', '.join(RECORD_TYPES)}")
            fields.setdefault("record_type", code)
    for system, code in type_codes:
        if system == LOINC and code in LOINC_TYPES:
            if "document_category" not in fields and "record_type" not in fields:
                category = next((name for name, kind in CATEGORIES.items() if kind.loinc == code), None)
                record = next((name for name, kind in RECORD_TYPES.items() if kind.loinc == code), None)
                fields.update({"document_category": category} if category else {})
                fields.update({"record_type": record} if record else {})
            break
    return fields


# ------------------------------------------------------------------ search values
Token = tuple[str | None, str]  # (system or None for "any system", code)


def parse_tokens(value: str) -> list[Token]:
    """A token parameter's value: comma-separated ``[system|]code`` alternatives (ValueError if empty)."""
    tokens: list[Token] = []
    for part in value.split(","):
        system, bar, code = part.rpartition("|")
        if not code.strip():
            raise ValueError("must be [system|]code, alternatives separated by commas")
        tokens.append(((system or None) if bar else None, code.strip()))
    return tokens


def token_matches(alternatives: list[Token], codings: list[Coding]) -> bool:
    """Whether any alternative names one of ``codings`` (a token without system matches any system)."""
    return any(
        code == coded and (system is None or system == coded_system)
        for system, code in alternatives
        for coded_system, coded, _ in codings
    )


MAX_IDS = 100  # in one _id value: what one BatchGetItem reads (repetitions intersect: never more)


def parse_ids(value: str) -> set[int]:
    """An ``_id`` value: document ids, comma-separated alternatives, each as a path writes it (ValueError)."""
    ids: set[int] = set()
    parts = value.split(",")
    if len(parts) > MAX_IDS:
        raise ValueError(f"names at most {MAX_IDS} documents")
    for part in parts:
        if not _ID.fullmatch(part) or int(part) > MAX_ID:
            raise ValueError(f"must be document ids (1 to {MAX_ID}, digits without a leading zero), commas: any of")
        ids.add(int(part))
    return ids


_DATE = re.compile(
    r"^(?P<prefix>eq|ne|gt|lt|ge|le|sa|eb|ap)?"
    r"(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2})"
    r"(?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.[0-9]{1,9})?)?"
    rf"(?P<zone>{_OFFSET})?)?)?)?$"
)
DATE_PREFIXES = ("eq", "gt", "lt", "ge", "le")


@dataclass(frozen=True)
class DateBound:
    """A ``date`` search value: its prefix and the range [start, end) its precision covers."""

    prefix: str
    start: datetime
    end: datetime

    def admits(self, moment: datetime) -> bool:
        if self.prefix == "ge":
            return moment >= self.start
        if self.prefix == "gt":
            return moment >= self.end
        if self.prefix == "le":
            return moment < self.end
        if self.prefix == "lt":
            return moment < self.start
        return self.start <= moment < self.end

    def span(self) -> tuple[datetime | None, datetime | None]:
        """What ``admits`` admits, as ``[since, until)`` (None: open on that side)."""
        return {
            "ge": (self.start, None),
            "gt": (self.end, None),
            "le": (None, self.end),
            "lt": (None, self.start),
        }.get(self.prefix, (self.start, self.end))


def stored_span(bounds: list[DateBound]) -> tuple[datetime | None, datetime | None]:
    """The stored times every bound admits, as ``[since, until)`` (None: open; since >= until: none).

    A search compares a time at whole seconds (``at_second``); the bounds are whole seconds or minutes,
    so a stored time's whole second is in ``[since, until)`` exactly when the time itself is."""
    since: datetime | None = None
    until: datetime | None = None
    for bound in bounds:
        low, high = bound.span()
        since = low if since is None or (low is not None and low > since) else since
        until = high if until is None or (high is not None and high < until) else until
    return since, until


def _next_month(year: int, month: int) -> datetime:
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


def parse_date(value: str) -> DateBound:
    """``[prefix]YYYY[-MM[-DD[Thh:mm[:ss[.f]][zone]]]]``: a year, month, day, minute or second (UTC unless
    a zone is given). ValueError says what is wrong."""
    found = _DATE.fullmatch(value)
    if not found:
        raise ValueError("must be [eq|gt|lt|ge|le]YYYY[-MM[-DD[Thh:mm[:ss][Z|+hh:mm]]]]")
    prefix = found["prefix"] or "eq"
    if prefix not in DATE_PREFIXES:
        raise ValueError(f"prefix {prefix} is not supported; use one of {', '.join(DATE_PREFIXES)}")
    parts = found.groupdict()
    try:
        year = int(parts["year"])
        if parts["month"] is None:
            start = datetime(year, 1, 1, tzinfo=UTC)
            return DateBound(prefix, start, datetime(year + 1, 1, 1, tzinfo=UTC))
        month = int(parts["month"])
        if parts["day"] is None:
            start = datetime(year, month, 1, tzinfo=UTC)
            return DateBound(prefix, start, _next_month(year, month))
        day = datetime(year, month, int(parts["day"]), tzinfo=UTC)
        if parts["hour"] is None:
            return DateBound(prefix, day, day + timedelta(days=1))
        zone = UTC if parts["zone"] in (None, "Z") else datetime.strptime(parts["zone"], "%z").tzinfo
        second = parts["second"]
        local = datetime(
            year, month, int(parts["day"]), int(parts["hour"]), int(parts["minute"]), int(second or 0), tzinfo=zone
        )
        start = local.astimezone(UTC)
        return DateBound(prefix, start, start + timedelta(seconds=1 if second is not None else 60))
    except (ValueError, OverflowError) as exc:
        raise ValueError("is not a real date or time") from exc


# Documented shapes of the search values (what the fuzzer and clients read in /openapi.json): real
# calendar days and times, as rules/timestamps.py documents door B's bounds.
_CODE = r"[^,|\s](?:[^,|]*[^,|\s])?"
TOKEN_PATTERN = rf"^(?:[^,|]*\|)?{_CODE}(?:,(?:[^,|]*\|)?{_CODE})*$"
_MONTH = r"[12][0-9]{3}-(?:0[1-9]|1[0-2])"
_TIME = rf"T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9]{_FRACTION})?{_OFFSET}?"
DATE_SEARCH_PATTERN = rf"^(?:eq|gt|lt|ge|le)?(?:[12][0-9]{{3}}|{_MONTH}|{_DAY}(?:{_TIME})?)$"
PATIENT_SEARCH_PATTERN = r"^(?:Patient/)?[1-9][0-9]{0,14}$"
# (up to 15 digits: below 2^53 whatever they are; a 16-digit id up to 2^53 - 1 is taken too)
ID_SEARCH_PATTERN = rf"^[1-9][0-9]{{0,14}}(?:,[1-9][0-9]{{0,14}}){{0,{MAX_IDS - 1}}}$"


def at_second(moment: datetime) -> datetime:
    """A stored time as door D shows it (whole seconds, UTC): what ``date`` searches compare."""
    return moment.astimezone(UTC).replace(microsecond=0)


def instant(moment: datetime) -> str:
    """A FHIR ``instant``/``dateTime``: whole seconds in UTC, with its offset."""
    return at_second(moment).isoformat()


def last_updated(moment: datetime) -> str:
    """``meta.lastUpdated``: an ``instant`` to the millisecond, so a change made within the second of the
    one before (an image's clean copy replacing what is served just after its create) still moves it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


# A parameter name shown back in a refusal: FHIR's own shape (``_lastUpdated``, ``type:not``), nothing
# else (a query may carry anything; a refusal and its log line never repeat free text).
_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}(?::[A-Za-z_][A-Za-z0-9_.\-]{0,63}){0,3}", re.ASCII)
UNNAMED_PARAMETER = "query"


def unsupported_parameter(name: str) -> tuple[str, str]:
    """The refusal of a search parameter this server does not support: (the name to show, why)."""
    shown = name if _PARAMETER_NAME.fullmatch(name) else UNNAMED_PARAMETER
    if ":" in name:
        base, _, modifier = name.partition(":")
        if base == "_has":
            return shown, "is not supported by this server (no reverse chaining)"
        detail = f" (:{modifier})" if shown == name else ""
        return shown, f"modifiers are not supported{detail}: the parameter would be read otherwise than asked"
    if shown != name:
        return shown, "holds a parameter name this server does not support"
    return shown, "is not supported by this server (the CapabilityStatement lists the search parameters it reads)"


_ID = re.compile(r"[1-9][0-9]{0,15}")  # as a path id: no leading zero, no other script's digits
REFERENCE_RULE = "must be Patient/{id} (or the id alone) of a patient of this server"


def patient_of_reference(value: str, base_url: str) -> int:
    """The patient id of ``123``, ``Patient/123`` or ``{base_url}/Patient/123`` (ValueError otherwise)."""
    text = value.strip()
    for prefix in (f"{base_url}/Patient/", "Patient/", ""):
        if text.startswith(prefix) and _ID.fullmatch(text[len(prefix) :]):
            number = int(text[len(prefix) :])
            if not 1 <= number <= MAX_ID:
                raise ValueError(f"names a patient id outside 1..{MAX_ID}")
            return number
    raise ValueError(REFERENCE_RULE)


# ------------------------------------------------------------------ FHIR's primitive types in a created resource
# R4's regular expressions (datatypes.html): a year 0001-9999, a time with seconds (60: a leap second) and a zone.
_FHIR_YEAR = r"(?:[0-9](?:[0-9](?:[0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_FHIR_DAY = rf"{_FHIR_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_FHIR_TIME = rf"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?{_OFFSET}"
_INSTANT = re.compile(rf"{_FHIR_DAY}{_FHIR_TIME}", re.ASCII)
_DATE_TIME = re.compile(
    rf"{_FHIR_YEAR}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12][0-9]|3[01])(?:{_FHIR_TIME})?)?)?", re.ASCII
)
# Their documented shapes (/openapi.json): the safe part, real calendar days of the years 1000-2999 as
# rules/timestamps.py documents door B's, no leap second.
_DOCUMENTED_TIME = rf"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]{_FRACTION}{_OFFSET}"
INSTANT_PATTERN = rf"^{_DAY}{_DOCUMENTED_TIME}$"
DATE_TIME_PATTERN = rf"^(?:[12][0-9]{{3}}|{_MONTH}|{_DAY}(?:{_DOCUMENTED_TIME})?)$"


def _on_the_calendar(value: str) -> None:
    if len(value) >= 10:  # a day: one the calendar has (2026-02-30 matches the pattern)
        try:
            datetime(int(value[0:4]), int(value[5:7]), int(value[8:10]), tzinfo=UTC)
        except ValueError as exc:
            raise ValueError("is not a day of the calendar") from exc


def check_instant(value: str) -> str:
    """A FHIR ``instant``: ``YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm)`` on a real day (ValueError otherwise)."""
    if not _INSTANT.fullmatch(value):
        raise ValueError("must be a FHIR instant: YYYY-MM-DDThh:mm:ss[.fff] and Z or an offset (+hh:mm)")
    _on_the_calendar(value)
    return value


def check_date_time(value: str) -> str:
    """A FHIR ``dateTime``: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or an instant's shape, on a real day."""
    if not _DATE_TIME.fullmatch(value):
        raise ValueError(
            "must be a FHIR dateTime: YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff] and Z or an offset"
        )
    _on_the_calendar(value)
    return value


# ------------------------------------------------------------------ content negotiation
# The media types of the one format served: FHIR JSON (application/json+fhir: DSTU2's name, still sent).
JSON_TYPES = (FHIR_JSON, "application/json", "application/json+fhir")
# FHIR's fhirVersion media type parameter for R4 (http.html#version-parameter: major.minor, 4.0.1 taken too).
R4_VERSIONS = ("4.0", "4.0.1")
# _format's short names (http.html#mime-type).
FORMAT_NAMES = {"json": FHIR_JSON, "xml": "application/fhir+xml", "ttl": "application/fhir+turtle", "html": "text/html"}
# The documented shape of an accepted _format (format_is_fhir_json also takes other cases, spaces, charset).
FORMAT_PATTERN = r"^(?:json|application/(?:fhir\+json|json|json\+fhir)(?:; ?fhirVersion=4\.0(?:\.1)?)?)$"
_QUALITY = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?", re.ASCII)


@dataclass(frozen=True)
class MediaRange:
    kind: str  # type/subtype, lower case ("*/*", "application/*" included)
    quality: float
    fhir_version: str | None

    def r4(self) -> bool:
        return self.fhir_version is None or self.fhir_version in R4_VERSIONS

    def names_fhir(self) -> bool:
        """Whether it asks for a FHIR resource (in any format or version), not a file's own bytes."""
        return self.kind in JSON_TYPES or "fhir" in self.kind


def media_ranges(header: str) -> list[MediaRange]:
    """An ``Accept`` header's (or ``_format``'s) media ranges; a part that is not ``type/subtype`` or whose
    ``q`` is not RFC 9110's qvalue is left out."""
    ranges: list[MediaRange] = []
    for part in header.split(","):
        kind, *parameters = part.split(";")
        kind = kind.strip().lower()
        if kind.count("/") != 1 or " " in kind or kind.startswith("/") or kind.endswith("/"):
            continue
        quality: float | None = 1.0
        version = None
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name == "q":
                quality = float(value) if _QUALITY.fullmatch(value) else None
            elif name == "fhirversion":
                version = value
        if quality is not None:
            ranges.append(MediaRange(kind, quality, version))
    return ranges


def _quality_of(kind: str, ranges: list[MediaRange]) -> float:
    """How much ``ranges`` accept ``kind`` (in R4): the most specific range that covers it decides."""
    family = kind.split("/", 1)[0] + "/*"
    for covering in (kind, family, "*/*"):
        found = [r.quality for r in ranges if r.kind == covering and r.r4()]
        if found:
            return max(found)
    return 0.0


def accepts_fhir_json(accept: str) -> bool:
    """Whether an ``Accept`` header admits the answer this server makes: FHIR R4 JSON. No header (or none
    readable) admits anything; ``*/*`` and ``application/*`` admit it; ``fhirVersion`` other than R4 does not."""
    ranges = media_ranges(accept)
    return not ranges or any(_quality_of(kind, ranges) > 0 for kind in JSON_TYPES)


def format_is_fhir_json(value: str) -> bool:
    """Whether a ``_format`` value (``json``, or a media type with its parameters) names FHIR R4 JSON."""
    text = value.strip()
    ranges = media_ranges(FORMAT_NAMES.get(text.lower(), text))
    return len(ranges) == 1 and ranges[0].kind in JSON_TYPES and ranges[0].r4() and ranges[0].quality > 0


BinaryAnswer = Literal["resource", "file", "none"]


def binary_answer(accept: str) -> BinaryAnswer:
    """What a Binary read's ``Accept`` asks for: the ``resource`` (a JSON media type named, R4), the ``file``
    itself (no header, wildcards, the file's own types), or ``none`` that can be made (FHIR formats only,
    none of them R4 JSON: FHIR XML, another fhirVersion)."""
    ranges = [r for r in media_ranges(accept) if r.quality > 0]
    if any(r.kind in JSON_TYPES and r.r4() for r in ranges):
        return "resource"
    if ranges and all(r.names_fhir() for r in ranges):
        return "none"
    return "file"


def content_type_is_r4(content_type: str) -> bool:
    """Whether a request body's ``Content-Type`` says FHIR R4, or no version (``fhirVersion=4.0`` or none)."""
    ranges = media_ranges(content_type.split(",", 1)[0])
    return not ranges or ranges[0].r4()
