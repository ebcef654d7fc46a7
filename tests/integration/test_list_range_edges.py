"""Door B's list and door D's search at the edges of their inputs, through the real handlers against moto.

Each case was a 500 or a wrong answer: a bound at the calendar's ends (a client's 0001-01-01 or 9999-12-31
for "open") made the hours and days worked out from it leave the calendar (datetime ends at year 9999), and a
year before 1000 was written with three digits, so its key sorted after every stored one.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.authz_fixtures import inline_document
from tests.utils import STAFF_12, call

PATIENT = 1172418
LIST = f"/apis/v1/patient-document/{PATIENT}"
SEARCH = f"/fhir/R4/DocumentReference?patient={PATIENT}"


@pytest.fixture
def three_documents(api, clock):
    clock.freeze()
    ids = []
    for _ in range(3):
        ids.append(inline_document(api, PATIENT, STAFF_12)["id"])
        clock.advance(1800)
    return ids[::-1]  # newest first


@pytest.mark.parametrize(
    ("bounds", "all_of_them"),
    [
        ({"end": "9999-12-31"}, True),
        ({"end": "9999-12-31T23:59:59.999999"}, True),
        ({"end": "9999-12-31T23:59:59.9999999"}, True),  # seven digits, as some clients write their maximum
        ({"start": "0001-01-01", "end": "9999-12-31"}, True),
        ({"start": "0001-01-01T00:00:00Z", "end": "9999-12-31T23:59:59Z"}, True),
        ({"start": "0999-06-01"}, True),  # a year of three digits no longer sorts after every stored one
        ({"start": "9999-12-31"}, False),
        ({"start": "9999-12-31", "end": "9999-12-31"}, False),
        ({"start": "9999-12-31T23:30:00"}, False),
        ({"start": "9999-12-31T10:00:00-12:00"}, False),
        ({"end": "0001-01-01T00:00:00"}, False),
        ({"end": "0001-01-01T00:00:00.000001"}, False),
        ({"end": "0999-06-01"}, False),
    ],
)
@pytest.mark.parametrize("order", ["desc", "asc"])
def test_door_b_bounds_at_the_calendars_ends_are_answered(api, three_documents, bounds, all_of_them, order):
    query = "&".join(f"{name}={quote(value)}" for name, value in bounds.items())
    reply = call(api, "GET", f"{LIST}?size=2&sort={order}&{query}", caller=STAFF_12)
    assert reply.status == 200, reply.body
    data = reply.json["data"]
    expected = three_documents if order == "desc" else three_documents[::-1]
    assert data["total"] == (3 if all_of_them else 0)
    assert [d["id"] for d in data["documents"]] == (expected[:2] if all_of_them else [])
    # And the deep page of the same range (past SEEK_FROM) is answered too
    deep = call(api, "GET", f"{LIST}?size=100&page=3&sort={order}&{query}", caller=STAFF_12)
    assert deep.status == 200, deep.body
    assert deep.json["data"]["documents"] == [] and deep.json["data"]["total"] == data["total"]


@pytest.mark.parametrize(
    ("dates", "total"),
    [
        (["lt0001"], 0),
        (["lt0001-01-01"], 0),
        (["le0001-01-01T00:00:00Z"], 0),
        (["ge0001-01-01", "lt0002"], 0),
        (["ge9999-12-31T23:59:59%2B14:00"], 0),
        (["ge0001-01-01"], 3),
        (["ge0001", "le9998"], 3),
    ],
)
def test_door_d_dates_at_the_calendars_ends_are_answered(api, three_documents, dates, total):
    query = "".join(f"&date={value}" for value in dates)
    reply = call(api, "GET", f"{SEARCH}&_count=2{query}", caller=STAFF_12)
    assert reply.status == 200, reply.body
    assert reply.json["total"] == total
    shown = [entry["resource"]["id"] for entry in reply.json.get("entry", [])]
    assert shown == [str(document) for document in three_documents[: min(total, 2)]]
