"""Door B list: the vendor's filters, sort orders and 1-based pages over one patient's documents."""

from __future__ import annotations

from datetime import timedelta

import pytest

from patient_docs.errors import InvalidField, NotFound
from patient_docs.logic import search_documents as search_documents_module
from patient_docs.logic.search_documents import DocumentQuery, search_documents
from tests.unit.doubles import NOW, PATIENT_NUMBER, a_document, patient, staff

pytestmark = pytest.mark.usefixtures("no_network")


@pytest.fixture
def library(fakes):
    """Four documents of patient 1172416, an hour apart (1 is the oldest), and one of another patient."""
    docs = [
        a_document(
            id=1,
            name="Insurance card",
            document_category="INSURANCE_CARD",
            document_type="card",
            created_at=NOW - timedelta(hours=4),
        ),
        a_document(
            id=2,
            name="Blood test",
            document_category="DIAGNOSTIC_TESTS",
            signature_status="COMPLETED",
            spry_case_id="case-1",
            created_at=NOW - timedelta(hours=3),
        ),
        a_document(
            id=3,
            name="blood pressure log",
            signature_status="INCOMPLETED",
            spry_case_id="case-2",
            document_type="log",
            created_at=NOW - timedelta(hours=2),
        ),
        a_document(id=4, name="Referral", document_category="DIAGNOSTIC_TESTS", created_at=NOW - timedelta(hours=1)),
    ]
    fakes.documents.add(*docs, a_document(id=5, patient_id=PATIENT_NUMBER + 1, name="Blood test"))
    return docs


def ids(query, caller=None):
    return [doc.id for doc in search_documents(caller or staff(), PATIENT_NUMBER, query).documents]


def test_by_default_the_five_newest_documents_of_the_patient_only(library):
    assert ids(DocumentQuery()) == [4, 3, 2, 1]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (DocumentQuery(categories=["DIAGNOSTIC_TESTS"]), [4, 2]),
        (DocumentQuery(categories=["OTHER"]), [3]),  # a document without a category counts as OTHER
        (DocumentQuery(categories=["OTHER", "INSURANCE_CARD"]), [3, 1]),
        (DocumentQuery(types=["log", "card"]), [3, 1]),
        (DocumentQuery(signed=True), [2]),
        (DocumentQuery(signed=False), [4, 3, 1]),
        (DocumentQuery(case_ids=["case-2"]), [3]),
        (DocumentQuery(name_contains="BLOOD"), [3, 2]),
        (DocumentQuery(start=NOW - timedelta(hours=3), end=NOW - timedelta(hours=2)), [3, 2]),  # both bounds included
        (DocumentQuery(categories=["DIAGNOSTIC_TESTS"], signed=False), [4]),  # filters combine
    ],
    ids=[
        "category",
        "no category is OTHER",
        "categories",
        "types",
        "signed",
        "unsigned",
        "case",
        "name",
        "range",
        "combined",
    ],
)
def test_filters(library, query, expected):
    assert ids(query) == expected


@pytest.mark.parametrize(
    ("sort_by", "descending", "expected"),
    [
        ("name", False, [3, 2, 1, 4]),  # case-insensitive: "blood pressure" < "Blood test" < "Insurance"
        ("name", True, [4, 1, 2, 3]),
        ("document_category", False, [2, 4, 1, 3]),  # ties by id; documents without the field last
        ("document_category", True, [1, 4, 2, 3]),  # still last when descending
        ("id", False, [1, 2, 3, 4]),
    ],
)
def test_sort_orders(library, sort_by, descending, expected):
    assert ids(DocumentQuery(sort_by=sort_by, descending=descending)) == expected


def test_pages_are_numbered_from_one_and_count_what_matched(library):
    page = search_documents(staff(), PATIENT_NUMBER, DocumentQuery(page=2, size=3))
    assert [doc.id for doc in page.documents] == [1]
    assert (page.page, page.size, page.total, page.total_pages) == (2, 3, 4, 2)


def test_a_page_beyond_the_last_is_empty_but_still_counts(library):
    page = search_documents(staff(), PATIENT_NUMBER, DocumentQuery(page=9, size=3))
    assert (page.documents, page.total) == ([], 4)


def test_nothing_matching_has_no_pages(library):
    page = search_documents(staff(), PATIENT_NUMBER, DocumentQuery(name_contains="x-ray"))
    assert (page.total, page.total_pages) == (0, 0)


def test_the_patient_searches_their_own_documents(library):
    assert ids(DocumentQuery(), patient()) == [4, 3, 2, 1]


def test_another_patient_is_told_the_list_does_not_exist(library):
    with pytest.raises(NotFound):
        ids(DocumentQuery(), patient(number=PATIENT_NUMBER + 1))


def test_staff_of_another_account_see_only_their_own_patient_of_that_number(library):
    assert ids(DocumentQuery(), staff(account="13")) == []


# ------------------------------------------------------------------ reads in proportion to the page


def _many(fakes, count):
    fakes.documents.add(*(a_document(id=i, created_at=NOW - timedelta(minutes=count - i)) for i in range(1, count + 1)))


@pytest.mark.parametrize("count", [100, 10_000])
def test_the_default_list_reads_one_more_than_the_page_whatever_the_patient_holds(fakes, count):
    # Given a patient with 100 or 10,000 documents
    _many(fakes, count)
    # When the first page of five is listed
    page = search_documents(staff(), PATIENT_NUMBER, DocumentQuery())
    # Then six documents were read (the page and one to tell whether more follow), and total is exact
    assert [doc.id for doc in page.documents] == list(range(count, count - 5, -1))
    assert fakes.documents.index_reads == [6] and page.items_read == 6
    assert page.total == count and page.next_cursor


