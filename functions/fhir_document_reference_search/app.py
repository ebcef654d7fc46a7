"""GET /fhir/R4/DocumentReference — door D: search a patient's documents (a searchset Bundle, in pages)."""

import uuid
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from patient_docs.auth import caller_from_event
from patient_docs.errors import InvalidField, NotSupported
from patient_docs.http import fhir
from patient_docs.logic.search_document_references import (
    DEFAULT_COUNT,
    MAX_COUNT,
    ReferencePage,
    ReferenceQuery,
    search_document_references,
)
from patient_docs.observability import CORRELATION_HTTP, logger
from patient_docs.rules import fhir as rules
from patient_docs.rules.cursors import MAX_CURSOR_LENGTH
from patient_docs.rules.timestamps import utc_now
from patient_docs.schemas.common import QueryInt
from patient_docs.schemas.fhir import Bundle, BundleEntry, BundleLink, BundleMeta, DocumentReference

app = fhir.resolver()

# Documented shapes (the parsers in rules/fhir.py decide, and name the parameter when they refuse).
Token = Annotated[str, Field(min_length=1, max_length=300, json_schema_extra={"pattern": rules.TOKEN_PATTERN})]
IdValue = Annotated[str, Field(min_length=1, max_length=2000, json_schema_extra={"pattern": rules.ID_SEARCH_PATTERN})]
DateValue = Annotated[str, Field(min_length=4, max_length=60, json_schema_extra={"pattern": rules.DATE_SEARCH_PATTERN})]
_PATIENT: dict[str, Any] = {"json_schema_extra": {"pattern": rules.PATIENT_SEARCH_PATTERN}}


# What a search reads: its filters, its paging and order, and the result parameters that only shape the
# answer (``_format`` and ``_pretty``: http/fhir.py). Anything else would filter (or include, or elide) in
# a way this server does not, so it is refused by name, modifiers too, whatever ``Prefer: handling`` says:
# an ignored filter would answer more than was asked. ``_summary`` is read below.
FILTERS = ("patient", "_id", "category", "type", "date")
READ = {*FILTERS, "_count", "_sort", "_cursor", "_summary", *fhir.RESULT_PARAMETERS}
# _summary's values this server answers (its resources have no narrative, so data is the whole resource).
SUMMARIES = ("count", "false", "data")


def _pairs() -> list[tuple[str, str]]:
    return parse_qsl(app.current_event.raw_query_string or "", keep_blank_values=True)


def _raw(name: str) -> list[str]:
    """Each occurrence of a parameter as sent (API Gateway joins repeated ones with commas; FHIR reads a
    comma as "any of" and a repetition as "all of", so the raw query decides)."""
    return [value for key, value in _pairs() if key == name]


def _refuse_unsupported() -> None:
    for name, _ in _pairs():
        if name not in READ:
            raise NotSupported(*rules.unsupported_parameter(name), named_by_client=True)


def _parsed(name: str, parse: Any) -> list[Any]:
    try:
        return [parse(value) for value in _raw(name)]
    except ValueError as exc:
        raise InvalidField(name, str(exc)) from exc


@app.get(
    "/fhir/R4/DocumentReference",
    operation_id="searchDocumentReferences",
    summary="Search a patient's documents",
    description="Newest first by default; `link` `next` holds the next page (an opaque `_cursor`).",
    tags=fhir.TAGS,
    responses={**fhir.answers(200, Bundle, "A searchset Bundle"), **fhir.SEARCH_ERRORS},
)
def search(
    patient: Annotated[str, Query(min_length=1, max_length=300, description="Patient/{id} or the id", **_PATIENT)],
    ids: Annotated[
        list[IdValue] | None,
        Query(alias="_id", description=f"Document ids, commas: any of (at most {rules.MAX_IDS}); repeated: all of"),
    ] = None,
    category: Annotated[list[Token] | None, Query(description="[system|]code, commas: any of")] = None,
    type: Annotated[list[Token] | None, Query(description="[system|]code, e.g. http://loinc.org|11502-2")] = None,
    date: Annotated[list[DateValue] | None, Query(description="[eq|ge|le|gt|lt]date; repeat for a range")] = None,
    count: Annotated[
        QueryInt,
        Query(
            alias="_count",
            ge=0,
            description=f"Entries per page, at most {MAX_COUNT} (a larger count is read as {MAX_COUNT}); "
            "0: the total only, as _summary=count",
        ),
    ] = DEFAULT_COUNT,
    sort: Annotated[Literal["-date", "date"], Query(alias="_sort", description="-date: newest first")] = "-date",
    cursor: Annotated[
        str | None, Query(alias="_cursor", max_length=MAX_CURSOR_LENGTH, description="From the next link, as it is")
    ] = None,
    summary: Annotated[
        str | None,
        Query(
            alias="_summary",
            description="count: the total only, no entries; false or data: whole resources (the default; they "
            "have no narrative). true and text are not supported.",
            json_schema_extra={"enum": list(SUMMARIES)},
        ),
    ] = None,
) -> Response[str]:
    _refuse_unsupported()
    base = fhir.base_url()
    try:
        patient_id = rules.patient_of_reference(patient, base)
    except ValueError as exc:
        raise InvalidField("patient", str(exc)) from exc
    if summary is not None and summary not in SUMMARIES:
        if summary in ("true", "text"):
            raise NotSupported("_summary", f"{summary} is not supported: count, data or false")
        raise InvalidField("_summary", "must be count, data or false")
    # FHIR: _count=0 asks for the total only, as _summary=count; a count above the maximum gets the maximum.
    total_only = summary == "count" or count == 0
    applied = min(count, MAX_COUNT) if not total_only else 1
    query = ReferenceQuery(
        ids=_parsed("_id", rules.parse_ids),
        categories=_parsed("category", rules.parse_tokens),
        types=_parsed("type", rules.parse_tokens),
        dates=_parsed("date", rules.parse_date),
        count=applied,
        newest_first=sort == "-date",
        cursor=cursor,
    )
    found = search_document_references(caller_from_event(app.current_event), patient_id, query)
    if total_only:
        found = ReferencePage([], found.total, None)
    # The links repeat the search as applied: what it filtered on, the page size (or the total only) and order.
    search_terms = [("patient", patient), *((n, v) for n in FILTERS[1:] for v in _raw(n))]
    search_terms += [("_summary", "count") if total_only else ("_count", str(applied)), ("_sort", sort)]
    links = [BundleLink(relation="self", url=f"{base}/DocumentReference?{urlencode(search_terms + _cursor(cursor))}")]
    if found.next_cursor:
        next_url = f"{base}/DocumentReference?{urlencode(search_terms + _cursor(found.next_cursor))}"
        links.append(BundleLink(relation="next", url=next_url))
    entries = [
        BundleEntry(full_url=f"{base}/DocumentReference/{doc.id}", resource=DocumentReference.of(doc, base))
        for doc in found.documents
    ]
    bundle = Bundle(
        id=str(uuid.uuid4()),  # API Gateway's request ids may hold "=", which a FHIR id may not
        meta=BundleMeta(last_updated=rules.instant(utc_now())),
        total=found.total,
        link=links,
        entry=entries or None,
    )
    return fhir.resource(200, bundle)


def _cursor(value: str | None) -> list[tuple[str, str]]:
    return [("_cursor", value)] if value else []


@logger.inject_lambda_context(correlation_id_path=CORRELATION_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
