"""Door D search: a patient's documents as DocumentReferences, filtered by category, type and date, in pages.

One query reads the patient's partition (as door B's list does: a patient has hundreds of documents
at most); filters, order and paging run in memory, so ``total`` costs nothing more. The cursor holds
the last document of a page (its time and id) and the partition it belongs to: it moves only within
the patient's own list, and a document added meanwhile never shifts a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from patient_docs.adapters import documents_table
from patient_docs.auth import Caller
from patient_docs.errors import InvalidField
from patient_docs.logic import audit_trail
from patient_docs.models.audit import Target
from patient_docs.models.documents import Document
from patient_docs.permissions import Action, patient_target, require
from patient_docs.rules import fhir
from patient_docs.rules.cursors import decode_cursor, encode_cursor

_CURSOR_KEYS = ("GSI1PK", "after")
DEFAULT_COUNT = 50
MAX_COUNT = 100


@dataclass(frozen=True)
class ReferenceQuery:
    """Each inner list is one parameter's alternatives (a comma list); the parameters must all match."""

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


def _key(doc: Document) -> tuple[datetime, int]:
    return doc.created_at, doc.id


def _matches(doc: Document, query: ReferenceQuery) -> bool:
    kind = fhir.classify(doc.record_type, doc.document_category, doc.document_type, doc.source == "file_request")
    if not all(fhir.token_matches(alternatives, kind.categories) for alternatives in query.categories):
        return False
    if not all(fhir.token_matches(alternatives, [kind.type_coding]) for alternatives in query.types):
        return False
    shown = fhir.at_second(doc.created_at)
    return all(bound.admits(shown) for bound in query.dates)


def _after(cursor: str, partition: str) -> tuple[datetime, int]:
    try:
        moment, _, number = decode_cursor(cursor, _CURSOR_KEYS, within=partition)["after"].rpartition("#")
        return datetime.fromisoformat(moment), int(number)
    except ValueError as exc:
        raise InvalidField("_cursor", "is not a cursor of this search (use the next link as it is)") from exc


def search_document_references(caller: Caller, patient_id: int, query: ReferenceQuery) -> ReferencePage:
    require(caller, Action.LIST_DOCUMENTS, patient_target(caller.account_id, patient_id))
    partition = documents_table.patient_partition(caller.account_id, patient_id)
    after = _after(query.cursor, partition) if query.cursor is not None else None
    found = [
        doc for doc in documents_table.list_patient_documents(caller.account_id, patient_id) if _matches(doc, query)
    ]
    found.sort(key=_key, reverse=query.newest_first)
    rest = found
    if after is not None:
        rest = [doc for doc in found if (_key(doc) < after if query.newest_first else _key(doc) > after)]
    page = rest[: query.count]
    next_cursor = None
    if len(rest) > query.count:
        last = page[-1]
        next_cursor = encode_cursor({"GSI1PK": partition, "after": f"{last.created_at.isoformat()}#{last.id}"})
    audit_trail.record("document.listed", audit_trail.actor_of(caller), Target(patient_id=patient_id))
    return ReferencePage(page, len(found), next_cursor)