def test_the_next_cursor_reads_the_next_page_from_where_the_last_one_ended(fakes):
    _many(fakes, 50)
    first = search_documents(staff(), PATIENT_NUMBER, DocumentQuery(size=10))
    second = search_documents(staff(), PATIENT_NUMBER, DocumentQuery(size=10, page=2, cursor=first.next_cursor))
    by_number = search_documents(staff(), PATIENT_NUMBER, DocumentQuery(size=10, page=2))
    assert [d.id for d in second.documents] == [d.id for d in by_number.documents] == list(range(40, 30, -1))
    # The cursor's page read 11 documents; the page number alone read the 10 it skipped as well
    assert fakes.documents.index_reads == [11, 11, 21]


def test_a_range_reads_only_its_documents_and_counts_them(fakes):
    _many(fakes, 100)  # document i was created 100 - i minutes before NOW
    query = DocumentQuery(start=NOW - timedelta(minutes=30), end=NOW - timedelta(minutes=21), size=5)
    page = search_documents(staff(), PATIENT_NUMBER, query)
    assert [d.id for d in page.documents] == [79, 78, 77, 76, 75]
    assert page.total == 10 and page.items_read == 6


def test_a_ranges_total_reads_kept_counts_and_only_the_documents_of_its_partial_end_hours(fakes):
    # Given 10,000 documents of the patient, one a minute up to NOW (about a week)
    _many(fakes, 10_000)
    # When a range of five days, starting and ending inside an hour, is listed
    start, end = NOW - timedelta(days=6, minutes=30), NOW - timedelta(days=1, minutes=15)
    page = search_documents(staff(), PATIENT_NUMBER, DocumentQuery(start=start, end=end, size=5))
    # Then its total is exact
    assert page.total == sum(1 for d in fakes.documents.items.values() if start <= d.created_at <= end)
    # And it came from the whole days' counts, the whole hours' of its partial days, and a count of the
    # documents of its two partial hours only
    assert fakes.documents.count_reads == [
        ("days", "2026-11-17", "2026-11-20"),
        ("hours", "2026-11-16T12", "2026-11-16T23"),
        ("hours", "2026-11-21T00", "2026-11-21T10"),
        ("documents", NOW - timedelta(days=6, minutes=30), NOW - timedelta(days=6)),
        ("documents", NOW - timedelta(days=1, hours=1), end + timedelta(microseconds=1)),
    ]
    assert page.items_read == 6


def test_a_page_is_full_even_when_the_ends_second_holds_documents_past_the_end(fakes):
    # Given documents 1-3 a minute apart, 3 a millisecond into its second, and 4-6 later in that second
    moment = NOW.replace(microsecond=0) + timedelta(milliseconds=1)
    fakes.documents.add(
        *(a_document(id=i, created_at=moment - timedelta(minutes=3 - i)) for i in (1, 2, 3)),
        *(a_document(id=i, created_at=moment + timedelta(milliseconds=i)) for i in (4, 5, 6)),
    )
    # When the newest document up to 3's instant is asked for, a page of one
    page = search_documents(staff(), PATIENT_NUMBER, DocumentQuery(end=moment, size=1))
    # Then it is 3, not an empty page: the whole second's key range held 4-6 too, read and dropped
    assert [d.id for d in page.documents] == [3] and page.total == 3 and page.next_cursor
    assert page.items_read == 5  # 6, 5 then 4 dropped; 3 and 2 (whether more follow)


@pytest.mark.parametrize("filters", [{}, {"signed": True}], ids=["keyed", "filtered"])
def test_a_range_that_ends_before_it_starts_is_empty_and_reads_nothing(fakes, filters):
    # (DynamoDB refuses a BETWEEN whose lower bound is above its upper one)
    _many(fakes, 10)
    query = DocumentQuery(start=NOW - timedelta(minutes=2), end=NOW - timedelta(minutes=5), **filters)
    page = search_documents(staff(), PATIENT_NUMBER, query)
    assert (page.documents, page.total) == ([], 0)
    assert fakes.documents.index_reads == [] and fakes.documents.count_reads == []


def test_a_cursor_from_another_list_or_with_filters_is_refused(fakes):
    _many(fakes, 10)
    cursor = search_documents(staff(), PATIENT_NUMBER, DocumentQuery()).next_cursor
    with pytest.raises(InvalidField) as caught:
        search_documents(staff(), PATIENT_NUMBER + 1, DocumentQuery(cursor=cursor))
    assert caught.value.field == "cursor"
    with pytest.raises(InvalidField) as caught:
        search_documents(staff(), PATIENT_NUMBER, DocumentQuery(cursor=cursor, signed=True))
    assert caught.value.field == "cursor"


def test_filters_no_key_serves_read_a_bounded_number_and_ask_for_a_narrower_range(fakes, monkeypatch):
    monkeypatch.setattr(search_documents_module, "FILTER_READ_LIMIT", 20)
    _many(fakes, 21)
    with pytest.raises(InvalidField, match="at most 20 documents") as caught:
        search_documents(staff(), PATIENT_NUMBER, DocumentQuery(signed=True))
    assert caught.value.field == "start"
    # A range that holds fewer is served
    narrowed = DocumentQuery(signed=False, start=NOW - timedelta(minutes=5))
    assert search_documents(staff(), PATIENT_NUMBER, narrowed).total == 6
