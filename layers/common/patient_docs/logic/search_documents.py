"""Door B list: a patient's documents with the vendor's filters and page numbers.

One query reads the patient's partition; filters, sort and paging run in memory.
A patient's document count is small (hundreds), so this is one round trip where
server-side filters would still read the same items.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from patient_docs.adapters import documents_table
from patient_docs.auth import Caller
from patient_docs.logic import audit_trail
from patient_docs.models.audit import Target
from patient_docs.models.documents import Document
from patient_docs.permissions import Action, patient_target, require

SortBy = Literal["created_at", "updated_at", "name", "receipt_date", "document_type", "document_category", "id"]
SIGNED_STATUS = "COMPLETED"


@dataclass(frozen=True)
class DocumentQuery:
    categories: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    signed: bool | None = None
    case_ids: list[str] = field(default_factory=list)
    name_contains: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    size: int = 5
    descending: bool = True
    sort_by: SortBy = "created_at"


@dataclass(frozen=True)
class DocumentPage:
    documents: list[Document]
    page: int
    size: int
    total: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.size) if self.total else 0


def _matches(doc: Document, query: DocumentQuery) -> bool:
    if query.categories and (doc.document_category or "OTHER") not in query.categories:
        return False
    if query.types and doc.document_type not in query.types:
        return False
    if query.signed is not None and (doc.signature_status == SIGNED_STATUS) != query.signed:
        return False
    if query.case_ids and doc.spry_case_id not in query.case_ids:
        return False
    if query.name_contains and query.name_contains.casefold() not in doc.name.casefold():
        return False
    if query.start and doc.created_at < query.start:
        return False
    return not (query.end and doc.created_at > query.end)


def _sort_key(doc: Document, sort_by: str) -> tuple[int, Any, int]:
    value = getattr(doc, sort_by)
    if isinstance(value, str):
        value = value.casefold()
    # Documents without the field sort last in ascending order; ties break on id.
    return (value is None, value if value is not None else 0, doc.id)


def search_documents(caller: Caller, patient_id: int, query: DocumentQuery) -> DocumentPage:
    require(caller, Action.LIST_DOCUMENTS, patient_target(caller.account_id, patient_id))
    found = [d for d in documents_table.list_patient_documents(caller.account_id, patient_id) if _matches(d, query)]
    present = [d for d in found if getattr(d, query.sort_by) is not None]
    missing = [d for d in found if getattr(d, query.sort_by) is None]
    present.sort(key=lambda d: _sort_key(d, query.sort_by), reverse=query.descending)
    ordered = present + missing
    first = (query.page - 1) * query.size
    audit_trail.record("document.listed", audit_trail.actor_of(caller), Target(patient_id=patient_id))
    return DocumentPage(ordered[first : first + query.size], query.page, query.size, len(ordered))
