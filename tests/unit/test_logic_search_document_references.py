"""Door D search: reads in proportion to the page, as door B's list does; totals from the kept counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from patient_docs.errors import InvalidField
from patient_docs.logic import search_documents
from patient_docs.logic.search_document_references import ReferenceQuery, search_document_references
from patient_docs.rules import fhir
from tests.unit.doubles import NOW, PATIENT_NUMBER, a_document, staff

pytestmark = pytest.mark.usefixtures("no_network")


def _many(fakes, count):
    """``count`` documents of the patient, one a minute up to NOW (1 the oldest)."""
    fakes.documents.add(*(a_document(id=i, created_at=NOW - timedelta(minutes=count - i)) for i in range(1, count + 1)))


def test_a_page_reads_its_entries_and_one_more_whatever_the_patient_holds(fakes):
    # Given 10,000 documents of the patient
    _many(fakes, 10_000)
    # When the first page of 5 is searched, newest first
    page = search_document_references(staff(), PATIENT_NUMBER, ReferenceQuery(count=5))
    # Then 6 index entries were read and the total is the patient's count
    assert [doc.id for doc in page.documents] == list(range(10_000, 9_995, -1))
    assert fakes.documents.index_reads == [6] and page.total == 10_000 and page.next_cursor


def test_the_next_cursor_continues_where_the_page_ended_in_either_order(fakes):
    _many(fakes, 12)
    for newest_first, expected in ((True, list(range(12, 0, -1))), (False, list(range(1, 13)))):
        seen, cursor = [], None
        while True:
            query = ReferenceQuery(count=5, newest_first=newest_first, cursor=cursor)
            page = search_document_references(staff(), PATIENT_NUMBER, query)
            seen += [doc.id for doc in page.documents]
            if not (cursor := page.next_cursor):
                break
        assert seen == expected


def test_a_date_range_reads_the_page_and_counts_not_the_range(fakes):
    # Given 10,000 documents a minute apart (about a week)
    _many(fakes, 10_000)
    # When the documents of two whole days are searched
    first, last = (NOW - timedelta(days=3)).date(), (NOW - timedelta(days=2)).date()
    dates = [fhir.parse_date(f"ge{first.isoformat()}"), fhir.parse_date(f"le{last.isoformat()}")]
    page = search_document_references(staff(), PATIENT_NUMBER, ReferenceQuery(dates=dates, count=5))
    # Then the total is exact, from the two days' counts alone, and the page read 6 entries
    assert page.total == 2 * 24 * 60
    assert fakes.documents.count_reads == [("days", first.isoformat(), last.isoformat())]
    assert fakes.documents.index_reads == [6]
    assert all(first <= doc.created_at.date() <= last for doc in page.documents)


def test_dates_that_admit_nothing_read_nothing(fakes):
    _many(fakes, 10)
    dates = [fhir.parse_date("ge2026-11-22"), fhir.parse_date("lt2026-11-21")]
    page = search_document_references(staff(), PATIENT_NUMBER, ReferenceQuery(dates=dates))
    assert (page.documents, page.total, fakes.documents.index_reads) == ([], 0, [])


def test_category_and_type_read_a_bounded_number_and_ask_for_a_narrower_date(fakes, monkeypatch):
    monkeypatch.setattr(search_documents, "FILTER_READ_LIMIT", 20)
    _many(fakes, 21)
    unknown = [[(None, "UNK")]]  # a document with no record type or category: type unknown
    with pytest.raises(InvalidField) as caught:
        search_document_references(staff(), PATIENT_NUMBER, ReferenceQuery(types=unknown))
    assert caught.value.field == "date"
    # A range that holds fewer is served, in pages, with its exact total
    dates = [fhir.parse_date((NOW - timedelta(minutes=9)).strftime("ge%Y-%m-%dT%H:%M:%SZ"))]
    page = search_document_references(staff(), PATIENT_NUMBER, ReferenceQuery(types=unknown, dates=dates, count=4))
    assert [doc.id for doc in page.documents] == [21, 20, 19, 18] and page.total == 10
    rest = ReferenceQuery(types=unknown, dates=dates, count=10, cursor=page.next_cursor)
    assert [doc.id for doc in search_document_references(staff(), PATIENT_NUMBER, rest).documents] == list(
        range(17, 11, -1)
    )


def test_a_cursor_of_another_patient_is_refused_naming_the_parameter(fakes):
    _many(fakes, 10)
    cursor = search_document_references(staff(), PATIENT_NUMBER, ReferenceQuery(count=2)).next_cursor
    for query in (ReferenceQuery(cursor=cursor), ReferenceQuery(cursor=cursor, types=[[(None, "11502-2")]])):
        with pytest.raises(InvalidField) as caught:
            search_document_references(staff(), PATIENT_NUMBER + 1, query)
        assert caught.value.field == "_cursor"
