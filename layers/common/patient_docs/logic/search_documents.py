"""Door B list: a patient's documents with the vendor's filters and page numbers.

What a page reads (docs/api-patient-documents.md, "Reads per page"):
- Sorted by creation time (the default), with or without ``start``/``end``: one Query of the patient's
  index range with ``Limit``, reading page x size + 1 items (a ``cursor`` from the previous page's
  ``next_cursor`` starts there instead: size + 1 items, whatever the page number). A page that skips
  ``SEEK_FROM`` documents or more finds the hour its first document is in from the kept day and hour
  counts (``_Seeker``) and reads from there: counts, at most an hour's documents, size + 1. ``total`` is the
  patient's maintained document count (one GetItem); with ``start``/``end``, the sum of the counts kept
  for the range's whole UTC days and hours plus a count of the documents of its two partial end hours
  (rules/time_buckets.py): bounded by the days in the range, not by its documents.
- Any other filter or sort order cannot use a key: the documents in the ``start``/``end`` range (all the
  patient's without them) are read, at most ``FILTER_READ_LIMIT``; a range holding more is a 400 naming
  ``start``, asking for a narrower range.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from patient_docs.adapters import documents_table
from patient_docs.adapters.table import INDEX_POSITION, Key
from patient_docs.auth import Caller
from patient_docs.errors import InvalidField
from patient_docs.logic import audit_trail
from patient_docs.models.audit import Target
from patient_docs.models.documents import Document
from patient_docs.permissions import Action, patient_target, require
from patient_docs.rules import time_buckets
from patient_docs.rules.cursors import decode_cursor, encode_cursor

SortBy = Literal["created_at", "updated_at", "name", "receipt_date", "document_type", "document_category", "id"]
SIGNED_STATUS = "COMPLETED"
# Filters no key can serve read at most this many of the patient's documents in the start/end range.
FILTER_READ_LIMIT = 2000
# A page of the default order that skips at least this many documents finds where it starts from the
# patient's kept day and hour counts instead of reading the documents before it.
SEEK_FROM = 100


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
    cursor: str | None = None  # a previous page's next_cursor: this page starts where that one ended

    def __post_init__(self) -> None:
        # Bounds far outside the years documents are created in (0001-01-01, 9999-12-31) are moved to them.
        object.__setattr__(self, "start", time_buckets.in_calendar(self.start))
        object.__setattr__(self, "end", time_buckets.in_calendar(self.end))

    @property
    def keyed(self) -> bool:
        """Whether the index's key serves this query: creation order, no filter but the time range."""
        unkeyed = self.categories or self.types or self.signed is not None or self.case_ids or self.name_contains
        return self.sort_by == "created_at" and not unkeyed


@dataclass(frozen=True)
class DocumentPage:
    documents: list[Document]
    page: int
    size: int
    total: int
    next_cursor: str | None = None
    items_read: int = 0  # documents the page read from the table (what docs/performance.md reports)

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


def key_range(query: DocumentQuery) -> tuple[str | None, str | None]:
    """GSI1SK bounds holding every document in start..end: whole seconds, so a stored time with or without
    a fraction sorts inside; what falls outside the exact bounds is dropped in memory."""
    since = documents_table.index_second(query.start) if query.start else None
    until = documents_table.index_second(query.end) + "~" if query.end else None
    return since, until


def _exact_range(query: DocumentQuery) -> bool:
    """Whether the whole-second key range is exactly start..end (a date's bounds, or whole seconds)."""
    starts_whole = query.start is None or query.start.microsecond == 0
    ends_whole = query.end is None or (query.end + timedelta(microseconds=1)).microsecond == 0
    return starts_whole and ends_whole


def _after(caller: Caller, patient_id: int, cursor: str | None) -> Key | None:
    if cursor is None:
        return None
    partition = documents_table.patient_partition(caller.account_id, patient_id)
    try:
        return decode_cursor(cursor, INDEX_POSITION, within=partition)
    except ValueError as exc:
        raise InvalidField("cursor", str(exc)) from exc


