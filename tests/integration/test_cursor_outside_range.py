"""A list cursor sent with another start/end (door B) or date (door D) than the page it came from.

DynamoDB refuses a Query whose ExclusiveStartKey lies outside its key condition ("The provided starting key
is outside query boundaries based on provided conditions", a ValidationException); moto does not check it,
so these tests apply that rule to every Query of the patient index (``StartKeyInsideRange``) and go through
the real handlers. Such a page starts where the cursor points, within the range: from the range's start
when the cursor lies before it, an empty page when the cursor lies past its end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from botocore.exceptions import ClientError

from patient_docs.adapters.aws import dynamodb
from tests.authz_fixtures import inline_document
from tests.utils import STAFF_12, call

PATIENT = 1172419
LIST = f"/apis/v1/patient-document/{PATIENT}"


class StartKeyInsideRange:
    """DynamoDB's rule: a Query's ExclusiveStartKey must satisfy its key condition (here GSI1SK BETWEEN)."""

    def __init__(self) -> None:
        self.checked = 0
        dynamodb().meta.events.register("before-parameter-build.dynamodb.Query", self._check)

    def _check(self, params: dict[str, Any], **_: Any) -> None:
        start, values = params.get("ExclusiveStartKey"), params.get("ExpressionAttributeValues", {})
        if params.get("IndexName") != "GSI1" or not start or ":since" not in values:
            return
        self.checked += 1
        if not values[":since"]["S"] <= start["GSI1SK"]["S"] <= values[":until"]["S"]:
            error = {
                "Code": "ValidationException",
                "Message": "The provided starting key is outside query boundaries based on provided conditions",
            }
            raise ClientError({"Error": error}, "Query")


@pytest.fixture
def five_hours(api, clock):
    """Five documents of the patient an hour apart, newest first."""
    clock.freeze()
    ids = []
    for _ in range(5):
        ids.append(inline_document(api, PATIENT, STAFF_12)["id"])
        clock.advance(3600)
    return ids[::-1]


def _times(api: Any) -> list[str]:
    reply = call(api, "GET", f"{LIST}?size=5", caller=STAFF_12)
    return [document["created_at"] for document in reply.json["data"]["documents"]]


def _page(api: Any, query: str) -> dict[str, Any]:
    reply = call(api, "GET", f"{LIST}?{query}", caller=STAFF_12)
    assert reply.status == 200, reply.body
    return dict(reply.json["data"])


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_a_door_b_cursor_outside_the_range_starts_within_it(api, five_hours, order):
    times = _times(api)  # newest first, whole seconds
    rule = StartKeyInsideRange()
    ordered = five_hours if order == "desc" else five_hours[::-1]
    # Given the cursor after the first document in this order, of the list without a range
    cursor = _page(api, f"size=1&sort={order}")["next_cursor"]
    assert cursor
    # When it is sent with a range that holds only the three middle documents, which all come after it
    end = datetime.fromisoformat(times[1]) + timedelta(minutes=1)  # after the second document, not its second
    middle = f"start={quote(times[3])}&end={quote(end.isoformat())}"
    data = _page(api, f"size=2&page=2&sort={order}&cursor={cursor}&{middle}")
    # Then the page is the range's first two documents, with the range's total and a cursor to its third
    assert [d["id"] for d in data["documents"]] == ordered[1:3]
    assert data["total"] == 3 and data["next_cursor"]
    rest = _page(api, f"size=2&page=3&sort={order}&cursor={data['next_cursor']}&{middle}")
    assert [d["id"] for d in rest["documents"]] == ordered[3:4] and rest["next_cursor"] is None
    # When the cursor after the last document in this order (the first of the other order) is sent with that
    # range, whose documents all come before it
    late = _page(api, f"size=1&sort={'asc' if order == 'desc' else 'desc'}")["next_cursor"]
    data = _page(api, f"size=2&page=2&sort={order}&cursor={late}&{middle}")
    # Then the page is empty, with the range's total
    assert data["documents"] == [] and data["total"] == 3 and data["next_cursor"] is None
    assert rule.checked > 0  # the cursors inside the range were sent as start keys, and checked


def test_a_door_d_cursor_sent_with_another_date_starts_within_it(api, five_hours):
    times = _times(api)
    StartKeyInsideRange()
    base = f"/fhir/R4/DocumentReference?patient={PATIENT}&_count=1"
    first = call(api, "GET", base, caller=STAFF_12).json
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    cursor = parse_qs(urlsplit(next_url).query)["_cursor"][0]
    # When the newest-first cursor is sent with a date range of the two oldest documents
    until = quote(times[3] + "Z")
    reply = call(api, "GET", f"{base}&date=le{until}&_cursor={cursor}", caller=STAFF_12)
    # Then the page is the range's newest, not a 500
    assert reply.status == 200, reply.body
    assert [entry["resource"]["id"] for entry in reply.json["entry"]] == [str(five_hours[3])]
    assert reply.json["total"] == 2
