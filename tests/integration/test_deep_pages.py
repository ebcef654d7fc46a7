"""Door B's deep pages: a page number far into the default order finds where it starts from the patient's
kept day and hour counts, and answers exactly what reading every document before it would.

Through the real list handler against moto: each query is answered twice, once finding its start from the
counts (``SEEK_FROM`` 0: every page does) and once reading from the top (``SEEK_FROM`` out of reach); the
two answers must be the same, page for page, and the deep page must read far fewer documents.
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import quote

import pytest

from patient_docs.adapters.aws import dynamodb
from patient_docs.logic import search_documents
from tests.authz_fixtures import inline_document
from tests.integration.test_document_counts import _bound, created_times
from tests.utils import STAFF_12, call

PATIENT = 1172417
LIST = f"/apis/v1/patient-document/{PATIENT}"
NEVER = 10**9


class IndexReads:
    """Documents DynamoDB reports scanned by Queries of the patient index (GSI1), per request."""

    def __init__(self) -> None:
        self.documents, self._index = 0, None
        events = dynamodb().meta.events
        events.register("before-parameter-build.dynamodb.Query", self._asked)
        events.register("after-call.dynamodb.Query", self._done)

    def _asked(self, params: dict[str, Any], **_: Any) -> None:
        self._index = params.get("IndexName")

    def _done(self, parsed: dict[str, Any], **_: Any) -> None:
        if self._index == "GSI1":
            self.documents += int(parsed.get("ScannedCount", 0))


def _list(api: Any, query: str) -> dict[str, Any]:
    reply = call(api, "GET", f"{LIST}?{query}", caller=STAFF_12)
    assert reply.status == 200, reply.body
    return dict(reply.json["data"])


def _both_ways(api: Any, monkeypatch: pytest.MonkeyPatch, query: str) -> tuple[dict[str, Any], dict[str, Any]]:
    monkeypatch.setattr(search_documents, "SEEK_FROM", 0)
    sought = _list(api, query)
    monkeypatch.setattr(search_documents, "SEEK_FROM", NEVER)
    return sought, _list(api, query)


def _ids(data: dict[str, Any]) -> list[int]:
    return [document["id"] for document in data["documents"]]


def test_a_page_found_from_the_counts_is_the_page_read_from_the_top(api, aws, clock, monkeypatch):
    # Given 30 documents of the patient at random moments over about two days, some in the same second
    rng = random.Random(20261203)
    for _ in range(30):
        inline_document(api, PATIENT, STAFF_12)
        clock.advance(rng.choice((0, 0.001, rng.uniform(0, 900), rng.uniform(0, 3 * 3600), rng.uniform(0, 8 * 3600))))
    times = created_times(aws, PATIENT)
    # When random pages (both orders, any size, past the end too) of random start/end ranges are asked for
    for _ in range(30):
        (start, _since), (end, _until) = _bound(rng, times, False), _bound(rng, times, True)
        bounds = "".join(f"&{name}={quote(value)}" for name, value in (("start", start), ("end", end)) if value)
        page, size, order = rng.randint(1, 10), rng.randint(1, 5), rng.choice(("asc", "desc"))
        query = f"page={page}&size={size}&sort={order}{bounds}"
        sought, read = _both_ways(api, monkeypatch, query)
        # Then the documents, the total and the next page's cursor are the same either way
        assert _ids(sought) == _ids(read), query
        assert sought == read, query


def test_a_deep_page_reads_counts_and_an_hours_documents_not_every_one_before_it(api, aws, clock, monkeypatch):
    # Given 40 documents of the patient, one an hour
    for _ in range(40):
        inline_document(api, PATIENT, STAFF_12)
        clock.advance(3600)
    reads = IndexReads()
    # When page 7 of 5, newest first, is read from the top, then found from the counts
    monkeypatch.setattr(search_documents, "SEEK_FROM", NEVER)
    read = _list(api, "page=7&size=5")
    from_top, reads.documents = reads.documents, 0
    monkeypatch.setattr(search_documents, "SEEK_FROM", 0)
    sought = _list(api, "page=7&size=5")
    # Then both give documents 31-35 counted from the newest, with the same total and cursor
    assert sought == read and len(_ids(sought)) == 5 and sought["total"] == 40
    # And reading from the top scanned the 30 documents before the page, the page and one more; the counts'
    # way the page and one more: the page starts on an hour, whose one document is the page's first
    assert from_top == 36
    assert reads.documents == 5 + 1
    # And a page past the last document is empty, with the total, reading no document
    reads.documents = 0
    past = _list(api, "page=40&size=5")
    assert past["documents"] == [] and past["total"] == 40 and past["next_cursor"] is None
    assert reads.documents == 0