def _inside(after: Key, since: str | None, until: str | None, descending: bool) -> tuple[Key | None, bool]:
    """A cursor's position within the key range (DynamoDB refuses a start key outside its Query's range): None
    when it lies before the range in the page's order (the page starts at the range's start), and whether it
    lies at or past the range's end (nothing is left)."""
    position = after["GSI1SK"]
    before_range = (until is not None and position >= until) if descending else (since is not None and position < since)
    past_range = (since is not None and position <= since) if descending else (until is not None and position >= until)
    return (None if before_range else after), past_range


def _total(caller: Caller, patient_id: int, query: DocumentQuery) -> int:
    """The documents in the start/end range, exactly, from the patient's kept counts: its total without a
    range; else the range's whole days and hours, and the documents of its partial end hours."""
    account_id = caller.account_id
    if query.start is None and query.end is None:
        counted = documents_table.count_patient_documents(account_id, patient_id)
        if counted is not None:
            return counted
        return documents_table.count_patient_documents_between(account_id, patient_id, None, None)
    parts = time_buckets.split_range(query.start, query.end)
    total = documents_table.count_days(account_id, patient_id, *parts.days) if parts.days else 0
    total += sum(documents_table.count_hours(account_id, patient_id, first, last) for first, last in parts.hours)
    for since, until in parts.moments:
        total += documents_table.count_patient_documents_in(account_id, patient_id, since, until)
    return total


@dataclass(frozen=True)
class _Start:
    """Where a deep page starts reading: the key range narrowed to the hour its first document is in, and
    how many of the range's documents are still to skip there (None: the page is past the last one)."""

    since: str | None
    until: str | None
    skip: int | None


class _Seeker:
    """Finds the hour holding a range's ``skip``-th document (in the page's order) from the kept counts: the
    range's partial end hours counted, whole hours and days summed (the day holding it opened into its
    hours), so a deep page reads counts and at most an hour's documents before its own."""

    def __init__(self, caller: Caller, patient_id: int, query: DocumentQuery, skip: int) -> None:
        self.account_id, self.patient_id, self.query, self.skip = caller.account_id, patient_id, query, skip
        self.since, self.until = key_range(query)
        self.passed = 0  # documents of the range before the span being looked at

    def start(self) -> _Start:
        newest_first = self.query.descending
        for span in time_buckets.spans_in_order(
            time_buckets.split_range(self.query.start, self.query.end), newest_first
        ):
            if span.kind == "moments" and span.since is not None and span.until is not None:
                counted = documents_table.count_patient_documents_in(
                    self.account_id, self.patient_id, span.since, span.until
                )
                found = self._found(span.since, span.until) if self.passed + counted > self.skip else None
                self.passed += counted
            elif span.kind == "hours" and span.first is not None and span.last is not None:
                found = self._in_hours(span.first, span.last)
            else:
                found = self._in_days(f"D#{span.first or '0'}", f"D#{span.last or '~'}")
            if found is not None:
                return found
        return _Start(self.since, self.until, None)

    def _counts(self, first: str, last: str) -> Iterator[tuple[str, int]]:
        return documents_table.kept_counts(
            self.account_id, self.patient_id, first, last, newest_first=self.query.descending
        )

    def _in_days(self, first: str, last: str) -> _Start | None:
        for day, documents in self._counts(first, last):
            if self.passed + documents > self.skip:
                # A day's hours add up to the day; should they not, the page reads its range from the top.
                found = self._in_hours(f"{day}T00", f"{day}T23")
                return found if found is not None else _Start(self.since, self.until, self.skip)
            self.passed += documents
        return None

    def _in_hours(self, first: str, last: str) -> _Start | None:
        for hour, documents in self._counts(f"H#{first}", f"H#{last}"):
            if self.passed + documents > self.skip:
                return self._found(*time_buckets.hour_span(hour))
            self.passed += documents
        return None

    def _found(self, span_since: datetime, span_until: datetime) -> _Start:
        """The range narrowed to what is not yet passed: up to the span's end (newest first), else from its
        start; the range's own bound where the span ends there (it may lie within a second)."""
        left = self.skip - self.passed
        if self.query.descending:
            if span_until == _high(self.query):
                return _Start(self.since, self.until, left)
            return _Start(self.since, _last_before(span_until), left)
        if span_since == _low(self.query):
            return _Start(self.since, self.until, left)
        return _Start(documents_table.index_second(span_since), self.until, left)


def _low(query: DocumentQuery) -> datetime | None:
    return query.start.astimezone(UTC) if query.start is not None else None


