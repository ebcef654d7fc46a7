"""Door D search: a patient's documents as DocumentReferences, filtered by _id, category, type and date, in pages.

Reads in proportion to the page, as door B's list does (logic/search_documents.py): the ``date``
parameters become one creation-time range of the patient's index (whole seconds, so exact). Without
``category`` or ``type``, a page is one Query with ``Limit`` (``_count`` + 1 entries) from the cursor,
and ``total`` comes from the patient's kept counts (its total; for a range, its days' and hours'
counts and its partial end hours' documents). ``category`` and ``type`` cannot use a key: the range's
documents are read, at most ``FILTER_READ_LIMIT`` (more is a 400 naming ``date``, asking for a
narrower range); ``_id`` reads the documents it names (at most ``fhir.MAX_IDS``, one BatchGetItem). The
cursor is the index position of a page's last document within the patient's own partition: it moves
only within the patient's list, and a document added meanwhile never shifts a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from patient_docs.adapters import documents_table
from patient_docs.adapters.table import INDEX_POSITION, Key
from patient_docs.auth import Caller
from patient_docs.errors import InvalidField
from patient_docs.logic import audit_trail, search_documents
from patient_docs.logic.search_documents import DocumentQuery
from patient_docs.models.audit import Target
from patient_docs.models.documents import Document
from patient_docs.permissions import Action, patient_target, require
from patient_docs.rules import fhir, time_buckets
from patient_docs.rules.cursors import decode_cursor, encode_cursor

_NOT_A_CURSOR = "is not a cursor of this search (use the next link as it is)"
DEFAULT_COUNT = 50
MAX_COUNT = 100


@dataclass(frozen=True)
class ReferenceQuery:
    """Each inner list is one parameter's alternatives (a comma list); the parameters must all match."""

    ids: list[set[int]] = field(default_factory=list)  # _id: document ids
    categories: list[list[fhir.Token]] = field(default_factory=list)
    types: list[list[fhir.Token]] = field(default_factory=list)
    dates: list[fhir.DateBound] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    newest_first: bool = True
    cursor: str | None = None


@dataclass(frozen=True)
class ReferencePage:
    documents: list[Document]
    total: int
    next_cursor: str | None


def _matches(doc: Document, query: ReferenceQuery) -> bool:
    kind = fhir.classify(doc.record_type, doc.document_category, doc.document_type, doc.source == "file_request")
    if not all(fhir.token_matches(alternatives, kind.categories) for alternatives in query.categories):
        return False
    if not all(fhir.token_matches(alternatives, [kind.type_coding]) for alternatives in query.types):
        return False
    shown = fhir.at_second(doc.created_at)
    return all(bound.admits(shown) for bound in query.dates)


def _range(query: ReferenceQuery) -> DocumentQuery | None:
    """Door B's query of the creation times the ``date`` parameters admit (None: they admit none)."""
    since, until = fhir.stored_span(query.dates)
    since, until = time_buckets.in_calendar(since), time_buckets.in_calendar(until)  # lt0001: no overflow
    if since is not None and until is not None and since >= until:
        return None
    end = until - timedelta(microseconds=1) if until is not None else None
    return DocumentQuery(start=since, end=end, size=query.count, descending=query.newest_first, cursor=query.cursor)


def _after(caller: Caller, patient_id: int, cursor: str | None) -> Key | None:
    if cursor is None:
        return None
    partition = documents_table.patient_partition(caller.account_id, patient_id)
    try:
        return decode_cursor(cursor, INDEX_POSITION, within=partition)
    except ValueError as exc:
        raise InvalidField("_cursor", _NOT_A_CURSOR) from exc


def _filtered(caller: Caller, patient_id: int, query: ReferenceQuery, keyed: DocumentQuery) -> ReferencePage:
    """``category``/``type``: the range's documents (at most FILTER_READ_LIMIT) filtered, in index order."""
    since, until = search_documents.key_range(keyed)
    after = _after(caller, patient_id, query.cursor)
    read = documents_table.read_patient_documents(
        caller.account_id,
        patient_id,
        newest_first=query.newest_first,
        wanted=search_documents.FILTER_READ_LIMIT + 1,
        since=since,
        until=until,
        max_items=search_documents.FILTER_READ_LIMIT + 1,
    )
    if read.items_read > search_documents.FILTER_READ_LIMIT:
        raise InvalidField(
            "date",
            f"category and type read at most {search_documents.FILTER_READ_LIMIT} documents and this patient has"
            " more in the range: narrow it with date",
        )
    found = [(documents_table.document_item(doc)["GSI1SK"]["S"], doc) for doc in read.documents if _matches(doc, query)]
    return _page(found, after, query)


def _page(found: list[tuple[str, Document]], after: Key | None, query: ReferenceQuery) -> ReferencePage:
    """A page of ``found`` (index position, document), in index order, from the cursor's position ``after``."""
    rest = found
    if after is not None:
        rest = [
            (key, doc) for key, doc in found if (key < after["GSI1SK"] if query.newest_first else key > after["GSI1SK"])
        ]
    page = [doc for _, doc in rest[: query.count]]
    next_cursor = None
    if len(rest) > query.count:
        last = documents_table.document_item(page[-1])
        next_cursor = encode_cursor({name: last[name]["S"] for name in INDEX_POSITION})
    return ReferencePage(page, len(found), next_cursor)


def _by_id(caller: Caller, patient_id: int, query: ReferenceQuery) -> ReferencePage:
    """``_id``: the documents named (one BatchGetItem), those of this account's patient that match the
    other parameters, in the order and pages of the patient's list."""
    after = _after(caller, patient_id, query.cursor)
    wanted = set.intersection(*query.ids)
    read = documents_table.get_documents(sorted(wanted))
    mine = [
        doc
        for doc in read.values()
        if doc.account_id == caller.account_id and doc.patient_id == patient_id and _matches(doc, query)
    ]
    found = sorted(
        ((documents_table.document_item(doc)["GSI1SK"]["S"], doc) for doc in mine),
        key=lambda pair: pair[0],
        reverse=query.newest_first,
    )
    return _page(found, after, query)


def _keyed(caller: Caller, patient_id: int, keyed: DocumentQuery) -> ReferencePage:
    try:
        found = search_documents.keyed_page(caller, patient_id, keyed)
    except InvalidField as exc:
        if exc.field == "cursor":
            raise InvalidField("_cursor", _NOT_A_CURSOR) from exc
        raise
    return ReferencePage(found.documents, found.total, found.next_cursor)


def search_document_references(caller: Caller, patient_id: int, query: ReferenceQuery) -> ReferencePage:
    require(caller, Action.LIST_DOCUMENTS, patient_target(caller.account_id, patient_id))
    keyed = _range(query)
    if keyed is None:
        _after(caller, patient_id, query.cursor)  # a cursor of another search is refused all the same
        found = ReferencePage([], 0, None)
    elif query.ids:
        found = _by_id(caller, patient_id, query)
    elif query.categories or query.types:
        found = _filtered(caller, patient_id, query, keyed)
    else:
        found = _keyed(caller, patient_id, keyed)
    audit_trail.record("document.listed", audit_trail.actor_of(caller), Target(patient_id=patient_id))
    return found