def _high(query: DocumentQuery) -> datetime | None:
    return query.end.astimezone(UTC) + timedelta(microseconds=1) if query.end is not None else None


def _last_before(moment: datetime) -> str:
    """The GSI1SK upper bound of the documents created before ``moment``, a whole second."""
    return documents_table.index_second(moment - timedelta(seconds=1)) + "~"


def keyed_page(caller: Caller, patient_id: int, query: DocumentQuery) -> DocumentPage:
    """A page in creation order within start/end from the index (``Limit``), ``total`` from the kept counts
    (also door D's search without filters; the caller has checked the permission and records the event)."""
    since, until = key_range(query)
    after = _after(caller, patient_id, query.cursor)
    skip = 0 if after is not None else (query.page - 1) * query.size
    if after is not None:
        after, past_the_end = _inside(after, since, until, query.descending)
        if past_the_end:
            return DocumentPage([], query.page, query.size, _total(caller, patient_id, query), None, 0)
    if skip >= SEEK_FROM:
        start = _Seeker(caller, patient_id, query, skip).start()
        if start.skip is None:  # past the last document: an empty page, nothing read
            return DocumentPage([], query.page, query.size, _total(caller, patient_id, query), None, 0)
        since, until, skip = start.since, start.until, start.skip
    wanted = skip + query.size + 1
    exact = _exact_range(query)
    found: list[Document] = []
    items_read = 0
    while True:
        read = documents_table.read_patient_documents(
            caller.account_id,
            patient_id,
            newest_first=query.descending,
            wanted=wanted - len(found),
            after=after,
            since=since,
            until=until,
        )
        items_read += read.items_read
        found += read.documents if exact else [d for d in read.documents if _matches(d, query)]
        # What the whole-second key range holds beyond the exact bounds (documents of the bounds' own
        # seconds) was dropped: read on until the page is full or the range is done.
        if len(found) >= wanted or read.position is None:
            break
        after = read.position
    page = found[skip : skip + query.size]
    more = len(found) > skip + query.size or (read.position is not None and len(found) == skip + query.size)
    next_cursor = None
    if more and page:
        last = documents_table.document_item(page[-1])
        next_cursor = encode_cursor({name: last[name]["S"] for name in INDEX_POSITION})
    total = _total(caller, patient_id, query)
    return DocumentPage(page, query.page, query.size, total, next_cursor, items_read)


def _filtered_page(caller: Caller, patient_id: int, query: DocumentQuery) -> DocumentPage:
    since, until = key_range(query)
    read = documents_table.read_patient_documents(
        caller.account_id,
        patient_id,
        newest_first=True,
        wanted=FILTER_READ_LIMIT + 1,
        since=since,
        until=until,
        max_items=FILTER_READ_LIMIT + 1,
    )
    if read.items_read > FILTER_READ_LIMIT:
        raise InvalidField(
            "start",
            f"these filters read at most {FILTER_READ_LIMIT} documents and this patient has more:"
            " narrow the range with start and end",
        )
    found = [d for d in read.documents if _matches(d, query)]
    present = [d for d in found if getattr(d, query.sort_by) is not None]
    missing = [d for d in found if getattr(d, query.sort_by) is None]
    present.sort(key=lambda d: _sort_key(d, query.sort_by), reverse=query.descending)
    ordered = present + missing
    first = (query.page - 1) * query.size
    return DocumentPage(
        ordered[first : first + query.size], query.page, query.size, len(ordered), None, read.items_read
    )


def search_documents(caller: Caller, patient_id: int, query: DocumentQuery) -> DocumentPage:
    require(caller, Action.LIST_DOCUMENTS, patient_target(caller.account_id, patient_id))
    if query.cursor is not None and not query.keyed:
        raise InvalidField("cursor", "is only accepted with the default sort and no filter but start and end")
    if query.start is not None and query.end is not None and query.start > query.end:
        result = DocumentPage([], query.page, query.size, 0)  # nothing is in it (and no key range is empty)
    elif query.keyed:
        result = keyed_page(caller, patient_id, query)
    else:
        result = _filtered_page(caller, patient_id, query)
    audit_trail.record("document.listed", audit_trail.actor_of(caller), Target(patient_id=patient_id))
    return result
